DROP TRIGGER appointments_not_held_update ON appointments;
DROP TRIGGER appointments_not_held_insert ON appointments;
DROP FUNCTION appointments_not_held();
DROP TABLE waitlist_offers;
DROP FUNCTION waitlist_offers_not_booked();
DROP TABLE waitlist_entries;
