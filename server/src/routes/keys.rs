//! Workspace keys: rotation by an owner or admin, and each device fetching the keys sealed to
//! it.
//!
//! The relay never sees a workspace key. A rotating device makes the next key, seals it to the
//! public key of every device that remains (listed by `GET .../members`), and sends the sealed
//! copies; the relay checks that the epoch is the next one and that every remaining device gets
//! exactly one copy, then stores them. Each device later fetches its own copies and opens them
//! with its private key. A removed member's devices get none, so changes made after the
//! rotation are unreadable to them.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{KeyRotation, KeysResponse};

use super::CONTROL_BODY_LIMIT;
use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;

/// Longest sealed key accepted, in base64 characters (a sealed 32-byte key is 107).
pub const MAX_SEALED_CHARS: usize = 512;

/// `POST /v1/workspaces/{ws}/keys/rotate` and `GET /v1/workspaces/{ws}/keys`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/keys/rotate", post(rotate))
        .route("/v1/workspaces/{ws}/keys", get(keys))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(rotate, keys))]
pub struct Api;

/// Checks the shape of a rotation's sealed keys: 400 unless each is URL-safe base64 without
/// padding, non-empty and at most [`MAX_SEALED_CHARS`] long. Whether it fits the workspace is
/// storage's check, made inside its transaction.
pub(crate) fn check_sealed_keys(rotation: &KeyRotation) -> Result<(), AppError> {
    let well_formed = |sealed: &str| {
        !sealed.is_empty()
            && sealed.len() <= MAX_SEALED_CHARS
            && sealed.len() % 4 != 1
            && sealed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if rotation.wrapped.iter().all(|w| well_formed(&w.sealed)) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "each sealed key must be URL-safe base64 without padding, at most 512 characters",
        ))
    }
}

/// Rotates the workspace key: 204; 400 for a malformed body; 403 for a member; 409 if the
/// epoch is not the current one plus one or the sealed keys do not name every remaining device
/// exactly once (nothing changes: fetch the members and retry).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/keys/rotate",
    tag = "members",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::KeyRotation, content_type = "application/json"),
    responses(
        (status = 204, description = "Rotated"),
        (status = 400, description = "Malformed body", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 409, description = "Wrong epoch, or the sealed keys do not name every remaining device once", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge))
    ),
    security(("bearer" = []))
)]
async fn rotate(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(rotation): ApiJson<KeyRotation>,
) -> Result<StatusCode, AppError> {
    check_sealed_keys(&rotation)?;
    let epoch = rotation.epoch;
    state.storage.rotate_key(caller.device, rotation).await?;
    tracing::info!(workspace = %caller.workspace_id, epoch, "workspace key rotated");
    Ok(StatusCode::NO_CONTENT)
}

/// `?after=EPOCH`, optional (0: every stored key).
#[derive(Debug, Deserialize)]
struct KeysParams {
    after: Option<u32>,
}

/// The keys sealed to the calling device after an epoch, oldest first: 200; 400 for a bad
/// query.
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
        .sealed_keys(
            caller.workspace_id,
            caller.device.device_id,
            params.after.unwrap_or(0),
        )
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
