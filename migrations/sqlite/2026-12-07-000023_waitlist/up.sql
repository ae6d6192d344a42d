-- Waitlists: a patient waits for a time with a doctor within a window of the doctor's
-- days, optionally only before a booking they hold (which claiming cancels). A time
-- that frees up is offered to the earliest waiter and held for them until it expires:
-- no one else can book it meanwhile. At most one entry per patient and doctor.
CREATE TABLE waitlist_entries (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    patient_id   TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id    TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    from_date    TEXT NOT NULL,
    to_date      TEXT NOT NULL,
    earlier_than TEXT REFERENCES appointments (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    CHECK (to_date >= from_date),
    CONSTRAINT waitlist_entries_once UNIQUE (patient_id, doctor_id)
);
CREATE INDEX waitlist_entries_doctor_idx ON waitlist_entries (doctor_id, created_at);

-- Each offer of a time to an entry (kept while the entry lives, so a declined or
-- expired time is not offered to it again). An OPEN offer holds its time: open offers
-- never overlap, none is made over a booked appointment, and no appointment is booked
-- or moved over one that has not expired. SQLite has one writer at a time, so these
-- triggers cannot race.
CREATE TABLE waitlist_offers (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    entry_id   TEXT NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    doctor_id  TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('OPEN', 'CLAIMED', 'DECLINED', 'EXPIRED')),
    created_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX waitlist_offers_entry_idx ON waitlist_offers (entry_id);
CREATE INDEX waitlist_offers_open_idx ON waitlist_offers (expires_at) WHERE status = 'OPEN';

CREATE TRIGGER waitlist_offers_no_overlap
BEFORE INSERT ON waitlist_offers
WHEN NEW.status = 'OPEN'
BEGIN
    SELECT RAISE(ABORT, 'waitlist_offers_booked')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.starts_at);
    SELECT RAISE(ABORT, 'waitlist_offers_overlap')
    WHERE EXISTS (SELECT 1 FROM waitlist_offers o
                  WHERE o.doctor_id = NEW.doctor_id AND o.status = 'OPEN'
                    AND o.starts_at < NEW.ends_at AND o.ends_at > NEW.starts_at);
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
