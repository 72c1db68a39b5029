-- The desk's signed acknowledgement of a bundle (JSON of the document and
-- its signature), relayed to the device that sent it. The server cannot
-- make or change one that verifies: it only keeps and hands it on.
ALTER TABLE bundles ADD COLUMN desk_ack TEXT;
