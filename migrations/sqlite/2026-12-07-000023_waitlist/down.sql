DROP TRIGGER appointments_not_held_update;
DROP TRIGGER appointments_not_held_insert;
DROP TABLE waitlist_offers;
DROP TABLE waitlist_entries;
