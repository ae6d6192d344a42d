//! One component per route.

mod home;
mod login;
mod not_found;
mod profile;
mod register;

pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use profile::Profile;
pub use register::Register;
