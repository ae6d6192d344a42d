DROP INDEX users_sessions_revoked_at_idx;
ALTER TABLE users DROP COLUMN sessions_revoked_at;
