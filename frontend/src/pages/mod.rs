//! One component per route.

mod accept_invitation;
mod admin;
mod appointments;
mod approvals;
mod consult;
mod doctor;
mod doctor_home;
mod doctors;
mod forgot_password;
mod home;
mod invitations;
mod login;
mod not_found;
mod online;
mod profile;
mod register;
mod reset_password;
mod schedule;
mod verify_email;
mod waitlist;

pub use accept_invitation::AcceptInvitation;
pub use admin::AdminPage;
pub use appointments::Appointments;
pub use consult::{ConsultQueueCard, ConsultRoomPage, OwnDoctor};
pub use doctor::DoctorPage;
pub use doctors::Doctors;
pub use forgot_password::ForgotPassword;
pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use profile::Profile;
pub use register::Register;
pub use reset_password::ResetPassword;
pub use schedule::SchedulePage;
pub use verify_email::VerifyEmail;
