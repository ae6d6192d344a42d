//! Live availability: the presence view and socket fan-out (`hub`), presence that
//! expires (`presence`), and events across replicas (`bridge`). The socket sessions
//! that use them are `crate::socket`.

pub mod bridge;
pub mod effects;
pub mod hub;
pub mod presence;
pub mod queue;
