-- Messages between OMCT's desk and devices, sealed: the server keeps the
-- age ciphertext (base64), which device the conversation is with, which
-- way it goes (to_desk 1: from the device) and when it came. It cannot
-- read, make or change one its reader accepts. A row goes once its reader
-- has fetched and stored it.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    device_key_id TEXT NOT NULL,
    to_desk BIGINT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_by_reader ON messages (to_desk, device_key_id);
