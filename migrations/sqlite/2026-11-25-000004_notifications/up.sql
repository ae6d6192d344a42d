-- Email notifications: the spec's Notification model becomes a transactional outbox;
-- "doctor is online" alerts are expanded from one job per event; patients choose what
-- they receive and whom they follow.

ALTER TABLE patients ADD COLUMN notify_doctor_online TEXT NOT NULL DEFAULT 'all'
    CHECK (notify_doctor_online IN ('all', 'followed', 'off'));

CREATE TABLE follows (
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id  TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (patient_id, doctor_id)
);
CREATE INDEX follows_doctor_idx ON follows (doctor_id);

-- SQLite cannot add constraints to an existing table: rebuild it.
CREATE TABLE notifications_new (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    email           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    content         TEXT NOT NULL,
    sent            BOOLEAN NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    sent_at         TEXT,
    created_at      TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'OTHER'
                    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED', 'OTHER')),
    user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
    doctor_id       TEXT REFERENCES doctors (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    html            TEXT,
    ics             TEXT,
    unsubscribe_url TEXT,
    CHECK (sent = (status = 'sent'))
);
INSERT INTO notifications_new (id, email, subject, content, sent, sent_at, created_at, status, next_attempt_at)
    SELECT id, email, subject, content, sent, sent_at, created_at,
           CASE WHEN sent THEN 'sent' ELSE 'queued' END, created_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_cooldown_idx ON notifications (user_id, doctor_id, created_at) WHERE kind = 'DOCTOR_ONLINE';
CREATE INDEX notifications_status_idx ON notifications (status, created_at);

CREATE TABLE notification_jobs (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    kind       TEXT NOT NULL CHECK (kind IN ('DOCTOR_ONLINE')),
    doctor_id  TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    cursor     TEXT,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notification_jobs_pending_idx ON notification_jobs (created_at) WHERE status = 'pending';
