//! App-wide reactive state.

pub mod follows;
pub mod live;
pub mod session;
