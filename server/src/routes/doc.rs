//! What the endpoints' OpenAPI descriptions share: the path and query parameters, and the
//! refusals many endpoints answer alike (401, 403, 413, 429, and the roster's 409 and 507,
//! with the JSON error body), each
//! declared once here and named by every handler's `#[utoipa::path]` that can answer it.
//!
//! The bodies themselves are `trellis-protocol` types, described by that crate (its `openapi`
//! feature), so the document and the wire format have one source.

use trellis_protocol::api::ErrorBody;
use utoipa::{IntoParams, ToResponse};

/// 401: no valid device token, or the token of a revoked device.
#[derive(Debug, ToResponse)]
#[response(description = "No valid device token (`unauthorized`), or a revoked device (`revoked`)")]
pub struct Unauthorized(pub ErrorBody);

/// 403: a token of another workspace, or a role that does not allow the call.
#[derive(Debug, ToResponse)]
#[response(description = "The token belongs to another workspace, or the role does not allow this")]
pub struct Forbidden(pub ErrorBody);

/// 403 where every member may make the call: a token of another workspace.
#[derive(Debug, ToResponse)]
#[response(description = "The token belongs to another workspace")]
pub struct OtherWorkspace(pub ErrorBody);

/// 413: a JSON body over the control endpoints' limit.
#[derive(Debug, ToResponse)]
#[response(description = "Body too large")]
pub struct BodyTooLarge(pub ErrorBody);

/// 429: the caller's rate limit is spent.
#[derive(Debug, ToResponse)]
#[response(description = "Rate limited; see `Retry-After`")]
pub struct RateLimited(pub ErrorBody);

/// 409 `roster_moved`: the call's roster events do not start at the roster's next position.
#[derive(Debug, ToResponse)]
#[response(
    description = "`roster_moved`: the roster events do not start at the roster's next position (another device appended first); nothing was applied: fetch the roster, make the events again and retry"
)]
pub struct RosterMoved(pub ErrorBody);

/// 507 `quota_exceeded`: the roster holds the most events a workspace's roster may.
#[derive(Debug, ToResponse)]
#[response(
    description = "`quota_exceeded`: the roster holds 100,000 events, the most it may; nothing was applied"
)]
pub struct RosterFull(pub ErrorBody);

/// The `{ws}` path parameter.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WorkspacePath {
    /// The workspace id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub ws: String,
}

/// The `{ws}` and `{device}` path parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DevicePath {
    /// The workspace id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub ws: String,
    /// The device id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub device: String,
}

/// The `{ws}` and `{member}` path parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// The workspace id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub ws: String,
    /// The member id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub member: String,
}

/// The `{ws}` and `{invite}` path parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitePath {
    /// The workspace id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub ws: String,
    /// The invite id (`invite_id` of the invite's creation): 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub invite: String,
}

/// The `{ws}` and `{id}` (checkpoint) path parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CheckpointPath {
    /// The workspace id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub ws: String,
    /// The checkpoint id: 32 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub id: String,
}

/// `GET /v1/workspaces/{ws}/checkpoints/{id}/docs` query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocsParams {
    /// Return documents whose id sorts after this one (32 hex digits; default: from the first).
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub after: Option<String>,
    /// At most this many documents (default 500, at most 5000, at least 1); a body also stops
    /// before 8 MiB of snapshots.
    pub limit: Option<u64>,
}

/// `GET /v1/workspaces/{ws}/keys` query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeysParams {
    /// Return keys of epochs after this one (absent: every stored key, a granted epoch 0
    /// included; rotations store epochs from 1, grants any epoch the workspace has reached).
    pub after: Option<u32>,
}

/// `GET /v1/workspaces/{ws}/roster` query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterParams {
    /// Return events with a seq greater than this (default 0: from the first).
    pub after: Option<u64>,
}

/// `GET /v1/workspaces/{ws}/pull` query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// Return entries with a seq greater than this (default 0).
    pub after: Option<u64>,
    /// At most this many entries (default 500, at most 1000, at least 1).
    pub limit: Option<u64>,
}
