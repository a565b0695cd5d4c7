//! Checkpoints: sealed per-document snapshots that bring a new device up to date without the
//! whole log, and let the relay compact the log they cover (`trellis_protocol::snapshot`).
//!
//! The relay stays blind: a snapshot is sealed bytes under a document id, stored and returned
//! byte for byte. A device that has applied the log up to seq `S` starts a checkpoint at `S`,
//! uploads every document in one or more bodies, and completes it with the number of documents
//! it sent. Completing makes it the newest complete checkpoint, deletes older checkpoints and
//! compacts the log entries up to `S`: they leave the quota at once but are kept, and pulled,
//! for the relay's grace period (`--compacted-grace-days`, 7 by default), so a device offline
//! for a day pulls them instead of downloading the checkpoint. Once the grace is over they are
//! deleted and the log floor rises past them; a pull from before the floor is then
//! `410 compacted` (see [`compacted`]), and the device bootstraps from the checkpoint.
//!
//! Starting, uploading and completing a checkpoint take the token of an owner's or an admin's
//! device (completing one compacts the practice's log); reading the newest one and downloading
//! its documents take any current member's device of the workspace.

use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{codes, ErrorBody};
use trellis_protocol::batch::DecodeError;
use trellis_protocol::snapshot::{
    self, BeginCheckpoint, CheckpointInfo, CompleteCheckpoint, MAX_SNAPSHOTS_PER_BODY,
};
use trellis_protocol::Id;

use super::CONTROL_BODY_LIMIT;
use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::extract::{ApiBody, ApiJson, ApiQuery};
use crate::storage::{policy, CheckpointRefusal, DocsQuery, NewCheckpoint, StorageError};
use crate::AppState;

/// Documents in a download when the request gives no `limit`.
pub const DEFAULT_DOCS_LIMIT: usize = 500;

/// A download stops before its snapshot bytes would pass this (8 MiB); at least one document is
/// always returned, and each is at most [`snapshot::MAX_SNAPSHOT_BYTES`].
pub const MAX_DOCS_BYTES: usize = 8 << 20;

/// The checkpoint endpoints.
pub fn router() -> Router<AppState> {
    let control = Router::new()
        .route("/v1/workspaces/{ws}/checkpoints", post(begin))
        .route(
            "/v1/workspaces/{ws}/checkpoints/{id}/complete",
            post(complete),
        )
        .route("/v1/workspaces/{ws}/checkpoint", get(latest))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT));
    // Uploads take the relay's full body limit.
    let docs = Router::new().route(
        "/v1/workspaces/{ws}/checkpoints/{id}/docs",
        post(upload_docs).get(download_docs),
    );
    control.merge(docs)
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(begin, upload_docs, complete, latest, download_docs))]
pub struct Api;

/// The answer to a pull from before the log floor: 410 with code `compacted`.
pub fn compacted() -> Response {
    let body = ErrorBody {
        error: codes::COMPACTED.to_owned(),
        message: "the log entries this device needs were compacted into a checkpoint; \
                  bootstrap from GET .../checkpoint, then pull after its seq"
            .to_owned(),
    };
    (StatusCode::GONE, Json(body)).into_response()
}

/// Maps a storage failure of a checkpoint call to its answer.
fn checkpoint_error(e: StorageError) -> AppError {
    match e {
        StorageError::NotFound => AppError::not_found("there is no such checkpoint"),
        StorageError::Checkpoint(CheckpointRefusal::AheadOfLog { head }) => AppError::bad_request(
            format!("seq is past the newest seq of the log ({head}); pull first"),
        ),
        StorageError::Checkpoint(CheckpointRefusal::Superseded { newest }) => AppError::conflict(
            format!("a complete checkpoint covers a later seq ({newest}); sync and start again"),
        ),
        StorageError::Checkpoint(CheckpointRefusal::AlreadyComplete) => {
            AppError::conflict("the checkpoint is complete already; its documents cannot change")
        }
        StorageError::Checkpoint(CheckpointRefusal::DocCount { stored, expected }) => {
            AppError::conflict(format!(
                "the relay holds {stored} documents for this checkpoint, not {expected}; \
                 upload the missing ones or start a new checkpoint"
            ))
        }
        StorageError::Checkpoint(CheckpointRefusal::TooManyOpen { limit }) => {
            AppError::QuotaExceeded(
                format!(
                    "{limit} checkpoints of this practice are under way already; finish one, \
                     or wait a day for the abandoned ones to be dropped"
                )
                .into(),
            )
        }
        StorageError::Checkpoint(CheckpointRefusal::MissingDocuments { missing }) => {
            AppError::conflict(format!(
                "{missing} documents of the log or of the previous checkpoint are not in this \
                 checkpoint; completing it would lose their history (sync, then start again)"
            ))
        }
        other => other.into(),
    }
}

