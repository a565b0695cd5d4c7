//! Workspace keys: rotation by an owner or admin, and each device fetching the keys sealed to
//! it.
//!
//! The relay never sees a workspace key. A rotating device makes the next key, seals it to the
//! public key of every device of the practice's signed roster that remains, and sends the
//! sealed copies; the relay checks that the epoch is the next one and that only remaining
//! devices get a copy, each one, then stores them, with the rotation's roster events. Each device later
//! fetches its own copies and opens them with its private key. A removed member's devices get
//! none, so changes made after the rotation are unreadable to them.
//!
//! Any active device may also grant keys it holds to another device of the workspace (one
//! that joined with a code carrying no key): sealed to that device, for epochs the workspace
//! has reached. An epoch the relay already holds for the device is kept, never replaced, so a
//! grant cannot take a device's key away.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{KeyGrant, KeyRotation, KeysResponse};

use super::roster::decode_events;
use super::CONTROL_BODY_LIMIT;
use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::StorageError;
use crate::AppState;

/// Longest sealed key accepted, in base64 characters (a sealed 32-byte key is 107).
pub const MAX_SEALED_CHARS: usize = 512;

/// `POST /v1/workspaces/{ws}/keys/rotate`, `POST /v1/workspaces/{ws}/keys/grant` and
/// `GET /v1/workspaces/{ws}/keys`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/keys/rotate", post(rotate))
        .route("/v1/workspaces/{ws}/keys/grant", post(grant))
        .route("/v1/workspaces/{ws}/keys", get(keys))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(rotate, grant, keys))]
pub struct Api;

/// Whether a sealed key is URL-safe base64 without padding, non-empty and at most
/// [`MAX_SEALED_CHARS`] long.
fn well_formed_sealed(sealed: &str) -> bool {
    !sealed.is_empty()
        && sealed.len() <= MAX_SEALED_CHARS
        && sealed.len() % 4 != 1
        && sealed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn malformed_sealed_key() -> AppError {
    AppError::bad_request(
        "each sealed key must be URL-safe base64 without padding, at most 512 characters",
    )
}

/// Checks the shape of a rotation's sealed keys: 400 unless each is URL-safe base64 without
/// padding, non-empty and at most [`MAX_SEALED_CHARS`] long. Whether it fits the workspace is
/// storage's check, made inside its transaction.
pub(crate) fn check_sealed_keys(rotation: &KeyRotation) -> Result<(), AppError> {
    if rotation
        .wrapped
        .iter()
        .all(|w| well_formed_sealed(&w.sealed))
    {
        Ok(())
    } else {
        Err(malformed_sealed_key())
    }
}

/// Rotates the workspace key and appends the rotation's roster events: 204; 400 for a malformed
/// body or events; 403 for a member; 409 if the epoch is not the current one plus one or the
/// sealed keys name a device that is not a remaining one, or one twice (fetch the members and retry),
/// or `roster_moved`; nothing changes then.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/keys/rotate",
    tag = "members",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::KeyRotation, content_type = "application/json"),
    responses(
        (status = 204, description = "Rotated"),
        (status = 400, description = "Malformed body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 409, description = "Wrong epoch, or the sealed keys name a device that is not remaining, or one twice; or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn rotate(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(mut rotation): ApiJson<KeyRotation>,
) -> Result<StatusCode, AppError> {
    check_sealed_keys(&rotation)?;
    let roster = decode_events(std::mem::take(&mut rotation.roster))?;
    let epoch = rotation.epoch;
    state
        .storage
        .rotate_key(caller.device, rotation, roster)
        .await?;
    tracing::info!(workspace = %caller.workspace_id, epoch, "workspace key rotated");
    Ok(StatusCode::NO_CONTENT)
}

/// Stores keys sealed to a device of the workspace, as any active device may: 204; 400 for a
/// malformed body, no keys, or an epoch past the workspace's current one; 404 if the workspace
/// has no such device; 409 if it was revoked or its member removed. An epoch the relay holds
/// for the device already is kept (the first grant wins); the device fetches them with
/// `GET .../keys`.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/keys/grant",
    tag = "members",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::KeyGrant, content_type = "application/json"),
    responses(
        (status = 204, description = "Stored (epochs the device held already are kept as they were)"),
        (status = 400, description = "Malformed body or sealed key, no keys, or an epoch past the workspace's current one", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::OtherWorkspace)),
        (status = 404, description = "No such device in this workspace", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The device was revoked or its member removed", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn grant(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(grant): ApiJson<KeyGrant>,
) -> Result<StatusCode, AppError> {
    if grant.keys.is_empty() {
        return Err(AppError::bad_request("send at least one sealed key"));
    }
    if !grant.keys.iter().all(|k| well_formed_sealed(&k.sealed)) {
        return Err(malformed_sealed_key());
    }
    let stored = state
        .storage
        .grant_keys(caller.device, grant.device_id, grant.keys)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => AppError::not_found("this workspace has no such device"),
            other => other.into(),
        })?;
    tracing::info!(workspace = %caller.workspace_id, stored, "keys granted");
    Ok(StatusCode::NO_CONTENT)
}

/// `?after=EPOCH`, optional (absent: every stored key, epoch 0 included).
#[derive(Debug, Deserialize)]
struct KeysParams {
    after: Option<u32>,
}

/// The keys sealed to the calling device after an epoch (without `after`: every one, a
/// granted epoch 0 included), oldest first: 200; 400 for a bad query.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/keys",
    tag = "members",
    params(super::doc::WorkspacePath, super::doc::KeysParams),
    responses(
        (status = 200, description = "Keys sealed to this device, oldest first", body = trellis_protocol::api::KeysResponse),
        (status = 400, description = "Malformed workspace id or query", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn keys(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<KeysParams>,
) -> Result<Json<KeysResponse>, AppError> {
    let keys = state
        .storage
        .sealed_keys(caller.workspace_id, caller.device.device_id, params.after)
        .await?;
    Ok(Json(KeysResponse { keys }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_protocol::api::WrappedKey;
    use trellis_protocol::Id;

    fn rotation(sealed: &str) -> KeyRotation {
        KeyRotation {
            epoch: 1,
            wrapped: vec![WrappedKey {
                device_id: Id([1; 16]),
                sealed: sealed.to_owned(),
            }],
            roster: Vec::new(),
        }
    }

    #[test]
    fn sealed_keys_must_be_unpadded_url_safe_base64() {
        assert!(check_sealed_keys(&rotation("AbC-_9xy")).is_ok());
        assert!(check_sealed_keys(&rotation(&"A".repeat(MAX_SEALED_CHARS))).is_ok());
        for bad in ["", "abc=", "ab+c", "ab/c", "a b", "abcde", "é"] {
            assert!(check_sealed_keys(&rotation(bad)).is_err(), "{bad:?}");
        }
        assert!(check_sealed_keys(&rotation(&"A".repeat(MAX_SEALED_CHARS + 4))).is_err());
    }
}
