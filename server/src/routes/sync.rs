//! Push and pull: the workspace's append-only log of encrypted changes.
//!
//! Bodies are the binary batches of [`trellis_protocol::batch`], decoded strictly before
//! anything is stored: a malformed batch is 400, a batch over the entry or size limits is 413,
//! and in both cases the log is unchanged. A push is one storage transaction; its answer leaves
//! only after the commit, and then live sockets learn the new head. A pull reads one snapshot,
//! stops at [`MAX_PULL_BYTES`] of change bytes, and says whether more remain. A pull from
//! before the log floor (entries compacted into a checkpoint) is `410 compacted`.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{PushResponse, Role, KEY_EPOCH_HEADER, ROTATION_NEEDED_HEADER};
use trellis_protocol::batch::{self, DecodeError};
use trellis_protocol::MAX_BATCH_ENTRIES;

use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::extract::{ApiBody, ApiQuery};
use crate::storage::{PullQuery, StorageError};
use crate::AppState;

/// Entries in a pull reply when the request gives no `limit`.
pub const DEFAULT_PULL_LIMIT: usize = 500;

/// A pull reply stops before its change bytes would pass this (8 MiB); at least one entry is
/// always returned, and entries are at most [`trellis_protocol::MAX_ENTRY_BYTES`].
pub const MAX_PULL_BYTES: usize = 8 << 20;

/// `POST /v1/workspaces/{ws}/push` and `GET /v1/workspaces/{ws}/pull`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/push", post(push))
        .route("/v1/workspaces/{ws}/pull", get(pull))
}

/// Stores a batch: 200 with one seq per entry; 400 malformed; 413 too large.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/push",
    tag = "sync",
    params(crate::openapi::WorkspacePath),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A push batch (`trellis_protocol::batch::encode_push`)"),
    responses(
        (status = 200, description = "One seq per entry; replayed entries keep their seq", body = crate::openapi::PushResponse),
        (status = 400, description = "Malformed workspace id or batch", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid device token (`unauthorized`), or a revoked device (`revoked`)", body = crate::openapi::ErrorBody),
        (status = 403, description = "The token belongs to another workspace, or the role does not allow this", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`", body = crate::openapi::ErrorBody),
        (status = 413, description = "Too many entries, an entry or the body too large", body = crate::openapi::ErrorBody)
    ),
    security(("bearer" = []))
)]
async fn push(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiBody(body): ApiBody,
) -> Result<Json<PushResponse>, AppError> {
    let entries = batch::decode_push(&body).map_err(decode_error)?;
    drop(body);
    let outcome = state.storage.push(caller.workspace_id, entries).await?;
    if outcome.stored > 0 {
        state.notifier.advance(caller.workspace_id, outcome.head);
    }
    tracing::info!(
        workspace = %caller.workspace_id,
        entries = outcome.seqs.len(),
        stored = outcome.stored,
        head = outcome.head,
        "push"
    );
    Ok(Json(PushResponse {
        seqs: outcome.seqs,
        stored: outcome.stored,
        head: outcome.head,
    }))
}

fn decode_error(e: DecodeError) -> AppError {
    match e {
        DecodeError::TooManyEntries(_) | DecodeError::EntryTooLarge(_) => {
            AppError::too_large(e.to_string())
        }
        other => AppError::bad_request(format!("the push body is not a valid batch: {other}")),
    }
}

/// `?after=SEQ&limit=N`, both optional.
#[derive(Debug, Deserialize)]
struct PullParams {
    after: Option<u64>,
    limit: Option<u64>,
}

/// Reads entries after a seq: 200 `application/octet-stream`, with the key epoch (and, for
/// owners and admins, whether a rotation is needed) in headers; 400 for a bad query.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/pull",
    tag = "sync",
    params(crate::openapi::WorkspacePath, crate::openapi::PullParams),
    responses(
        (status = 200, description = "A pull batch (`trellis_protocol::batch::encode_pull`)", content_type = "application/octet-stream", body = Vec<u8>,
            headers(
                ("x-trellis-key-epoch" = u32, description = "The workspace's current key epoch"),
                ("x-trellis-rotation-needed" = bool, description = "Owners and admins only: a member left or a device was revoked since the last rotation")
            )),
        (status = 400, description = "Malformed workspace id or query", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid device token (`unauthorized`), or a revoked device (`revoked`)", body = crate::openapi::ErrorBody),
        (status = 403, description = "The token belongs to another workspace, or the role does not allow this", body = crate::openapi::ErrorBody),
        (status = 410, description = "`compacted`: the entries after `after` were compacted into a checkpoint; bootstrap from it", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`", body = crate::openapi::ErrorBody)
    ),
    security(("bearer" = []))
)]
async fn pull(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<PullParams>,
) -> Result<Response, AppError> {
    let limit = match params.limit {
        None => DEFAULT_PULL_LIMIT,
        Some(0) => return Err(AppError::bad_request("limit must be at least 1")),
        Some(n) => usize::try_from(n).map_or(MAX_BATCH_ENTRIES, |n| n.min(MAX_BATCH_ENTRIES)),
    };
    let query = PullQuery {
        after: params.after.unwrap_or(0),
        limit,
        max_bytes: MAX_PULL_BYTES,
    };
    let batch = match state.storage.pull(caller.workspace_id, query).await {
        Err(StorageError::Compacted { .. }) => return Ok(super::checkpoints::compacted()),
        other => other?,
    };
    // What the device needs to know about the key rides along, so a reconnect with nothing
    // new is this one request.
    let keys = state.storage.members(caller.workspace_id).await?;
    let mut response = (
        [(CONTENT_TYPE, "application/octet-stream")],
        batch::encode_pull(&batch),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(KEY_EPOCH_HEADER, HeaderValue::from(keys.key_epoch));
    if matches!(caller.device.role, Role::Owner | Role::Admin) {
        let needed = if keys.rotation_needed {
            "true"
        } else {
            "false"
        };
        headers.insert(ROTATION_NEEDED_HEADER, HeaderValue::from_static(needed));
    }
    Ok(response)
}