#[derive(Debug, Deserialize)]
struct CheckpointParam {
    id: String,
}

/// Parses the checkpoint id from the path: 400 unless it is 32 hexadecimal digits.
fn checkpoint_id(raw: Result<Path<CheckpointParam>, PathRejection>) -> Result<Id, AppError> {
    raw.ok()
        .and_then(|Path(p)| p.id.parse().ok())
        .ok_or_else(|| {
            AppError::bad_request("the checkpoint id in the path must be 32 hexadecimal digits")
        })
}

/// Starts a checkpoint at a seq no later than the head: 201 with its id.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/checkpoints",
    tag = "checkpoints",
    params(super::doc::WorkspacePath),
    request_body = trellis_protocol::snapshot::BeginCheckpoint,
    responses(
        (status = 201, description = "Started, with no documents yet", body = trellis_protocol::snapshot::CheckpointInfo),
        (status = 400, description = "Malformed workspace id or body, or a seq past the head", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 409, description = "A complete checkpoint covers a later seq", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn begin(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BeginCheckpoint>,
) -> Result<(StatusCode, Json<CheckpointInfo>), AppError> {
    let new = NewCheckpoint {
        checkpoint_id: Id::random(),
        seq: req.seq,
        now: state.clock.now(),
    };
    let info = state
        .storage
        .begin_checkpoint(caller.device, new)
        .await
        .map_err(checkpoint_error)?;
    tracing::info!(workspace = %caller.workspace_id, seq = info.seq, "checkpoint started");
    Ok((StatusCode::CREATED, Json(info)))
}

fn decode_error(e: DecodeError) -> AppError {
    match e {
        DecodeError::TooManyEntries(_) | DecodeError::EntryTooLarge(_) => {
            AppError::too_large(e.to_string())
        }
        other => AppError::bad_request(format!("the body is not a valid snapshot batch: {other}")),
    }
}

/// Stores (or replaces) snapshots in an incomplete checkpoint: 204.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/checkpoints/{id}/docs",
    tag = "checkpoints",
    params(super::doc::CheckpointPath),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A snapshot batch (`trellis_protocol::snapshot::encode_docs`)"),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "Malformed id or batch", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 404, description = "No such checkpoint", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The checkpoint is complete already", body = trellis_protocol::api::ErrorBody),
        (status = 413, description = "Too many snapshots, a snapshot or the body too large", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn upload_docs(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    id: Result<Path<CheckpointParam>, PathRejection>,
    ApiBody(body): ApiBody,
) -> Result<StatusCode, AppError> {
    // Only owners and admins cut checkpoints (begin and complete check it again inside their
    // transactions); then the body is checked before the path's id, so a malformed or
    // oversized body gets its own answer whatever it was sent to.
    policy::may_checkpoint(caller.device.role)?;
    let batch = snapshot::decode_docs(&body).map_err(decode_error)?;
    drop(body);
    let checkpoint = checkpoint_id(id)?;
    let count = batch.docs.len();
    state
        .storage
        .put_checkpoint_docs(caller.workspace_id, checkpoint, batch.docs)
        .await
        .map_err(checkpoint_error)?;
    tracing::info!(workspace = %caller.workspace_id, docs = count, "checkpoint documents stored");
    Ok(StatusCode::NO_CONTENT)
}

/// Completes a checkpoint holding exactly `docs` documents, and compacts the log it covers:
/// 204.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/checkpoints/{id}/complete",
    tag = "checkpoints",
    params(super::doc::CheckpointPath),
    request_body = trellis_protocol::snapshot::CompleteCheckpoint,
    responses(
        (status = 204, description = "Complete: the newest checkpoint; older ones are deleted, and the log entries it covers are compacted (kept, and pulled, for the relay's grace period, then deleted)"),
        (status = 400, description = "Malformed id or body", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 404, description = "No such checkpoint", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The relay holds another number of documents, the checkpoint is complete already, or a later one is", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn complete(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    id: Result<Path<CheckpointParam>, PathRejection>,
    ApiJson(req): ApiJson<CompleteCheckpoint>,
) -> Result<StatusCode, AppError> {
    let checkpoint = checkpoint_id(id)?;
    let done = state
        .storage
        .complete_checkpoint(caller.device, checkpoint, req.docs, state.clock.now())
        .await
        .map_err(checkpoint_error)?;
    tracing::info!(
        workspace = %caller.workspace_id,
        seq = done.checkpoint.seq,
        docs = done.checkpoint.docs,
        bytes = done.checkpoint.bytes,
        entries_compacted = done.entries_compacted,
        entries_deleted = done.entries_deleted,
        checkpoints_removed = done.checkpoints_removed,
        floor = done.floor,
        "checkpoint completed, log compacted"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The newest complete checkpoint: 200, or 404 when there is none.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/checkpoint",
    tag = "checkpoints",
    params(super::doc::WorkspacePath),
    responses(
        (status = 200, description = "The newest complete checkpoint, with its documents and bytes", body = trellis_protocol::snapshot::CheckpointInfo),
        (status = 400, description = "Malformed workspace id", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::OtherWorkspace)),
        (status = 404, description = "No complete checkpoint yet", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn latest(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
) -> Result<Json<CheckpointInfo>, AppError> {
    state
        .storage
        .latest_checkpoint(caller.workspace_id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found("the workspace has no complete checkpoint yet"))
}

/// `?after=DOC_ID&limit=N`, both optional.
#[derive(Debug, Deserialize)]
struct DocsParams {
    after: Option<String>,
    limit: Option<u64>,
}

/// Reads a complete checkpoint's snapshots in doc id order: 200 `application/octet-stream`.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/checkpoints/{id}/docs",
    tag = "checkpoints",
    params(super::doc::CheckpointPath, super::doc::DocsParams),
    responses(
        (status = 200, description = "A snapshot batch (`trellis_protocol::snapshot::encode_docs`) with `more` set when documents remain", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Malformed id or query", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::OtherWorkspace)),
        (status = 404, description = "No such complete checkpoint", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn download_docs(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    id: Result<Path<CheckpointParam>, PathRejection>,
    ApiQuery(params): ApiQuery<DocsParams>,
) -> Result<Response, AppError> {
    let checkpoint = checkpoint_id(id)?;
    let after = match params.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<Id>().map_err(|_| {
            AppError::bad_request("after must be a document id: 32 hexadecimal digits")
        })?),
    };
    let limit = match params.limit {
        None => DEFAULT_DOCS_LIMIT,
        Some(0) => return Err(AppError::bad_request("limit must be at least 1")),
        Some(n) => {
            usize::try_from(n).map_or(MAX_SNAPSHOTS_PER_BODY, |n| n.min(MAX_SNAPSHOTS_PER_BODY))
        }
    };
    let query = DocsQuery {
        after,
        limit,
        max_bytes: MAX_DOCS_BYTES,
    };
    let batch = state
        .storage
        .checkpoint_docs(caller.workspace_id, checkpoint, query)
        .await
        .map_err(checkpoint_error)?;
    Ok((
        [(CONTENT_TYPE, "application/octet-stream")],
        snapshot::encode_docs(&batch),
    )
        .into_response())
}
