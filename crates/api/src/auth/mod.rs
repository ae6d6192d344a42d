//! Authentication: access tokens (JWT), refresh tokens, password hashing, the
//! extractors that put the caller's identity in a handler's signature, and the
//! per-client limit on the auth endpoints.

pub mod extractors;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod session;

pub use extractors::{AdminUser, AuthUser, DoctorUser, PatientUser};
pub use jwt::JwtKeys;
