-- Uploads into S3-compatible object storage. The bytes of an upload in
-- progress are S3 multipart parts of exactly 8 MiB, then a tail (the bytes
-- after the last part, fewer than 8 MiB) kept as an object of its own
-- under a key never written twice. `received` is parts_bytes plus the
-- tail's size. Any instance of the server continues an upload from these
-- columns alone. Unused (NULL, '' and 0) with the local folder.
ALTER TABLE uploads ADD COLUMN multipart_id TEXT;
-- The parts' ETags, in order, one per line.
ALTER TABLE uploads ADD COLUMN parts TEXT NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN parts_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN tail_key TEXT;
