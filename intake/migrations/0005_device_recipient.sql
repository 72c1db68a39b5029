-- The age recipient a device sent at enrollment, for what the desk seals
-- to it; the device's proof binds it to the device's key, so the server
-- relays it and cannot swap it unnoticed.
ALTER TABLE devices ADD COLUMN recipient TEXT;
