//! The relay's endpoints, one router per area, merged by [`crate::app`].
//!
//! * [`workspaces`]: `POST /v1/workspaces` (signup).
//! * [`invites`]: `POST /v1/workspaces/{ws}/invites`, `POST /v1/invites/redeem`,
//!   `POST /v1/workspaces/{ws}/invites/{invite}/cancel`.
//! * [`sync`]: `POST /v1/workspaces/{ws}/push`, `GET /v1/workspaces/{ws}/pull`.
//! * [`live`]: `GET /v1/workspaces/{ws}/live` (WebSocket).
//! * [`members`]: `GET /v1/workspaces/{ws}/members`, `POST .../devices/{device}/revoke`,
//!   `POST .../members/{member}/remove`, `POST .../leave`, `POST .../transfer`.
//! * [`keys`]: `POST /v1/workspaces/{ws}/keys/rotate`, `POST /v1/workspaces/{ws}/keys/grant`,
//!   `GET /v1/workspaces/{ws}/keys`.
//! * [`roster`]: `GET` and `POST /v1/workspaces/{ws}/roster` (the signed roster), and the
//!   decoding of the roster events every membership call carries.
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
pub mod roster;
pub mod sync;
pub mod workspaces;

use axum::extract::rejection::PathRejection;
use trellis_protocol::Id;
use utoipa::OpenApi;

use crate::error::AppError;
use crate::storage::DeviceKey;

/// Largest JSON body a control endpoint accepts (192 KiB): most bodies are a few hundred
/// bytes, but a membership call may carry 16 roster events of 4 KiB (88 KiB in base64) beside
/// a rotation's sealed keys.
pub const CONTROL_BODY_LIMIT: usize = 192 * 1024;

/// Parses an id from the path: 400 unless it is 32 hexadecimal digits.
pub(crate) fn path_id(
    raw: Result<String, PathRejection>,
    what: &'static str,
) -> Result<Id, AppError> {
    raw.ok().and_then(|raw| raw.parse().ok()).ok_or_else(|| {
        AppError::bad_request(format!(
            "the {what} id in the path must be 32 hexadecimal digits"
        ))
    })
}

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
        roster::Api::openapi(),
        checkpoints::Api::openapi(),
        app::Api::openapi(),
    ] {
        document.merge(area);
    }
    document
}
