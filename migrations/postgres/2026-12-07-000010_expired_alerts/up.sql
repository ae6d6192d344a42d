-- A "doctor is online" email that would arrive too late (queued longer ago than
-- ALERT_MAX_DELAY_MINUTES, or about a doctor who has gone offline since) is marked
-- `expired` and never sent. Other mail never expires.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('queued', 'sent', 'failed', 'expired'));
ALTER TABLE notifications ADD CONSTRAINT notifications_only_alerts_expire
    CHECK (status <> 'expired' OR kind = 'DOCTOR_ONLINE');
