//! App-wide reactive state.

pub mod live;
pub mod session;
