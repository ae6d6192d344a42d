-- Why a change was made, when its maker says: an admin's reason for cancelling a
-- departing doctor's appointments, or a doctor's change of hours that left a booking
-- outside them. Shown to both parties in the appointment's history.
ALTER TABLE appointment_events ADD COLUMN note TEXT;
