-- What one device has stored and not yet acknowledged is counted at each
-- creation (its cap): looked up by device.
CREATE INDEX bundles_by_device ON bundles (device_key_id, acknowledged_at);
