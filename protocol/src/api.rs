//! JSON bodies of the relay's control endpoints, and of every error.
//!
//! None of these carry personal data: the relay knows ids, roles and opaque blobs only. Names of
//! practices and people travel inside encrypted documents.

use serde::{Deserialize, Serialize};

use crate::Id;

/// Header that carries the operator's signup secret on `POST /v1/workspaces`.
pub const SIGNUP_SECRET_HEADER: &str = "x-trellis-signup-secret";

/// The WebSocket subprotocol of the live socket. A browser's `WebSocket` cannot set an
/// `Authorization` header, so it offers this subprotocol and, beside it,
/// [`LIVE_BEARER_PROTOCOL_PREFIX`] followed by the device token; the relay reads the token from
/// there when no `Authorization` header came, and answers with this subprotocol.
pub const LIVE_PROTOCOL: &str = "trellis.live";

/// Prefix of the subprotocol that carries the device token on the live socket (see
/// [`LIVE_PROTOCOL`]): `trellis.bearer.<token>`.
pub const LIVE_BEARER_PROTOCOL_PREFIX: &str = "trellis.bearer.";

/// Response header of a pull: the workspace's current key epoch. A device that holds an older
/// newest key fetches its sealed keys before opening the batch, so a reconnect with nothing new
/// is one request.
///
/// Request header of a push: the key epoch its entries are sealed with. The relay refuses the
/// whole batch with 409 [`codes::STALE_KEY`] when the workspace has moved to a newer key, so a
/// device pushes without fetching its keys first and refetches only when told.
pub const KEY_EPOCH_HEADER: &str = "x-trellis-key-epoch";

/// Response header of a pull, for owners and admins only: `true` when a member left or a device
/// was revoked since the last key rotation, so the caller should rotate the key now.
pub const ROTATION_NEEDED_HEADER: &str = "x-trellis-rotation-needed";

/// Response header of a pull (and `log_id` of a push's answer): the identity of the relay's
/// log, random, made with its database and changed when the operator restores a backup
/// (`trellis-relay admin restored`). A device that sees it change, or a head behind its own
/// cursor, knows the log was rolled back: it pulls the whole log again and pushes back what
/// the relay lost.
pub const LOG_ID_HEADER: &str = "x-trellis-log-id";

/// Response header of a pull (and `role` of a push's answer): the caller's role as the relay
/// holds it now, so a device learns a promotion, a demotion or an ownership transfer at its
/// next sync.
pub const ROLE_HEADER: &str = "x-trellis-role";

/// Pull answer header: the newest seq of the workspace's signed roster ([`RosterEvent`]), so
/// that a device fetches the roster only when it grew.
pub const ROSTER_HEAD_HEADER: &str = "x-trellis-roster-head";

/// A member's role in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Created the workspace; may do everything.
    Owner,
    /// May invite members and devices.
    Admin,
    /// May read and write the workspace's data and add their own devices.
    Member,
}

impl Role {
    /// The lowercase name used on the wire and in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// Whether this role may invite new members.
    pub fn can_invite_members(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// `POST /v1/workspaces`: registers a workspace made on a device, with that device as the
/// owner's first device. The signup secret goes in [`SIGNUP_SECRET_HEADER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateWorkspaceRequest {
    /// The workspace id, made on the device.
    pub workspace_id: Id,
    /// The owner's member id, made on the device.
    pub member_id: Id,
    /// The registering device's id.
    pub device_id: Id,
    /// The device's X25519 public key (64 hex digits): rotated workspace keys are sealed to it.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub device_key: String,
    /// The bearer token this device will use, made on the device (64 lowercase hex digits),
    /// so that the same request repeated after a lost answer is recognized and answered with
    /// the same credentials. Absent: the relay makes one (and a repeat is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub token: Option<String>,
    /// Signed roster events to append in the same transaction as this call (see
    /// [`RosterEvent`]); the call is refused with 409 `roster_moved`, and nothing applied, when
    /// their first `seq` is not the roster's next position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roster: Vec<RosterEvent>,
}

/// Answer to signup and to invite redemption: the credentials of the registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCredentials {
    /// The workspace the device now belongs to.
    pub workspace_id: Id,
    /// The member the device belongs to.
    pub member_id: Id,
    /// That member's role.
    pub role: Role,
    /// Bearer token for every later call. The relay keeps only its hash.
    pub token: String,
}

