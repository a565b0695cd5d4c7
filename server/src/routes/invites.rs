//! Invites: how members and their further devices join a workspace.
//!
//! An invite is a single-use secret with a role and an expiry; the relay keeps only its hash.
//! Any device may invite another device of its own member (same role); only owners and admins
//! may invite new members, and never as owners. Redeeming is atomic in storage, so of two
//! devices racing with one secret exactly one gets in. The invite code a person passes on also
//! carries the workspace key, which never reaches the relay.
//!
//! Each invite also has an id the relay makes (`invite_id`), by which the owner, an admin or
//! the member who issued it cancels it until it is redeemed; a cancelled invite answers 410.
//! Issuing, redeeming and cancelling each carry the roster events that describe them, stored
//! in the same transaction.

use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, DeviceCredentials, RedeemInviteRequest, Role,
    RosterAppend,
};
use trellis_protocol::Id;

use super::roster::decode_events;
use super::{device_key, CONTROL_BODY_LIMIT};
use crate::auth::{SecretHash, WorkspaceDevice};
use crate::error::AppError;
use crate::extract::{ApiJson, OptionalJson};
use crate::storage::{NewInvite, Redemption, StorageError};
use crate::AppState;

/// How long an invite lives when the request does not say: 72 hours.
pub const DEFAULT_INVITE_TTL_SECONDS: u64 = 72 * 3600;

/// The longest an invite may live: 30 days (longer requests are shortened).
pub const MAX_INVITE_TTL_SECONDS: u64 = 30 * 24 * 3600;

/// `POST /v1/workspaces/{ws}/invites`, `POST /v1/invites/redeem` and
/// `POST /v1/workspaces/{ws}/invites/{invite}/cancel`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/invites", post(create_invite))
        .route("/v1/invites/redeem", post(redeem_invite))
        .route(
            "/v1/workspaces/{ws}/invites/{invite}/cancel",
            post(cancel_invite),
        )
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create_invite, redeem_invite, cancel_invite))]
pub struct Api;

/// Issues an invite: 201 with the secret and the invite's id; 403 if a member invites a
/// member; 400 for an owner invite, a zero TTL or malformed roster events; 409 when the
/// workspace used the invite id already, `roster_moved` when the roster events do not start at
/// the roster's next position (no invite is stored).
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/invites",
    tag = "invites",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::CreateInviteRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The invite", body = trellis_protocol::api::CreateInviteResponse),
        (status = 400, description = "Malformed workspace id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 409, description = "The workspace used this invite id already; or `roster_moved`: the roster events do not start at the roster's next position. Nothing was stored", body = trellis_protocol::api::ErrorBody),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn create_invite(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateInviteRequest>,
) -> Result<(StatusCode, Json<CreateInviteResponse>), AppError> {
    let role = if req.device {
        caller.device.role
    } else {
        if !caller.device.role.can_invite_members() {
            return Err(AppError::forbidden(
                "only an owner or an admin may invite new members; members may invite their own devices",
            ));
        }
        if req.role == Role::Owner {
            return Err(AppError::bad_request(
                "a new member can be invited as member or admin, not as owner",
            ));
        }
        req.role
    };
    let ttl = match req.ttl_seconds {
        None => DEFAULT_INVITE_TTL_SECONDS,
        Some(0) => {
            return Err(AppError::bad_request(
                "ttl_seconds must be at least 1 (leave it out for 72 hours)",
            ))
        }
        Some(ttl) => ttl.min(MAX_INVITE_TTL_SECONDS),
    };
    // `ttl` is at most 30 days, far inside i64.
    let expires_at = state
        .clock
        .now()
        .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let roster = decode_events(req.roster)?;
    let secret = trellis_protocol::random_secret();
    let invite_id = req.invite_id.unwrap_or_else(Id::random);
    state
        .storage
        .create_invite(NewInvite {
            secret_hash: SecretHash::of(&secret),
            workspace_id: caller.workspace_id,
            role,
            device: req.device,
            inviter_member_id: caller.device.member_id,
            expires_at,
            invite_id,
            roster,
        })
        .await?;
    tracing::info!(workspace = %caller.workspace_id, device = req.device, "invite issued");
    Ok((
        StatusCode::CREATED,
        Json(CreateInviteResponse {
            invite_secret: secret,
            role,
            device: req.device,
            expires_at,
            invite_id,
        }),
    ))
}

