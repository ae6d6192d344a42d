DROP TABLE refresh_tokens;
DROP TABLE notifications;
DROP TABLE appointments;
DROP TABLE patients;
DROP TABLE doctors;
DROP TABLE users;
