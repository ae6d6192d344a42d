//! Small building blocks shared by the pages.

mod field;
mod layout;
mod live;
mod require_auth;

pub use field::{Field, FormError};
pub use layout::{Header, Loading};
pub use live::{Announcer, ConnectionBadge, DoctorCard, use_clock};
pub use require_auth::RequireAuth;
