//! Small building blocks shared by the pages.

mod booking;
mod chart;
mod confirm;
mod dialog;
mod field;
mod layout;
mod lazy;
mod live;
pub mod new_password;
mod pager;
mod require_auth;
mod settle;
mod zone;

pub use booking::{BookButton, SlotPicker};
pub use chart::BarChart;
pub use confirm::{ConfirmBanner, ResendLink};
pub use dialog::{Confirm, Dialog};
pub use field::{Field, FormError};
pub use layout::{Header, Loading};
pub use lazy::PageModule;
pub use live::{Announcer, ConnectionBadge, DoctorCard, FollowButton, relative, use_clock};
pub use pager::{Pager, count_of};
pub use require_auth::RequireAuth;
pub use settle::{SettledSearch, settle_into};
pub use zone::{ZoneNote, ZonePicker};
