ALTER TABLE patients DROP COLUMN appointment_reminders;
DELETE FROM notifications WHERE kind = 'APPOINTMENT_REMINDER';
DROP INDEX notifications_reminder_once_idx;
ALTER TABLE notifications DROP CONSTRAINT notifications_reminder_shape;
ALTER TABLE notifications DROP COLUMN expires_at;
ALTER TABLE notifications DROP COLUMN reminder_minutes;
ALTER TABLE notifications DROP COLUMN appointment_id;
ALTER TABLE notifications DROP CONSTRAINT notifications_only_alerts_expire;
ALTER TABLE notifications ADD CONSTRAINT notifications_only_alerts_expire
    CHECK (status <> 'expired' OR kind = 'DOCTOR_ONLINE');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                         'PASSWORD_RESET', 'PASSWORD_CHANGED', 'EMAIL_VERIFICATION', 'EMAIL_CHANGED',
                         'DOCTOR_APPROVED', 'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
