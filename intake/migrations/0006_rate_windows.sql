-- Limits on how often something may happen in a minute (enrollment
-- attempts), counted in the database so that every instance of the
-- server on it shares them.
CREATE TABLE rate_windows (
    name TEXT PRIMARY KEY,
    minute BIGINT NOT NULL,
    events BIGINT NOT NULL
);
