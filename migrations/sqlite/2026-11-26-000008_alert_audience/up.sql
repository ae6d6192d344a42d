-- Who can be alerted that a doctor is online changes only through a few writes: a
-- patient is created, changes their "doctor online" preference, follows a doctor, or
-- has their account reactivated. Each of these stamps the patient with the next
-- value of one counter, here in the database, so that no code path can forget it.
-- Each alert job records the counter's value from before it started, and one that has
-- been through its whole audience a floor; the next job for that doctor, while
-- everybody that job covered is still in their cooldown, reads only the patients
-- stamped since (ADR 0016). SQLite has one writer at a time, so the stamps follow commit order.
CREATE TABLE alert_audience (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO alert_audience (id, version) VALUES (1, 1);

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
ALTER TABLE notification_jobs ADD COLUMN audience_version BIGINT;
ALTER TABLE notification_jobs ADD COLUMN since_version BIGINT;
ALTER TABLE notification_jobs ADD COLUMN start_floor TEXT;
ALTER TABLE notification_jobs ADD COLUMN earliest_alert_at TEXT;
-- A job that has read its whole audience takes the oldest alert about the doctor
-- since a point in time: this index finds it with one seek, where the cooldown index
-- (doctor, kind, patient, time) would walk every alert about the doctor ever sent.
CREATE INDEX notifications_doctor_alerted_at_idx ON notifications (doctor_id, kind, created_at);

CREATE INDEX notification_jobs_audience_idx ON notification_jobs (doctor_id, audience_version)
    WHERE earliest_alert_at IS NOT NULL;

-- The idle mail worker deletes finished jobs older than a day, oldest first.
CREATE INDEX notification_jobs_finished_idx ON notification_jobs (created_at) WHERE status = 'done';

CREATE TRIGGER patients_alert_audience_insert
AFTER INSERT ON patients
BEGIN
    UPDATE alert_audience SET version = version + 1;
    UPDATE patients SET alerts_version = (SELECT version FROM alert_audience)
        WHERE id = NEW.id;
END;

CREATE TRIGGER patients_alert_audience_preference
AFTER UPDATE OF notify_doctor_online ON patients
WHEN OLD.notify_doctor_online IS NOT NEW.notify_doctor_online
BEGIN
    UPDATE alert_audience SET version = version + 1;
    UPDATE patients SET alerts_version = (SELECT version FROM alert_audience)
        WHERE id = NEW.id;
END;

CREATE TRIGGER follows_alert_audience
AFTER INSERT ON follows
BEGIN
    UPDATE alert_audience SET version = version + 1;
    UPDATE patients SET alerts_version = (SELECT version FROM alert_audience)
        WHERE id = NEW.patient_id;
END;

CREATE TRIGGER users_alert_audience_reactivated
AFTER UPDATE OF active ON users
WHEN NEW.active AND NOT OLD.active
BEGIN
    UPDATE alert_audience SET version = version + 1;
    UPDATE patients SET alerts_version = (SELECT version FROM alert_audience)
        WHERE user_id = NEW.id;
END;