/// Redeems an invite and registers the device: 201 with its token; 400 if `device_key` is not
/// 64 hexadecimal digits or the roster events are malformed; 404 for an unknown secret or
/// another workspace; 410 if used, expired, cancelled, issued by a member since removed, or
/// issued before the last key rotation; 409 if the proposed member id or the device id is
/// taken, or `roster_moved` (nothing changes). The same redemption repeated (same device and
/// token: its answer was lost) gets the same 201, even though the invite is used, when its
/// roster events are those stored.
#[utoipa::path(
    post,
    path = "/v1/invites/redeem",
    tag = "invites",
    request_body(content = trellis_protocol::api::RedeemInviteRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new device", body = trellis_protocol::api::DeviceCredentials),
        (status = 400, description = "Malformed body, device key or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 404, description = "No such invite for this workspace", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The member or device id is taken, or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 410, description = "The invite was used, has expired, was cancelled or is stale", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
)]
async fn redeem_invite(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RedeemInviteRequest>,
) -> Result<(StatusCode, Json<DeviceCredentials>), AppError> {
    let device_key = device_key(&req.device_key)?;
    let token = super::device_token(req.token.as_deref())?;
    let roster = decode_events(req.roster)?;
    let redeemed = state
        .storage
        .redeem_invite(Redemption {
            secret_hash: SecretHash::of(&req.invite_secret),
            workspace_id: req.workspace_id,
            device_id: req.device_id,
            member_id: req.member_id,
            device_key,
            token_hash: SecretHash::of(&token),
            now: state.clock.now(),
            roster,
        })
        .await
        .map_err(|e| match e {
            StorageError::NotFound => {
                AppError::not_found("no invite with this secret exists for this workspace")
            }
            StorageError::Gone => {
                AppError::gone("this invite was already used, has expired or was cancelled")
            }
            StorageError::Conflict => AppError::conflict(
                "this member id already exists in the workspace; propose a new one",
            ),
            other => other.into(),
        })?;
    tracing::info!(workspace = %req.workspace_id, "invite redeemed");
    Ok((
        StatusCode::CREATED,
        Json(DeviceCredentials {
            workspace_id: req.workspace_id,
            member_id: redeemed.member_id,
            role: redeemed.role,
            token,
        }),
    ))
}

#[derive(Debug, Deserialize)]
struct InviteParam {
    invite: String,
}

/// Cancels an invite by its id, with the roster events that say so (an optional
/// [`RosterAppend`] body; an empty body is none): 204, also if it was cancelled already (the
/// events are appended all the same); 400 for a malformed id, body or events; 403 if a member
/// names an invite she did not issue; 404 for an unknown invite; 409 if it was redeemed
/// already, or `roster_moved` (nothing changes). Its redemption then answers 410.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/invites/{invite}/cancel",
    tag = "invites",
    params(super::doc::InvitePath),
    request_body(content = Option<trellis_protocol::api::RosterAppend>, content_type = "application/json", description = "Optional: the roster events of the cancellation"),
    responses(
        (status = 204, description = "Cancelled (also if it was already)"),
        (status = 400, description = "Malformed id, body or roster events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 404, description = "No such invite in this workspace", body = trellis_protocol::api::ErrorBody),
        (status = 409, description = "The invite was redeemed already, or `roster_moved`: the roster events do not start at the roster's next position (nothing changes)", body = trellis_protocol::api::ErrorBody),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn cancel_invite(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    param: Result<Path<InviteParam>, PathRejection>,
    OptionalJson(body): OptionalJson<RosterAppend>,
) -> Result<StatusCode, AppError> {
    let invite = super::path_id(param.map(|Path(p)| p.invite), "invite")?;
    let roster = decode_events(body.roster)?;
    state
        .storage
        .cancel_invite(caller.device, invite, roster, state.clock.now())
        .await
        .map_err(|e| match e {
            StorageError::NotFound => AppError::not_found("this workspace has no such invite"),
            other => other.into(),
        })?;
    tracing::info!(workspace = %caller.workspace_id, "invite cancelled");
    Ok(StatusCode::NO_CONTENT)
}
