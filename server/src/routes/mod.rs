//! The relay's endpoints, one router per area, merged by [`crate::app`].
//!
//! * [`workspaces`]: `POST /v1/workspaces` (signup).
//! * [`invites`]: `POST /v1/workspaces/{ws}/invites`, `POST /v1/invites/redeem`.
//! * [`sync`]: `POST /v1/workspaces/{ws}/push`, `GET /v1/workspaces/{ws}/pull`.
//! * [`live`]: `GET /v1/workspaces/{ws}/live` (WebSocket).

pub mod invites;
pub mod live;
pub mod sync;
pub mod workspaces;

/// Largest JSON body a control endpoint accepts; their bodies are a few hundred bytes.
pub const CONTROL_BODY_LIMIT: usize = 64 * 1024;
