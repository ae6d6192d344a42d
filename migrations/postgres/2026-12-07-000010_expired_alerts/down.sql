ALTER TABLE notifications DROP CONSTRAINT notifications_only_alerts_expire;
UPDATE notifications SET status = 'failed' WHERE status = 'expired';
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('queued', 'sent', 'failed'));
