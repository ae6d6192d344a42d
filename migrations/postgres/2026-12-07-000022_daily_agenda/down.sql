DELETE FROM notifications WHERE kind IN ('DAILY_AGENDA', 'WAITLIST_OFFER');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                    'APPOINTMENT_REMINDER', 'PASSWORD_RESET', 'PASSWORD_CHANGED', 'EMAIL_VERIFICATION',
                    'EMAIL_CHANGED', 'DOCTOR_APPROVED', 'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
ALTER TABLE notifications DROP CONSTRAINT notifications_only_alerts_expire;
ALTER TABLE notifications ADD CONSTRAINT notifications_only_alerts_expire
    CHECK (status <> 'expired' OR kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_REMINDER'));
ALTER TABLE doctors DROP COLUMN agenda_day;
ALTER TABLE doctors DROP COLUMN daily_agenda;
