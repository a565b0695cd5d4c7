//! Membership after joining: listing members and devices, revoking a device, removing a
//! member, leaving, and transferring ownership.
//!
//! The rules live in [`crate::storage::policy`] and are checked by storage inside the same
//! transaction that makes the change, against the caller's role as it is then:
//!
//! | action | owner | admin | member |
//! | --- | --- | --- | --- |
//! | list members and devices | yes | yes | yes |
//! | revoke a device | any but her own last one | her own and members' | her own |
//! | remove a member | anyone but herself | members only | no |
//! | leave | no (transfer first) | yes | yes |
//! | transfer ownership | to a current member | no | no |
//!
//! Nobody may revoke the owner's last device not revoked yet (409): the practice would have no
//! owner who can act.
//!
//! Revoking a device or a member leaving marks the workspace key for rotation (the devices
//! that left held it); removing a member rotates it in the same transaction. Every device
//! revoked here has its open live sockets closed at once, and every later call with its token
//! is 401 `revoked` (but the roster's read, where it verifies its own removal).
//!
//! Each change carries the signed roster events that describe it (revoking and leaving in an
//! optional [`RosterAppend`] body, removing in its [`KeyRotation`], transferring in its
//! [`TransferRequest`]), appended in the change's own transaction: events that do not start at
//! the roster's next position refuse the change with 409 `roster_moved`, and nothing happens.

use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{KeyRotation, MembersResponse, RosterAppend, TransferRequest};

use super::keys::check_sealed_keys;
use super::roster::decode_events;
use super::{path_id, CONTROL_BODY_LIMIT};
use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::extract::{ApiJson, OptionalJson};
use crate::storage::StorageError;
use crate::AppState;

/// The membership endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/members", get(list_members))
        .route(
            "/v1/workspaces/{ws}/devices/{device}/revoke",
            post(revoke_device),
        )
        .route(
            "/v1/workspaces/{ws}/members/{member}/remove",
            post(remove_member),
        )
        .route("/v1/workspaces/{ws}/leave", post(leave))
        .route("/v1/workspaces/{ws}/transfer", post(transfer))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_members, revoke_device, remove_member, leave, transfer))]
pub struct Api;

#[derive(Debug, Deserialize)]
struct DeviceParam {
    device: String,
}

#[derive(Debug, Deserialize)]
struct MemberParam {
    member: String,
}

