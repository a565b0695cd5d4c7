//! The sync layer: everything that talks to the relay. The HTTP client, push and pull, the
//! roster and key rotation, checkpoints, the live socket, and invite codes.

pub mod checkpoint;
pub(crate) mod client;
pub mod invite;
pub mod live;
pub mod members;
mod push_pull;
pub mod set_aside;