/// `POST /v1/workspaces/{ws}/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateInviteRequest {
    /// Role of the new member, not `owner` (ignored for device invites, which keep the
    /// inviter's role).
    pub role: Role,
    /// `true`: the invite adds another device of the inviting member, not a new member.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = false))]
    pub device: bool,
    /// Seconds until the invite expires (default 72 hours; the relay caps it at 30 days, and
    /// refuses 0).
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
    /// The invite's id, chosen by the inviting device so that the signed roster's invite
    /// event can name it (any device of the practice then cancels it by that id). Absent: the
    /// relay picks one. An id the workspace has used already is refused with 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_id: Option<Id>,
    /// Signed roster events to append in the same transaction as this call (see
    /// [`RosterEvent`]); the call is refused with 409 `roster_moved`, and nothing applied, when
    /// their first `seq` is not the roster's next position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roster: Vec<RosterEvent>,
}

/// Answer to [`CreateInviteRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateInviteResponse {
    /// The single-use secret the invitee presents. The relay keeps only its hash.
    pub invite_secret: String,
    /// Role the invitee will have.
    pub role: Role,
    /// Whether it adds a device of the inviting member.
    pub device: bool,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
    /// The invite's id, to cancel it with (`POST /v1/workspaces/{ws}/invites/{invite}/cancel`).
    pub invite_id: Id,
}

/// `POST /v1/invites/redeem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemInviteRequest {
    /// The workspace named in the invite code.
    pub workspace_id: Id,
    /// The secret from the invite code.
    pub invite_secret: String,
    /// The redeeming device's id.
    pub device_id: Id,
    /// Member id the device proposes for a new member (ignored for device invites).
    pub member_id: Id,
    /// The device's X25519 public key (64 hex digits).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub device_key: String,
    /// The bearer token this device will use, made on the device (64 lowercase hex digits),
    /// so that the same request repeated after a lost answer is recognized and answered with
    /// the same credentials. Absent: the relay makes one (and a repeat is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub token: Option<String>,
    /// Signed roster events to append in the same transaction as this call (see
    /// [`RosterEvent`]); the call is refused with 409 `roster_moved`, and nothing applied, when
    /// their first `seq` is not the roster's next position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roster: Vec<RosterEvent>,
}

/// A registered device, as `GET /v1/workspaces/{ws}/members` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceInfo {
    /// Device id.
    pub device_id: Id,
    /// The member it belongs to.
    pub member_id: Id,
    /// Its X25519 public key (64 hex digits).
    pub device_key: String,
    /// Registered at, seconds since the Unix epoch.
    pub created_at: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberInfo {
    /// Member id.
    pub member_id: Id,
    /// Role.
    pub role: Role,
    /// Whether the member was removed (or left).
    pub removed: bool,
}

/// `GET /v1/workspaces/{ws}/members`: members, devices, and the key state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersResponse {
    /// Every member, removed ones included.
    pub members: Vec<MemberInfo>,
    /// Every device, revoked ones included.
    pub devices: Vec<DeviceInfo>,
    /// The newest workspace key epoch (0 = the key made with the workspace).
    pub key_epoch: u32,
    /// Whether someone left or was removed since the last key rotation: an owner or admin
    /// device should rotate the key.
    pub rotation_needed: bool,
}

/// A new workspace key sealed to one device's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrappedKey {
    /// The device it is sealed to.
    pub device_id: Id,
    /// The sealed key (a crypto_box sealed box), URL-safe base64 without padding.
    pub sealed: String,
}

/// `POST /v1/workspaces/{ws}/keys/rotate`, and the body of a member removal: the next key
/// epoch, sealed to every device that remains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRotation {
    /// The new epoch: exactly the current one plus one.
    pub epoch: u32,
    /// One sealed key per device it is sealed to: devices that remain (not revoked), each at
    /// most once (devices seal to the practice's verified roster).
    pub wrapped: Vec<WrappedKey>,
    /// Signed roster events to append in the same transaction as this call (see
    /// [`RosterEvent`]); the call is refused with 409 `roster_moved`, and nothing applied, when
    /// their first `seq` is not the roster's next position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roster: Vec<RosterEvent>,
}

