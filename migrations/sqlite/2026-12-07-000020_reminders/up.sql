-- Appointment reminders go through the outbox, queued with the booking and due at
-- their time before the start (`next_attempt_at`). Each names its appointment and
-- offset: at most one is queued per appointment and offset, a move re-times them and
-- a cancellation withdraws them. One that could not be sent before the start expires
-- (`expires_at`) and is never sent late. SQLite cannot change a constraint: the table
-- is rebuilt, with its indexes (nothing references it).
CREATE TABLE notifications_new (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    email           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    content         TEXT NOT NULL,
    sent            BOOLEAN NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    sent_at         TEXT,
    created_at      TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'OTHER'
                    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED',
                                    'APPOINTMENT_CANCELLED', 'APPOINTMENT_REMINDER',
                                    'PASSWORD_RESET', 'PASSWORD_CHANGED',
                                    'EMAIL_VERIFICATION', 'EMAIL_CHANGED', 'DOCTOR_APPROVED',
                                    'DOCTOR_REJECTED', 'INVITATION', 'OTHER')),
    user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
    doctor_id       TEXT REFERENCES doctors (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'expired')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    html            TEXT,
    ics             TEXT,
    unsubscribe_url TEXT,
    appointment_id  TEXT REFERENCES appointments (id) ON DELETE CASCADE,
    reminder_minutes INTEGER CHECK (reminder_minutes > 0),
    expires_at      TEXT,
    CHECK (sent = (status = 'sent')),
    CHECK (status <> 'expired' OR kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_REMINDER')),
    CHECK ((kind = 'APPOINTMENT_REMINDER') = (reminder_minutes IS NOT NULL AND appointment_id IS NOT NULL))
);
INSERT INTO notifications_new (id, email, subject, content, sent, sent_at, created_at, kind, user_id, doctor_id, status, attempts, next_attempt_at, last_error, html, ics, unsubscribe_url)
    SELECT id, email, subject, content, sent, sent_at, created_at, kind, user_id, doctor_id, status, attempts, next_attempt_at, last_error, html, ics, unsubscribe_url FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_status_idx ON notifications (status, created_at);
CREATE INDEX notifications_doctor_cooldown_idx ON notifications (doctor_id, kind, user_id, created_at);
CREATE INDEX notifications_doctor_alerted_at_idx ON notifications (doctor_id, kind, created_at);
CREATE UNIQUE INDEX notifications_reminder_once_idx ON notifications (appointment_id, reminder_minutes)
    WHERE status = 'queued' AND reminder_minutes IS NOT NULL;
-- Patients choose whether they get reminders.
ALTER TABLE patients ADD COLUMN appointment_reminders BOOLEAN NOT NULL DEFAULT 1
    CHECK (appointment_reminders IN (0, 1));
