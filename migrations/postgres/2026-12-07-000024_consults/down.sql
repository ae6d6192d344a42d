DELETE FROM notifications WHERE kind = 'CONSULT_DROPPED';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                    'APPOINTMENT_REMINDER', 'DAILY_AGENDA', 'WAITLIST_OFFER', 'PASSWORD_RESET',
                    'PASSWORD_CHANGED', 'EMAIL_VERIFICATION', 'EMAIL_CHANGED', 'DOCTOR_APPROVED',
                    'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
DROP TABLE consult_messages;
DROP TABLE consults;
DELETE FROM appointments WHERE kind = 'INSTANT';
ALTER TABLE appointments DROP CONSTRAINT appointments_duration_minutes_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_duration_minutes_check
    CHECK (duration_minutes BETWEEN 10 AND 120);
ALTER TABLE appointments DROP COLUMN kind;
ALTER TABLE doctors DROP COLUMN accepting_consults;
