-- Several officers at OMCT's desk, each with a desk of their own: their
-- tokens (hashes only), and which bundle each has fetched (a bundle is
-- deleted only once every officer has it). The device registry OMCT's desk
-- signs for them is kept in `published` (name 'device-registry').
CREATE TABLE officers (
    officer_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE TABLE officer_fetches (
    bundle_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (bundle_id, officer_id)
);
