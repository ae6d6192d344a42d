-- How many sockets each replica holds for each doctor, so that a doctor whose last
-- socket is gone (on every replica) can be taken offline after a grace period.
CREATE TABLE presence_leases (
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    replica_id UUID NOT NULL,
    sockets    INTEGER NOT NULL CHECK (sockets >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, replica_id)
);

-- Case-insensitive name search and specialization filter of GET /api/doctors. The
-- server writes these folded (Unicode lower-case) copies, so that both backends
-- compare the same way; SQL lower() folds only ASCII on SQLite.
ALTER TABLE users ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
UPDATE users SET name_folded = lower(name);
ALTER TABLE doctors ADD COLUMN specialization_folded TEXT NOT NULL DEFAULT '';
UPDATE doctors SET specialization_folded = lower(specialization);
CREATE INDEX doctors_specialization_folded_idx ON doctors (specialization_folded);
CREATE INDEX doctors_online_idx ON doctors (is_online);
