//! Live availability: the presence view and socket fan-out (`hub`), the sockets
//! (`socket`), presence that expires (`presence`), and events across replicas
//! (`bridge`).

pub mod bridge;
pub mod hub;
pub mod presence;
pub mod socket;
