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
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{
    PushResponse, Role, KEY_EPOCH_HEADER, LOG_ID_HEADER, ROLE_HEADER, ROSTER_HEAD_HEADER,
    ROTATION_NEEDED_HEADER,
};
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

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(push, pull))]
pub struct Api;

/// Stores a batch: 200 with one seq per entry, the key epoch, the roster's head and (owners
/// and admins) whether a rotation is needed; 400 malformed; 409 `stale_key` when the `x-trellis-key-epoch` request
/// header names an older key than the workspace's newest; 413 too large. Without the header
/// the batch is stored whatever key sealed it.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/push",
    tag = "sync",
    params(
        super::doc::WorkspacePath,
        ("x-trellis-key-epoch" = Option<u32>, Header, description = "The key epoch the entries are sealed with; an older one than the workspace's is refused with 409 `stale_key`")
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A push batch (`trellis_protocol::batch::encode_push`)"),
    responses(
        (status = 200, description = "One seq per entry; replayed entries keep their seq", body = trellis_protocol::api::PushResponse),
        (status = 400, description = "Malformed workspace id or batch", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 409, description = "`stale_key`: the entries are sealed with an older key than the workspace's newest; nothing was stored", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 413, description = "Too many entries, an entry or the body too large", body = trellis_protocol::api::ErrorBody)
    ),
    security(("bearer" = []))
)]
async fn push(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Json<PushResponse>, AppError> {
    let sealed_with = match headers.get(KEY_EPOCH_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.parse::<u32>().ok())
                .ok_or_else(|| {
                    AppError::bad_request("the x-trellis-key-epoch header must be a key epoch")
                })?,
        ),
    };
    let entries = batch::decode_push(&body).map_err(decode_error)?;
    drop(body);
    let outcome = state
        .storage
        .push(caller.workspace_id, entries, sealed_with)
        .await?;
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
    let owner_or_admin = matches!(caller.device.role, Role::Owner | Role::Admin);
    Ok(Json(PushResponse {
        seqs: outcome.seqs,
        stored: outcome.stored,
        head: outcome.head,
        key_epoch: Some(outcome.key_epoch),
        rotation_needed: owner_or_admin.then_some(outcome.rotation_needed),
        log_id: Some(state.storage.log_id().to_string()),
        role: Some(caller.device.role),
        roster_head: outcome.roster_head,
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

/// Reads entries after a seq: 200 `application/octet-stream`, with the key epoch, the log's
/// identity, the caller's role, the roster's head (and, for owners and admins, whether a
/// rotation is needed) in headers; 400 for a bad query.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/pull",
    tag = "sync",
    params(super::doc::WorkspacePath, super::doc::PullParams),
    responses(
        (status = 200, description = "A pull batch (`trellis_protocol::batch::encode_pull`)", content_type = "application/octet-stream", body = Vec<u8>,
            headers(
                ("x-trellis-key-epoch" = u32, description = "The workspace's current key epoch"),
                ("x-trellis-rotation-needed" = bool, description = "Owners and admins only: a member left or a device was revoked since the last rotation"),
                ("x-trellis-log-id" = String, description = "The identity of the relay's log; it changes when a backup is restored"),
                ("x-trellis-role" = String, description = "The caller's role now: owner, admin or member"),
                ("x-trellis-roster-head" = u64, description = "The newest seq of the workspace's signed roster: fetch the roster when it is past the one the device holds")
            )),
        (status = 400, description = "Malformed workspace id or query", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 410, description = "`compacted`: the entries after `after` were compacted into a checkpoint; bootstrap from it", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited))
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
    // What the device needs to know about the key and the roster rides along, so a reconnect
    // with nothing new is this one request.
    let sync = state.storage.sync_state(caller.workspace_id).await?;
    let mut response = (
        [(CONTENT_TYPE, "application/octet-stream")],
        batch::encode_pull(&batch),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(KEY_EPOCH_HEADER, HeaderValue::from(sync.key_epoch));
    headers.insert(ROSTER_HEAD_HEADER, HeaderValue::from(sync.roster_head));
    if matches!(caller.device.role, Role::Owner | Role::Admin) {
        let needed = if sync.rotation_needed {
            "true"
        } else {
            "false"
        };
        headers.insert(ROTATION_NEEDED_HEADER, HeaderValue::from_static(needed));
    }
    if let Ok(log_id) = HeaderValue::from_str(state.storage.log_id()) {
        headers.insert(LOG_ID_HEADER, log_id);
    }
    headers.insert(
        ROLE_HEADER,
        HeaderValue::from_static(caller.device.role.as_str()),
    );
    Ok(response)
}
