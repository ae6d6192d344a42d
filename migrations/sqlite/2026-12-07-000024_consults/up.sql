PRAGMA foreign_keys = OFF;
BEGIN;
-- Consult now: a patient asks an online doctor who accepts instant consults, waits in
-- the doctor's queue (first come, first served), and is taken by the doctor. One open
-- consult per patient. An ended consult is kept as an appointment of kind INSTANT.
-- An appointment's kind, and a length check that lets an INSTANT one last as long as
-- it took: SQLite cannot change a table's CHECK, so the table is rebuilt, with its
-- indexes and triggers. This migration runs outside diesel's transaction
-- (metadata.toml) so that foreign keys can be off while the old table is dropped (a
-- drop would otherwise cascade to the appointments' history).
CREATE TABLE appointments_new (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    doctor_id        TEXT NOT NULL REFERENCES doctors (id),
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    scheduled_for    TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 30,
    reason           TEXT CHECK (reason IS NULL OR length(reason) <= 500),
    status           TEXT NOT NULL DEFAULT 'SCHEDULED'
                     CHECK (status IN ('SCHEDULED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    ends_at          TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL DEFAULT 'BOOKED' CHECK (kind IN ('BOOKED', 'INSTANT')),
    -- A booking lasts a slot (10 to 120 minutes); a consult now, as long as it took.
    CHECK (duration_minutes BETWEEN 10 AND 120
           OR (kind = 'INSTANT' AND duration_minutes BETWEEN 1 AND 720))
);
INSERT INTO appointments_new (id, doctor_id, patient_id, scheduled_for, duration_minutes, reason, status, created_at, updated_at, ends_at)
    SELECT id, doctor_id, patient_id, scheduled_for, duration_minutes, reason, status, created_at, updated_at, ends_at FROM appointments;
DROP TABLE appointments;
-- The legacy rename: the modern one would re-check the triggers of other tables that
-- name `appointments` while it does not exist.
PRAGMA legacy_alter_table = ON;
ALTER TABLE appointments_new RENAME TO appointments;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX appointments_doctor_time_idx ON appointments (doctor_id, scheduled_for);
CREATE INDEX appointments_patient_time_idx ON appointments (patient_id, scheduled_for);
CREATE INDEX appointments_doctor_ends_idx ON appointments (doctor_id, ends_at);
CREATE INDEX appointments_patient_ends_idx ON appointments (patient_id, ends_at);
CREATE TRIGGER appointments_no_overlap_insert
BEFORE INSERT ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_doctor_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
    SELECT RAISE(ABORT, 'appointments_patient_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.patient_id = NEW.patient_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
END;
CREATE TRIGGER appointments_no_overlap_update
BEFORE UPDATE OF scheduled_for, ends_at, status, doctor_id, patient_id ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_doctor_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.id <> NEW.id AND a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
    SELECT RAISE(ABORT, 'appointments_patient_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.id <> NEW.id AND a.patient_id = NEW.patient_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
END;
CREATE TRIGGER appointments_ends_after_start
BEFORE INSERT ON appointments
WHEN NEW.ends_at <= NEW.scheduled_for
BEGIN
    SELECT RAISE(ABORT, 'appointments_ends_after_start');
END;
CREATE TRIGGER appointments_not_held_insert
BEFORE INSERT ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_slot_held')
    WHERE EXISTS (SELECT 1 FROM waitlist_offers o
                  WHERE o.doctor_id = NEW.doctor_id AND o.status = 'OPEN'
                    AND o.expires_at > strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
                    AND o.starts_at < NEW.ends_at AND o.ends_at > NEW.scheduled_for);
END;
CREATE TRIGGER appointments_not_held_update
BEFORE UPDATE OF scheduled_for, ends_at, status, doctor_id ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_slot_held')
    WHERE EXISTS (SELECT 1 FROM waitlist_offers o
                  WHERE o.doctor_id = NEW.doctor_id AND o.status = 'OPEN'
                    AND o.expires_at > strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
                    AND o.starts_at < NEW.ends_at AND o.ends_at > NEW.scheduled_for);
END;
ALTER TABLE doctors ADD COLUMN accepting_consults BOOLEAN NOT NULL DEFAULT 0
    CHECK (accepting_consults IN (0, 1));
CREATE TABLE consults (
    id             TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    patient_id     TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id      TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    reason         TEXT CHECK (length(reason) <= 500),
    status         TEXT NOT NULL CHECK (status IN ('WAITING', 'ACTIVE', 'ENDED', 'LEFT', 'DROPPED')),
    created_at     TEXT NOT NULL,
    started_at     TEXT,
    ended_at       TEXT,
    appointment_id TEXT REFERENCES appointments (id) ON DELETE SET NULL,
    CHECK ((status = 'WAITING') = (started_at IS NULL) OR status IN ('LEFT', 'DROPPED'))
);
CREATE UNIQUE INDEX consults_one_open_per_patient ON consults (patient_id)
    WHERE status IN ('WAITING', 'ACTIVE');
CREATE INDEX consults_queue_idx ON consults (doctor_id, created_at) WHERE status = 'WAITING';

-- A consult's chat, kept with it: for its two parties (and, audited, admins).
CREATE TABLE consult_messages (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    consult_id TEXT NOT NULL REFERENCES consults (id) ON DELETE CASCADE,
    sender_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    from_role  TEXT NOT NULL CHECK (from_role IN ('DOCTOR', 'PATIENT')),
    body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at TEXT NOT NULL
);
CREATE INDEX consult_messages_consult_idx ON consult_messages (consult_id, created_at);

-- The outbox admits CONSULT_DROPPED: a waiting patient told that the doctor went
-- offline. SQLite cannot change a constraint: the table is rebuilt, with its indexes.
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
                                    'DAILY_AGENDA', 'WAITLIST_OFFER', 'CONSULT_DROPPED',
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
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