/// One sealed workspace key for the calling device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyEnvelope {
    /// The key's epoch.
    pub epoch: u32,
    /// The sealed key, URL-safe base64 without padding.
    pub sealed: String,
}

/// `GET /v1/workspaces/{ws}/keys?after=EPOCH`: the calling device's sealed keys after an epoch
/// (without `after`: every one, an epoch 0 granted with [`KeyGrant`] included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeysResponse {
    /// Oldest first.
    pub keys: Vec<KeyEnvelope>,
}

/// `POST /v1/workspaces/{ws}/transfer`: make another member the owner (the caller becomes an
/// admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferRequest {
    /// The new owner.
    pub member_id: Id,
    /// Signed roster events to append in the same transaction as this call (see
    /// [`RosterEvent`]); the call is refused with 409 `roster_moved`, and nothing applied, when
    /// their first `seq` is not the roster's next position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roster: Vec<RosterEvent>,
}

/// The body of the membership calls that carry nothing else (revoking a device, leaving,
/// cancelling an invite), and of `POST /v1/workspaces/{ws}/roster`: signed roster events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterAppend {
    /// Events to append, their `seq`s consecutive from the roster's next position; the call
    /// is refused with 409 `roster_moved`, and nothing applied, otherwise.
    #[serde(default)]
    pub roster: Vec<RosterEvent>,
}

/// One event of a workspace's signed roster: who joined, with which device keys, who was
/// invited, revoked, removed, who left, who owns the practice, and each key rotation. Devices
/// make, sign and verify the events (their format is in protocol/FORMATS.md); the relay stores
/// them in order and cannot forge, alter or reorder one without every device noticing. It
/// checks only the position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterEvent {
    /// Position in the roster, from 1 (the workspace's creation).
    pub seq: u64,
    /// The signed event, URL-safe base64 without padding, at most [`MAX_ROSTER_EVENT_BYTES`]
    /// bytes once decoded.
    pub event: String,
}

/// Largest roster event, decoded (4 KiB).
pub const MAX_ROSTER_EVENT_BYTES: usize = 4096;

/// Most roster events in one answer of `GET /v1/workspaces/{ws}/roster`.
pub const MAX_ROSTER_PAGE: usize = 500;

/// `GET /v1/workspaces/{ws}/roster?after=SEQ`: the events after `SEQ`, oldest first, at most
/// [`MAX_ROSTER_PAGE`]. A device that was revoked, or whose member was removed, may still read
/// it (to verify its own removal before it deletes anything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterResponse {
    /// Oldest first.
    pub events: Vec<RosterEvent>,
    /// The roster's newest seq.
    pub head: u64,
}

/// `POST /v1/workspaces/{ws}/keys/grant`: workspace keys sealed to one device of the
/// workspace (a device admitted after joining with a code that carries no key). An epoch the
/// relay already holds for that device is kept, not replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyGrant {
    /// The device the keys are sealed to.
    pub device_id: Id,
    /// One sealed key per epoch, each at most the workspace's current epoch.
    pub keys: Vec<KeyEnvelope>,
}

/// Answer to a push: one seq per entry, in request order, and the newest seq of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// The seq of each pushed entry (the existing one for an entry the relay already had).
    pub seqs: Vec<u64>,
    /// How many entries were new.
    pub stored: u64,
    /// The newest seq in the workspace's log.
    pub head: u64,
    /// The workspace's current key epoch (absent from relays that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_epoch: Option<u32>,
    /// Owners and admins only: a member left or a device was revoked since the last key
    /// rotation, so the caller should rotate the key now (as the pull's
    /// [`ROTATION_NEEDED_HEADER`] says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_needed: Option<bool>,
    /// The identity of the relay's log ([`LOG_ID_HEADER`]; absent from relays that predate
    /// it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_id: Option<String>,
    /// The caller's role now ([`ROLE_HEADER`]; absent from relays that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The newest seq of the signed roster ([`ROSTER_HEAD_HEADER`]).
    #[serde(default)]
    pub roster_head: u64,
}

