-- Every person's own time zone (an IANA name), in which the app and their emails show
-- times. Doctors start with the zone of their working hours, everyone else with UTC
-- until they choose one (the web app sends the browser's at registration).
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE users SET time_zone = (SELECT doctors.time_zone FROM doctors WHERE doctors.user_id = users.id)
WHERE id IN (SELECT user_id FROM doctors);
