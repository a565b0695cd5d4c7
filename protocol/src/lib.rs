//! The Trellis wire format, shared by the core's sync client and the relay.
//!
//! The relay is blind: it stores and returns opaque, end-to-end-encrypted change blobs and never
//! parses automerge. Everything both sides must agree on lives here, and nothing else:
//!
//! * [`Id`]: the random 128-bit identifiers of workspaces, members, devices and documents.
//! * [`api`]: the JSON bodies of the control endpoints (workspace signup, invites, membership,
//!   keys, the signed roster, push replies, live notifications) and of every error
//!   ([`api::ErrorBody`]).
//! * [`batch`]: the compact binary codec of change batches (push requests, pull replies).
//! * [`roles`]: the role ladder the relay enforces and every device checks in the signed
//!   roster.
//!
//! # The sync protocol in one page
//!
//! Each workspace has an append-only log on the relay. An entry is `(seq, doc_id, change_hash,
//! bytes)`; `seq` is assigned by the relay, `bytes` is an encrypted automerge change.
//!
//! * `POST /v1/workspaces/{ws}/push` — body: [`batch::encode_push`]. The relay stores each entry
//!   once, keyed by `(doc_id, change_hash)`, and answers [`api::PushResponse`] with one seq per
//!   entry in request order (the existing seq for an entry it already had). A retry after a lost
//!   answer therefore stores nothing twice.
//! * `GET /v1/workspaces/{ws}/pull?after=SEQ&limit=N` — answer: [`batch::encode_pull`], the
//!   entries with `seq > after` in order, the newest seq, and whether more remain; headers say
//!   the key epoch, the log's identity, the caller's role and the roster's head
//!   ([`api::ROSTER_HEAD_HEADER`]).
//! * `GET /v1/workspaces/{ws}/live` — a WebSocket on which the relay sends
//!   [`api::LiveMessage`] as JSON text with the newest seq, at once and after every push.
//! * `POST /v1/workspaces` — create a workspace ([`api::CreateWorkspaceRequest`], needs the
//!   operator's signup secret and the roster's first event); `POST /v1/workspaces/{ws}/invites`
//!   — issue an invite ([`api::CreateInviteResponse`] names it by `invite_id`);
//!   `POST /v1/invites/redeem` — redeem one and register a device;
//!   `POST /v1/workspaces/{ws}/invites/{invite}/cancel` — cancel one.
//! * Membership: `GET /v1/workspaces/{ws}/members` ([`api::MembersResponse`]);
//!   `POST /v1/workspaces/{ws}/devices/{device}/revoke`; `POST /v1/workspaces/{ws}/members/{member}/remove`
//!   with a [`api::KeyRotation`]; `POST /v1/workspaces/{ws}/leave`;
//!   `POST /v1/workspaces/{ws}/transfer` ([`api::TransferRequest`]).
//! * Keys: `POST /v1/workspaces/{ws}/keys/rotate` ([`api::KeyRotation`]),
//!   `POST /v1/workspaces/{ws}/keys/grant` ([`api::KeyGrant`]: keys sealed to another device;
//!   an epoch it holds is kept) and `GET /v1/workspaces/{ws}/keys?after=EPOCH`
//!   ([`api::KeysResponse`]; without `after`, every key). The relay stores workspace keys only
//!   sealed to device public keys; it cannot open them.
//! * The signed roster: `GET /v1/workspaces/{ws}/roster?after=SEQ` ([`api::RosterResponse`];
//!   a revoked device may still read it) and `POST /v1/workspaces/{ws}/roster`
//!   ([`api::RosterAppend`]). Every membership call above carries its own
//!   [`api::RosterEvent`]s, which the relay appends in the same transaction as the call, at the
//!   roster's next seqs, or refuses the call whole with 409 `roster_moved`.
//!
//! * Checkpoints (per-document snapshots for new devices, and log compaction): see
//!   [`snapshot`].
//!
//! Every request but signup and redeem carries `Authorization: Bearer <device token>`. Errors are
//! JSON [`api::ErrorBody`] with a 4xx/5xx status. A revoked device's token is answered 401
//! `revoked` everywhere but the roster's read.

pub mod api;
pub mod batch;
mod id;
pub mod roles;
pub mod snapshot;

pub use id::{fill_random, random_secret, Id, IdError};

/// Path prefix of every relay endpoint.
pub const API_PREFIX: &str = "/v1";

/// Largest encrypted change the relay accepts in one entry (1 MiB).
pub const MAX_ENTRY_BYTES: usize = 1 << 20;

/// Most entries in one push request or pull reply.
pub const MAX_BATCH_ENTRIES: usize = 1_000;

/// Largest request body the relay accepts (16 MiB).
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Length of a change hash (an automerge change hash, keyed, see the core's crypto module).
pub const HASH_LEN: usize = 32;
