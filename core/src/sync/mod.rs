//! The sync layer: everything that talks to the relay. The HTTP client and its transport, push
//! and pull, the roster and key rotation, checkpoints, the live socket, and invite codes.

pub mod checkpoint;
pub(crate) mod client;
pub mod invite;
/// Background sync on the relay's live WebSocket, for native builds (tokio, tokio-tungstenite).
/// A browser build (`wasm32`) has no `live` module yet: a web app calls [`crate::Store::sync`]
/// itself (on a timer, and after local writes) until the socket is built on the browser's
/// `WebSocket` (docs/WEB.md).
#[cfg(not(target_arch = "wasm32"))]
pub mod live;
pub mod members;
mod push_pull;
pub mod set_aside;
pub(crate) mod transport;
