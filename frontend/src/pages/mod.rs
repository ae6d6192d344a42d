//! One component per route.

mod doctor_home;
mod doctors;
mod home;
mod login;
mod not_found;
mod online;
mod profile;
mod register;

pub use doctors::Doctors;
pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use profile::Profile;
pub use register::Register;
