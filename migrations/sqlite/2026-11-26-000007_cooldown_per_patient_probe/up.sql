-- The alert fan-out now leaves out patients alerted within the cooldown with a
-- correlated NOT EXISTS: for each patient, is there a DOCTOR_ONLINE row of this
-- doctor for them since the cooldown began? The index answers that with one seek
-- (doctor, kind, patient, then the time range), and still serves reading one
-- doctor's alerts in full.
DROP INDEX notifications_doctor_cooldown_idx;
CREATE INDEX notifications_doctor_cooldown_idx ON notifications (doctor_id, kind, user_id, created_at);
