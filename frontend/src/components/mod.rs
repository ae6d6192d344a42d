//! Small building blocks shared by the pages.

mod field;
mod layout;
mod require_auth;

pub use field::{Field, FormError};
pub use layout::{Header, Loading};
pub use require_auth::RequireAuth;
