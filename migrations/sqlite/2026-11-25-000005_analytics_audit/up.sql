-- Presence history (every online interval of every doctor) and the audit trail.

CREATE TABLE presence_intervals (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    doctor_id  TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX presence_intervals_doctor_idx ON presence_intervals (doctor_id, started_at);
CREATE INDEX presence_intervals_time_idx ON presence_intervals (started_at);
CREATE UNIQUE INDEX presence_intervals_open_idx ON presence_intervals (doctor_id) WHERE ended_at IS NULL;

INSERT INTO presence_intervals (id, doctor_id, started_at)
    SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
                 || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
           id, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
    FROM doctors WHERE is_online;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    actor_id    TEXT,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT,
    ip          TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
