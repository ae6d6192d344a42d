-- Who can be alerted that a doctor is online changes only through a few writes: a
-- patient is created, changes their "doctor online" preference, follows a doctor, or
-- has their account reactivated. Each of these stamps the patient with the next
-- value of one counter, here in the database, so that no code path can forget it.
-- Each alert job records the counter's value from before it started, and one that has
-- been through its whole audience a floor; the next job for that doctor, while
-- everybody that job covered is still in their cooldown, reads only the patients
-- stamped since (ADR 0016).
--
-- The counter is one row, so the stamps follow commit order: a transaction that
-- stamps holds the row until it commits, and a job that reads the counter sees a
-- value below every stamp it cannot yet see.
CREATE TABLE alert_audience (
    id      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    version BIGINT NOT NULL
);
INSERT INTO alert_audience (id, version) VALUES (TRUE, 1);

-- Existing patients get 0: the first job after this migration reads everybody.
ALTER TABLE patients ADD COLUMN alerts_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX patients_alerts_version_idx ON patients (alerts_version);

-- audience_version: the counter before the job read its first batch.
-- since_version: set when the job reads only patients stamped after it.
-- start_floor: the floor the job began with (its start, or the floor of the job it
-- leans on).
-- earliest_alert_at: set only once the job has read its whole audience: no patient
-- it covered was last alerted about the doctor before this time. A job that another
-- version of the server finished, or that stopped early, leaves it empty.
ALTER TABLE notification_jobs
    ADD COLUMN audience_version BIGINT,
    ADD COLUMN since_version BIGINT,
    ADD COLUMN start_floor TIMESTAMPTZ,
    ADD COLUMN earliest_alert_at TIMESTAMPTZ;
-- A job that has read its whole audience takes the oldest alert about the doctor
-- since a point in time: this index finds it with one seek, where the cooldown index
-- (doctor, kind, patient, time) would walk every alert about the doctor ever sent.
CREATE INDEX notifications_doctor_alerted_at_idx ON notifications (doctor_id, kind, created_at);

CREATE INDEX notification_jobs_audience_idx ON notification_jobs (doctor_id, audience_version)
    WHERE earliest_alert_at IS NOT NULL;

-- The idle mail worker deletes finished jobs older than a day, oldest first.
CREATE INDEX notification_jobs_finished_idx ON notification_jobs (created_at) WHERE status = 'done';

CREATE FUNCTION next_alert_audience_version() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    UPDATE alert_audience SET version = version + 1 RETURNING version
$$;

CREATE FUNCTION stamp_patient_alert_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.alerts_version := next_alert_audience_version();
    RETURN NEW;
END
$$;
CREATE TRIGGER patients_alert_audience_insert
    BEFORE INSERT ON patients
    FOR EACH ROW EXECUTE FUNCTION stamp_patient_alert_audience();
CREATE TRIGGER patients_alert_audience_preference
    BEFORE UPDATE OF notify_doctor_online ON patients
    FOR EACH ROW WHEN (OLD.notify_doctor_online IS DISTINCT FROM NEW.notify_doctor_online)
    EXECUTE FUNCTION stamp_patient_alert_audience();

-- Stamps one patient for the triggers below. It locks the patient's row before the
-- counter, as an update of the patient row itself does (its row is locked before its
-- BEFORE trigger runs): the other order could deadlock with a preference change of
-- that patient.
CREATE FUNCTION stamp_patient_by_id(target UUID) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM patients WHERE id = target FOR NO KEY UPDATE;
    UPDATE patients SET alerts_version = next_alert_audience_version() WHERE id = target;
END
$$;

CREATE FUNCTION stamp_follower_alert_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stamp_patient_by_id(NEW.patient_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER follows_alert_audience
    AFTER INSERT ON follows
    FOR EACH ROW EXECUTE FUNCTION stamp_follower_alert_audience();

CREATE FUNCTION stamp_reactivated_alert_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stamp_patient_by_id(id) FROM patients WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_alert_audience_reactivated
    AFTER UPDATE OF active ON users
    FOR EACH ROW WHEN (NEW.active AND NOT OLD.active)
    EXECUTE FUNCTION stamp_reactivated_alert_audience();
