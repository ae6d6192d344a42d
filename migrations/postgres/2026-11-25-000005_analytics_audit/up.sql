-- Presence history (every online interval of every doctor) and the audit trail.

CREATE TABLE presence_intervals (
    id         UUID PRIMARY KEY,
    doctor_id  UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX presence_intervals_doctor_idx ON presence_intervals (doctor_id, started_at);
CREATE INDEX presence_intervals_time_idx ON presence_intervals (started_at);
-- At most one open interval per doctor.
CREATE UNIQUE INDEX presence_intervals_open_idx ON presence_intervals (doctor_id) WHERE ended_at IS NULL;

-- Doctors online now have an open interval from now on.
INSERT INTO presence_intervals (id, doctor_id, started_at)
    SELECT gen_random_uuid(), id, now() FROM doctors WHERE is_online;

-- Who read or changed what, when, from where. No PHI: ids only. Append-only.
CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,
    actor_id    UUID,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   UUID,
    ip          TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
