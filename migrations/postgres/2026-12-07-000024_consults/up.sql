-- Consult now: a patient asks an online doctor who accepts instant consults, waits in
-- the doctor's queue (first come, first served), and is taken by the doctor. One open
-- consult per patient. An ended consult is kept as an appointment of kind INSTANT.
ALTER TABLE doctors ADD COLUMN accepting_consults BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appointments ADD COLUMN kind TEXT NOT NULL DEFAULT 'BOOKED'
    CHECK (kind IN ('BOOKED', 'INSTANT'));
-- A booking lasts a slot (10 to 120 minutes); a consult now, as long as it took.
ALTER TABLE appointments DROP CONSTRAINT appointments_duration_minutes_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_duration_minutes_check
    CHECK (duration_minutes BETWEEN 10 AND 120
           OR (kind = 'INSTANT' AND duration_minutes BETWEEN 1 AND 720));
CREATE TABLE consults (
    id             UUID PRIMARY KEY,
    patient_id     UUID NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id      UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    reason         TEXT CHECK (length(reason) <= 500),
    status         TEXT NOT NULL CHECK (status IN ('WAITING', 'ACTIVE', 'ENDED', 'LEFT', 'DROPPED')),
    created_at     TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ,
    ended_at       TIMESTAMPTZ,
    appointment_id UUID REFERENCES appointments (id) ON DELETE SET NULL,
    CHECK ((status = 'WAITING') = (started_at IS NULL) OR status IN ('LEFT', 'DROPPED'))
);
CREATE UNIQUE INDEX consults_one_open_per_patient ON consults (patient_id)
    WHERE status IN ('WAITING', 'ACTIVE');
CREATE INDEX consults_queue_idx ON consults (doctor_id, created_at) WHERE status = 'WAITING';

-- A consult's chat, kept with it: for its two parties (and, audited, admins).
CREATE TABLE consult_messages (
    id         UUID PRIMARY KEY,
    consult_id UUID NOT NULL REFERENCES consults (id) ON DELETE CASCADE,
    sender_id  UUID REFERENCES users (id) ON DELETE SET NULL,
    from_role  TEXT NOT NULL CHECK (from_role IN ('DOCTOR', 'PATIENT')),
    body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consult_messages_consult_idx ON consult_messages (consult_id, created_at);

-- The outbox admits CONSULT_DROPPED: a waiting patient told that the doctor went
-- offline.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                    'APPOINTMENT_REMINDER', 'DAILY_AGENDA', 'WAITLIST_OFFER', 'CONSULT_DROPPED',
                    'PASSWORD_RESET', 'PASSWORD_CHANGED', 'EMAIL_VERIFICATION', 'EMAIL_CHANGED',
                    'DOCTOR_APPROVED', 'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
