//! Black-box tests: each starts the real server on port 0 with a fresh database, on
//! SQLite and on PostgreSQL, and talks HTTP to it.

mod helpers;
mod process;
mod ws;

mod admin;
mod agenda;
mod appointments;
mod approval;
mod auth;
mod booking_rules;
mod calendar_feed;
mod cli;
mod consults;
mod departures;
mod docs;
mod doctors;
mod errors;
mod faults;
mod hardening;
mod health;
mod invitations;
mod live;
mod log_audit;
mod mail;
mod ops;
mod recovery;
mod reminders;
mod schema;
mod spa;
mod time_off;
mod users;
mod verification;
mod waitlist;
