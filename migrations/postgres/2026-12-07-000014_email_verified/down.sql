DROP TRIGGER users_alert_audience_verified ON users;
ALTER TABLE users DROP COLUMN email_verified_at;
