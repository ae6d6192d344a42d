//! MediConnect: real-time doctor availability and appointments.
//!
//! The binary (`src/main.rs`) only parses its command and calls in here;
//! [`startup::Application`] is what the integration tests start too.

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod appointments;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod consults;
pub mod db;
pub mod doctors;
pub mod domain;
pub mod error;
pub mod follows;
pub mod invitations;
pub mod limits;
pub mod links;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod recovery;
pub mod request_id;
pub mod routes;
pub mod schedule;
pub mod socket;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod verification;
