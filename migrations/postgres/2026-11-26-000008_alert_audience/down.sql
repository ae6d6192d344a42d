DROP TRIGGER users_alert_audience_reactivated ON users;
DROP FUNCTION stamp_reactivated_alert_audience();
DROP TRIGGER follows_alert_audience ON follows;
DROP FUNCTION stamp_follower_alert_audience();
DROP FUNCTION stamp_patient_by_id(UUID);
DROP TRIGGER patients_alert_audience_preference ON patients;
DROP TRIGGER patients_alert_audience_insert ON patients;
DROP FUNCTION stamp_patient_alert_audience();
DROP FUNCTION next_alert_audience_version();
DROP INDEX notification_jobs_audience_idx;
DROP INDEX notification_jobs_finished_idx;
DROP INDEX notifications_doctor_alerted_at_idx;
ALTER TABLE notification_jobs
    DROP COLUMN earliest_alert_at,
    DROP COLUMN start_floor,
    DROP COLUMN since_version,
    DROP COLUMN audience_version;
DROP INDEX patients_alerts_version_idx;
ALTER TABLE patients DROP COLUMN alerts_version;
DROP TABLE alert_audience;
