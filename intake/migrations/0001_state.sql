-- The intake server's state, one row per thing, for SQLite and PostgreSQL
-- alike: only TEXT and BIGINT columns, `$N` parameters, and statements
-- both engines run the same way.

-- Devices that enrolled, by minisign key id.
CREATE TABLE devices (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    label TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    access_token_sha256 TEXT NOT NULL UNIQUE,
    -- The hourly upload limit: a fixed window and the uploads in it.
    window_start BIGINT NOT NULL DEFAULT 0,
    window_uploads BIGINT NOT NULL DEFAULT 0
);

-- Enrollment tokens the desk asked for, by their SHA-256.
CREATE TABLE enrollment_tokens (
    token_sha256 TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- What the desk published: 'root_key' (minisign base64, set once) and
-- 'recipients' (the signed recipient list, as JSON).
CREATE TABLE published (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

-- Uploads in progress. `received` is the tus offset: bytes stored and
-- synced. A row goes when its bundle is stored, when the upload is
-- terminated, when it was idle too long, or when its device is revoked.
CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    device_key_id TEXT NOT NULL REFERENCES devices (key_id),
    bundle_id TEXT NOT NULL UNIQUE,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    touched_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_device ON uploads (device_key_id);
CREATE INDEX uploads_by_touch ON uploads (touched_at);

-- Bundles stored, and their signed receipts. A row stays after its bytes
-- are deleted (deleted_at), so that a replayed upload is still answered
-- with its receipt and never stored twice.
CREATE TABLE bundles (
    bundle_id TEXT PRIMARY KEY,
    device_key_id TEXT NOT NULL REFERENCES devices (key_id),
    upload_id TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receipt TEXT NOT NULL,
    acknowledged_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX bundles_by_ack ON bundles (acknowledged_at);

-- Bytes stored and bytes promised to uploads in progress (their declared
-- lengths), kept as one row so that the quota costs one update, not a sum
-- over every bundle.
CREATE TABLE usage (
    id BIGINT PRIMARY KEY,
    stored_bytes BIGINT NOT NULL,
    reserved_bytes BIGINT NOT NULL
);
INSERT INTO usage (id, stored_bytes, reserved_bytes) VALUES (1, 0, 0);
