//! The sync layer: everything that talks to the relay. The HTTP client and its transport, push
//! and pull, the roster and key rotation, checkpoints, the live socket, and invite codes.

pub mod checkpoint;
pub(crate) mod client;
pub mod invite;
pub mod join;
/// Background sync on the relay's live WebSocket, for native builds (tokio, tokio-tungstenite).
/// A browser build (`wasm32`) has no `live` module: the web app's worker opens the browser's
/// `WebSocket` at [`crate::Store::live_endpoint`] and calls [`crate::Store::sync`] when the
/// relay announces a new head (docs/WEB.md).
#[cfg(not(target_arch = "wasm32"))]
pub mod live;
pub mod live_endpoint;
pub mod members;
mod push_pull;
mod roster;
pub mod set_aside;
pub(crate) mod transport;
mod verify;
