//! App-wide reactive state.

pub mod session;
