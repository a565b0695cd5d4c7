//! Signup: a device that made a workspace registers it, becoming its owner's first device.
//!
//! Ids are made on the device (the workspace exists offline before it is ever synced), so the
//! relay only checks that the workspace id is free. Signup needs the operator's secret, so a
//! public relay is not an open store for strangers. It carries the first events of the
//! workspace's signed roster (from seq 1, the creation itself), stored in the same transaction.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use trellis_protocol::api::{CreateWorkspaceRequest, DeviceCredentials, Role};

use super::roster::decode_events;
use super::{device_key, CONTROL_BODY_LIMIT};
use crate::auth::{SecretHash, SignupAuthorized};
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::storage::{NewWorkspace, StorageError};
use crate::AppState;

/// `POST /v1/workspaces`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces", post(create_workspace))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create_workspace))]
pub struct Api;

/// Creates the workspace, its owner and the owner's first device, with the roster's first
/// events: 201 with the device's token; 400 if `device_key` is not 64 hexadecimal digits (or
/// `token` not 64 lowercase ones), or `roster` is empty, malformed or does not start at seq 1;
/// 401 without the signup secret; 409 if the workspace id is taken. The same signup repeated
/// (same workspace, owner, device and token: its answer was lost) gets the same 201 when its
/// roster events are those stored (409 `roster_moved` otherwise).
#[utoipa::path(
    post,
    path = "/v1/workspaces",
    tag = "workspaces",
    request_body(content = trellis_protocol::api::CreateWorkspaceRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The owner's first device", body = trellis_protocol::api::DeviceCredentials),
        (status = 400, description = "Malformed body, device key or roster events, or no roster event at seq 1", body = trellis_protocol::api::ErrorBody),
        (status = 401, description = "Missing or wrong signup secret", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The workspace id is taken (by another signup than this one), or `roster_moved`: a repeated signup whose roster events are not those stored", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("signup_secret" = []))
)]
async fn create_workspace(
    _signup: SignupAuthorized,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateWorkspaceRequest>,
) -> Result<(StatusCode, Json<DeviceCredentials>), AppError> {
    let device_key = device_key(&req.device_key)?;
    let token = super::device_token(req.token.as_deref())?;
    let roster = decode_events(req.roster)?;
    if roster.first().map(|e| e.seq) != Some(1) {
        return Err(AppError::bad_request(
            "a new workspace's roster starts with its creation: send at least one roster event, \
             the first at seq 1",
        ));
    }
    state
        .storage
        .create_workspace(NewWorkspace {
            workspace_id: req.workspace_id,
            member_id: req.member_id,
            device_id: req.device_id,
            device_key,
            token_hash: SecretHash::of(&token),
            now: state.clock.now(),
            roster,
        })
        .await
        .map_err(|e| match e {
            StorageError::Conflict => AppError::conflict("a workspace with this id already exists"),
            other => other.into(),
        })?;
    tracing::info!(workspace = %req.workspace_id, "workspace created");
    Ok((
        StatusCode::CREATED,
        Json(DeviceCredentials {
            workspace_id: req.workspace_id,
            member_id: req.member_id,
            role: Role::Owner,
            token,
        }),
    ))
}
