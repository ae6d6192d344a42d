-- Waitlists: a patient waits for a time with a doctor within a window of the doctor's
-- days, optionally only before a booking they hold (which claiming cancels). A time
-- that frees up is offered to the earliest waiter and held for them until it expires:
-- no one else can book it meanwhile. At most one entry per patient and doctor.
CREATE TABLE waitlist_entries (
    id           UUID PRIMARY KEY,
    patient_id   UUID NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id    UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    from_date    DATE NOT NULL,
    to_date      DATE NOT NULL,
    earlier_than UUID REFERENCES appointments (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK (to_date >= from_date),
    CONSTRAINT waitlist_entries_once UNIQUE (patient_id, doctor_id)
);
CREATE INDEX waitlist_entries_doctor_idx ON waitlist_entries (doctor_id, created_at);

-- Each offer of a time to an entry (kept while the entry lives, so a declined or
-- expired time is not offered to it again). An OPEN offer holds its time: open offers
-- never overlap, none is made over a booked appointment, and no appointment is booked
-- or moved over one that has not expired. The two cross-table rules are triggers that
-- take the doctor's transaction lock (the one bookings take), so they cannot race.
CREATE TABLE waitlist_offers (
    id         UUID PRIMARY KEY,
    entry_id   UUID NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    doctor_id  UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    patient_id UUID NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('OPEN', 'CLAIMED', 'DECLINED', 'EXPIRED')),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at),
    CONSTRAINT waitlist_offers_overlap EXCLUDE USING gist
        (doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'OPEN')
);
CREATE INDEX waitlist_offers_entry_idx ON waitlist_offers (entry_id);
CREATE INDEX waitlist_offers_open_idx ON waitlist_offers (expires_at) WHERE status = 'OPEN';

CREATE FUNCTION waitlist_offers_not_booked() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1, hashtext(NEW.doctor_id::text));
    IF EXISTS (SELECT 1 FROM appointments a
               WHERE a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                 AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.starts_at) THEN
        RAISE EXCEPTION 'waitlist_offers_booked' USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER waitlist_offers_not_booked BEFORE INSERT ON waitlist_offers
    FOR EACH ROW WHEN (NEW.status = 'OPEN') EXECUTE FUNCTION waitlist_offers_not_booked();

CREATE FUNCTION appointments_not_held() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1, hashtext(NEW.doctor_id::text));
    IF EXISTS (SELECT 1 FROM waitlist_offers o
               WHERE o.doctor_id = NEW.doctor_id AND o.status = 'OPEN' AND o.expires_at > now()
                 AND o.starts_at < NEW.ends_at AND o.ends_at > NEW.scheduled_for) THEN
        RAISE EXCEPTION 'appointments_slot_held' USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER appointments_not_held_insert BEFORE INSERT ON appointments
    FOR EACH ROW WHEN (NEW.status = 'SCHEDULED') EXECUTE FUNCTION appointments_not_held();
CREATE TRIGGER appointments_not_held_update
    BEFORE UPDATE OF scheduled_for, ends_at, status, doctor_id ON appointments
    FOR EACH ROW WHEN (NEW.status = 'SCHEDULED') EXECUTE FUNCTION appointments_not_held();
