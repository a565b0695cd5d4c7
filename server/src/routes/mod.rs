//! The relay's endpoints, one router per area, merged by [`crate::app`].
//!
//! * [`workspaces`]: `POST /v1/workspaces` (signup).
//! * [`invites`]: `POST /v1/workspaces/{ws}/invites`, `POST /v1/invites/redeem`.
//! * [`sync`]: `POST /v1/workspaces/{ws}/push`, `GET /v1/workspaces/{ws}/pull`.
//! * [`live`]: `GET /v1/workspaces/{ws}/live` (WebSocket).
//! * [`members`]: `GET /v1/workspaces/{ws}/members`, `POST .../devices/{device}/revoke`,
//!   `POST .../members/{member}/remove`, `POST .../leave`, `POST .../transfer`.
//! * [`keys`]: `POST /v1/workspaces/{ws}/keys/rotate`, `GET /v1/workspaces/{ws}/keys`.
//! * [`checkpoints`]: `POST /v1/workspaces/{ws}/checkpoints`, `POST .../checkpoints/{id}/docs`,
//!   `POST .../checkpoints/{id}/complete`, `GET .../checkpoint`, `GET .../checkpoints/{id}/docs`.
//!
//! * [`app`]: the browser app's files at `/` (not API endpoints), and `GET /v1/app`, the hash
//!   of the build served.
//!
//! Each handler carries its own `#[utoipa::path]` beside its code, and each area lists its
//! handlers in an `Api` of its own; [`openapi`] merges the areas as [`crate::app`] merges their
//! routers. What the descriptions share (parameters, the common refusals) is in [`doc`].

pub mod app;
pub mod checkpoints;
pub mod doc;
pub mod invites;
pub mod keys;
pub mod live;
pub mod members;
pub mod sync;
pub mod workspaces;

use utoipa::OpenApi;

use crate::error::AppError;
use crate::storage::DeviceKey;

/// Largest JSON body a control endpoint accepts; their bodies are a few hundred bytes.
pub const CONTROL_BODY_LIMIT: usize = 64 * 1024;

/// Parses a device's public key from a request: 400 unless it is 64 hexadecimal digits.
pub(crate) fn device_key(text: &str) -> Result<DeviceKey, AppError> {
    DeviceKey::from_hex(text).ok_or_else(|| {
        AppError::bad_request(
            "device_key must be the device's X25519 public key as 64 hexadecimal digits",
        )
    })
}

/// The bearer token of a registering device: the one it made (64 lowercase hex digits, so a
/// repeat after a lost answer is recognized), or a new random one.
pub(crate) fn device_token(proposed: Option<&str>) -> Result<String, AppError> {
    match proposed {
        None => Ok(trellis_protocol::random_secret()),
        Some(t) if t.len() == 64 && t.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) => {
            Ok(t.to_string())
        }
        Some(_) => Err(AppError::bad_request(
            "token must be 64 lowercase hexadecimal digits made at random on the device",
        )),
    }
}

/// Every area's endpoints as one OpenAPI document (paths, and the schemas they name).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = workspaces::Api::openapi();
    for area in [
        invites::Api::openapi(),
        sync::Api::openapi(),
        live::Api::openapi(),
        members::Api::openapi(),
        keys::Api::openapi(),
        checkpoints::Api::openapi(),
        app::Api::openapi(),
    ] {
        document.merge(area);
    }
    document
}
