//! One component per route.

mod admin;
mod appointments;
mod doctor;
mod doctor_home;
mod doctors;
mod home;
mod login;
mod not_found;
mod online;
mod profile;
mod register;
mod schedule;

pub use admin::AdminPage;
pub use appointments::Appointments;
pub use doctor::DoctorPage;
pub use doctors::Doctors;
pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use profile::Profile;
pub use register::Register;
pub use schedule::SchedulePage;