/// Every member and device of the workspace, with the key state: 200.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/members",
    tag = "members",
    params(super::doc::WorkspacePath),
    responses(
        (status = 200, description = "Members, devices and key state", body = trellis_protocol::api::MembersResponse),
        (status = 400, description = "Malformed workspace id", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn list_members(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
) -> Result<Json<MembersResponse>, AppError> {
    Ok(Json(state.storage.members(caller.workspace_id).await?))
}

/// Revokes a device, with the roster events that say so (an optional [`RosterAppend`] body;
/// an empty body is none): 204 (also if it was revoked already: then only the events are
/// appended); 400 for a malformed id, body or events; 403 if a member names another member's
/// device, or an admin an admin's or the owner's; 404 if the workspace has no such device; 409
/// for the owner's last device, or `roster_moved` (the device stays active).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/devices/{device}/revoke",
    tag = "members",
    params(super::doc::DevicePath),
    request_body(content = Option<trellis_protocol::api::RosterAppend>, content_type = "application/json", description = "Optional: the roster events of the revocation"),
    responses(
        (status = 204, description = "Revoked (also if it was already)"),
        (status = 400, description = "Malformed id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 404, description = "No such device in this workspace", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The owner's last device: add another or transfer ownership first; or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn revoke_device(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    param: Result<Path<DeviceParam>, PathRejection>,
    OptionalJson(body): OptionalJson<RosterAppend>,
) -> Result<StatusCode, AppError> {
    let device = path_id(param.map(|Path(p)| p.device), "device")?;
    let roster = decode_events(body.roster)?;
    let revoked = state
        .storage
        .revoke_device(caller.device, device, roster, state.clock.now())
        .await
        .map_err(|e| match e {
            StorageError::NotFound => AppError::not_found("this workspace has no such device"),
            other => other.into(),
        })?;
    state.notifier.revoke_devices(caller.workspace_id, &revoked);
    tracing::info!(workspace = %caller.workspace_id, revoked = revoked.len(), "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member, revokes its devices, rotates the key and appends the rotation's roster
/// events, in one transaction: 204; 400 for a malformed id, body or events; 403 for a member,
/// or an admin naming an admin or the owner; 404 for an unknown member; 409 if the owner names
/// herself, the member was removed already, the rotation does not fit, or `roster_moved`
/// (nothing changes).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/members/{member}/remove",
    tag = "members",
    params(super::doc::MemberPath),
    request_body(content = trellis_protocol::api::KeyRotation, content_type = "application/json"),
    responses(
        (status = 204, description = "Removed, devices revoked, key rotated"),
        (status = 400, description = "Malformed id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 404, description = "No such member", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "Not removable now, the rotation does not fit, or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn remove_member(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    param: Result<Path<MemberParam>, PathRejection>,
    ApiJson(mut rotation): ApiJson<KeyRotation>,
) -> Result<StatusCode, AppError> {
    let member = path_id(param.map(|Path(p)| p.member), "member")?;
    check_sealed_keys(&rotation)?;
    let roster = decode_events(std::mem::take(&mut rotation.roster))?;
    let epoch = rotation.epoch;
    let revoked = state
        .storage
        .remove_member(caller.device, member, rotation, roster, state.clock.now())
        .await
        .map_err(|e| match e {
            StorageError::NotFound => AppError::not_found("this workspace has no such member"),
            other => other.into(),
        })?;
    state.notifier.revoke_devices(caller.workspace_id, &revoked);
    tracing::info!(
        workspace = %caller.workspace_id,
        revoked = revoked.len(),
        epoch,
        "member removed, key rotated"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's member leaves, with the roster events that say so (an optional
/// [`RosterAppend`] body; an empty body is none): 204, its devices are revoked (this one
/// included) and the key is marked for rotation; 400 for malformed events; 409 for the owner,
/// who must transfer ownership first, or `roster_moved` (nothing changes).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/leave",
    tag = "members",
    params(super::doc::WorkspacePath),
    request_body(content = Option<trellis_protocol::api::RosterAppend>, content_type = "application/json", description = "Optional: the roster events of the departure"),
    responses(
        (status = 204, description = "Left; this device is revoked"),
        (status = 400, description = "Malformed workspace id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 409, description = "The owner must transfer ownership first; or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn leave(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    OptionalJson(body): OptionalJson<RosterAppend>,
) -> Result<StatusCode, AppError> {
    let roster = decode_events(body.roster)?;
    let revoked = state
        .storage
        .leave(caller.device, roster, state.clock.now())
        .await?;
    state.notifier.revoke_devices(caller.workspace_id, &revoked);
    tracing::info!(workspace = %caller.workspace_id, revoked = revoked.len(), "member left");
    Ok(StatusCode::NO_CONTENT)
}

/// Makes another member the owner and the caller an admin, with the roster events that say so:
/// 204; 400 for a malformed body or events; 403 unless the caller is the owner; 404 for an
/// unknown member; 409 if the member was removed or is the caller, or `roster_moved` (nothing
/// changes).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/transfer",
    tag = "members",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::TransferRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Ownership transferred"),
        (status = 400, description = "Malformed id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 404, description = "No such member", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The member was removed or is the caller; or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn transfer(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<StatusCode, AppError> {
    let roster = decode_events(req.roster)?;
    state
        .storage
        .transfer_ownership(caller.device, req.member_id, roster)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => AppError::not_found("this workspace has no such member"),
            other => other.into(),
        })?;
    tracing::info!(workspace = %caller.workspace_id, "ownership transferred");
    Ok(StatusCode::NO_CONTENT)
}
