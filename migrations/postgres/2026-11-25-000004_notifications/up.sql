-- Email notifications: the spec's Notification model becomes a transactional outbox;
-- "doctor is online" alerts are expanded from one job per event; patients choose what
-- they receive and whom they follow.

ALTER TABLE patients
    ADD COLUMN notify_doctor_online TEXT NOT NULL DEFAULT 'all'
        CHECK (notify_doctor_online IN ('all', 'followed', 'off'));

CREATE TABLE follows (
    patient_id UUID NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id  UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patient_id, doctor_id)
);
CREATE INDEX follows_doctor_idx ON follows (doctor_id);

ALTER TABLE notifications
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'OTHER'
        CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED', 'OTHER')),
    ADD COLUMN user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN doctor_id UUID REFERENCES doctors (id) ON DELETE SET NULL,
    ADD COLUMN status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN last_error TEXT,
    ADD COLUMN html TEXT,
    ADD COLUMN ics TEXT,
    ADD COLUMN unsubscribe_url TEXT;
UPDATE notifications SET status = CASE WHEN sent THEN 'sent' ELSE 'queued' END, next_attempt_at = created_at;
ALTER TABLE notifications
    ALTER COLUMN next_attempt_at SET NOT NULL,
    ADD CONSTRAINT notifications_sent_matches_status CHECK (sent = (status = 'sent'));
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_cooldown_idx ON notifications (user_id, doctor_id, created_at) WHERE kind = 'DOCTOR_ONLINE';
CREATE INDEX notifications_status_idx ON notifications (status, created_at);

-- One job per "doctor came online", expanded by the worker into per-patient rows in
-- batches (cursor: the last patient user id done), so the doctor's request neither
-- waits for nor grows with the number of patients.
CREATE TABLE notification_jobs (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('DOCTOR_ONLINE')),
    doctor_id  UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    cursor     UUID,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notification_jobs_pending_idx ON notification_jobs (created_at) WHERE status = 'pending';
