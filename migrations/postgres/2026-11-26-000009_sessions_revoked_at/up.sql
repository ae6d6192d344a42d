-- When the user's sessions were last revoked (password change, deactivation): access
-- tokens issued until then are refused. Servers load the recent ones when they start,
-- so that a restart does not let such a token back in before it expires.
ALTER TABLE users ADD COLUMN sessions_revoked_at TIMESTAMPTZ;
-- Accounts deactivated before this column existed were revoked when deactivated.
UPDATE users SET sessions_revoked_at = updated_at WHERE NOT active;
CREATE INDEX users_sessions_revoked_at_idx ON users (sessions_revoked_at);
