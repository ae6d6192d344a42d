-- Doctors' daily agenda: those who ask for it (`daily_agenda`) are emailed the day's
-- appointments at 07:00 in their time zone. `agenda_day` is the last local day whose
-- agenda was taken in hand: a replica claims a day by moving it forward, so each day's
-- agenda is queued once whatever the replicas or restarts. An agenda not sent by noon
-- expires. The outbox also admits waitlist offers, which expire with their hold. SQLite
-- cannot change a constraint: the table is rebuilt, with its indexes.
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
                                    'DAILY_AGENDA', 'WAITLIST_OFFER',
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
    CHECK (status <> 'expired' OR kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_REMINDER',
                                           'DAILY_AGENDA', 'WAITLIST_OFFER')),
    CHECK ((kind = 'APPOINTMENT_REMINDER') = (reminder_minutes IS NOT NULL AND appointment_id IS NOT NULL))
);
INSERT INTO notifications_new
    SELECT id, email, subject, content, sent, sent_at, created_at, kind, user_id, doctor_id,
           status, attempts, next_attempt_at, last_error, html, ics, unsubscribe_url,
           appointment_id, reminder_minutes, expires_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_status_idx ON notifications (status, created_at);
CREATE INDEX notifications_doctor_cooldown_idx ON notifications (doctor_id, kind, user_id, created_at);
CREATE INDEX notifications_doctor_alerted_at_idx ON notifications (doctor_id, kind, created_at);
CREATE UNIQUE INDEX notifications_reminder_once_idx ON notifications (appointment_id, reminder_minutes)
    WHERE status = 'queued' AND reminder_minutes IS NOT NULL;
ALTER TABLE doctors ADD COLUMN daily_agenda BOOLEAN NOT NULL DEFAULT 0
    CHECK (daily_agenda IN (0, 1));
ALTER TABLE doctors ADD COLUMN agenda_day TEXT;
