-- Which enrollment token a device used, and the proof it sent for the desk
-- (an HMAC keyed with the part of the enrollment code the server never
-- sees): the server keeps and relays it, and cannot check or forge it.
ALTER TABLE devices ADD COLUMN token_sha256 TEXT;
ALTER TABLE devices ADD COLUMN proof TEXT;
