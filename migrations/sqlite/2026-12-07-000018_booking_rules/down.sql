DROP TABLE booking_rules;