/// Sent as JSON text on the live WebSocket: the newest seq of the workspace's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveMessage {
    /// The newest seq.
    pub head: u64,
}

/// Body of every error answer: `{"error": code, "message": text}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable machine-readable code, one of the constants in [`codes`].
    #[cfg_attr(feature = "openapi", schema(value_type = codes::ErrorCode, example = "unauthorized"))]
    pub error: String,
    /// What went wrong, in words a person can act on. Never personal data.
    pub message: String,
}

/// The error codes the relay answers with.
pub mod codes {
    /// 400: the request is malformed.
    pub const BAD_REQUEST: &str = "bad_request";
    /// 401: no valid device token (or signup secret).
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 401: this device was revoked, or its member removed: it should purge the workspace.
    pub const REVOKED: &str = "revoked";
    /// 403: authenticated, but the role or workspace does not allow this.
    pub const FORBIDDEN: &str = "forbidden";
    /// 404: no such workspace or route.
    pub const NOT_FOUND: &str = "not_found";
    /// 409: the thing already exists.
    pub const CONFLICT: &str = "conflict";
    /// 410: the invite was used or has expired.
    pub const GONE: &str = "gone";
    /// 410: the log entries asked for were compacted into a checkpoint: bootstrap from it.
    pub const COMPACTED: &str = "compacted";
    /// 409: the push's entries are sealed with an older key than the workspace's newest one:
    /// fetch the keys, seal the entries again, and push again. Nothing was stored.
    pub const STALE_KEY: &str = "stale_key";
    /// 409: the roster events sent do not start at the roster's next position (another device
    /// appended first): fetch the roster, make the events again, and retry. Nothing was applied.
    pub const ROSTER_MOVED: &str = "roster_moved";
    /// 413: the body or batch is too large.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// 429: too many requests; retry after the `Retry-After` seconds.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 429: a quota that protects every practice on the relay is reached (devices of one
    /// member, live sockets of one device, unfinished checkpoints of one practice); 507: the
    /// practice's log, or its roster, is full. The message says which. Waiting does not help; freeing one (or
    /// a checkpoint) does.
    pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
    /// 500: the relay failed; retry later.
    pub const INTERNAL: &str = "internal";

    /// Every code above.
    pub const ALL: &[&str] = &[
        BAD_REQUEST,
        UNAUTHORIZED,
        REVOKED,
        FORBIDDEN,
        NOT_FOUND,
        CONFLICT,
        GONE,
        COMPACTED,
        STALE_KEY,
        ROSTER_MOVED,
        PAYLOAD_TOO_LARGE,
        RATE_LIMITED,
        QUOTA_EXCEEDED,
        INTERNAL,
    ];

    /// The codes as one string schema for the OpenAPI document (the `error` of
    /// [`ErrorBody`](super::ErrorBody)), listing [`ALL`].
    #[cfg(feature = "openapi")]
    pub struct ErrorCode;

    #[cfg(feature = "openapi")]
    impl utoipa::PartialSchema for ErrorCode {
        fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .enum_values(Some(ALL.iter().copied()))
                .description(Some("A stable machine-readable error code."))
                .into()
        }
    }

    #[cfg(feature = "openapi")]
    impl utoipa::ToSchema for ErrorCode {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_requests_have_stable_json() {
        assert_eq!(serde_json::to_string(&Role::Admin).unwrap(), "\"admin\"");
        let req: CreateInviteRequest = serde_json::from_str(r#"{"role":"member"}"#).unwrap();
        assert!(!req.device);
        assert_eq!(req.ttl_seconds, None);
        for role in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(!Role::Member.can_invite_members());
    }

    #[test]
    fn every_error_code_is_listed_once() {
        let listed: std::collections::BTreeSet<&str> = codes::ALL.iter().copied().collect();
        assert_eq!(listed.len(), codes::ALL.len());
        for code in [codes::STALE_KEY, codes::COMPACTED, codes::INTERNAL] {
            assert!(listed.contains(code), "{code}");
        }
    }
}
