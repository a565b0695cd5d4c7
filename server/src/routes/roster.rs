//! The signed roster: reading it, appending events on their own, and the decoding every call
//! that carries roster events shares.
//!
//! A workspace's roster is an append-only list of membership events (joins with device keys,
//! invites, revocations, removals, departures, ownership, key rotations) that devices make,
//! sign and verify. The relay stores them in order and serves them; it never parses one, and
//! cannot forge, alter or reorder one without every device noticing. It checks their shape
//! (`decode_events`: URL-safe base64 without padding, 1 to
//! [`MAX_ROSTER_EVENT_BYTES`] bytes, at most [`MAX_ROSTER_EVENTS_PER_REQUEST`] a request, seqs
//! consecutive: 400 otherwise) and, in storage, their position: the events of a call go at the
//! roster's next seqs, in the transaction of the call itself, or the call is refused whole with
//! 409 `roster_moved`.
//!
//! The roster is the one thing a revoked device may still read
//! ([`crate::auth::RosterReader`]): it verifies its own removal there before it purges the
//! workspace.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use trellis_protocol::api::{
    RosterAppend, RosterEvent, RosterResponse, MAX_ROSTER_EVENT_BYTES, MAX_ROSTER_PAGE,
};

use super::CONTROL_BODY_LIMIT;
use crate::auth::{RosterReader, WorkspaceDevice};
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{RosterEntry, MAX_ROSTER_EVENTS_PER_REQUEST};
use crate::AppState;

/// `GET` and `POST /v1/workspaces/{ws}/roster`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/roster", get(read).post(append))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(read, append))]
pub struct Api;

/// Longest event accepted on the wire, in base64 characters (4 for every 3 bytes).
const MAX_EVENT_CHARS: usize = MAX_ROSTER_EVENT_BYTES.div_ceil(3) * 4;

/// Decodes the roster events of a request: 400 unless there are at most
/// [`MAX_ROSTER_EVENTS_PER_REQUEST`], each is URL-safe base64 without padding of 1 to
/// [`MAX_ROSTER_EVENT_BYTES`] bytes, and their seqs are consecutive from at least 1. Whether
/// they start at the roster's next position is storage's check, inside the call's transaction.
pub(crate) fn decode_events(events: Vec<RosterEvent>) -> Result<Vec<RosterEntry>, AppError> {
    if events.len() > MAX_ROSTER_EVENTS_PER_REQUEST {
        return Err(AppError::bad_request(format!(
            "a request carries at most {MAX_ROSTER_EVENTS_PER_REQUEST} roster events"
        )));
    }
    let first = events.first().map_or(1, |e| e.seq);
    let mut decoded = Vec::with_capacity(events.len());
    for (i, event) in events.into_iter().enumerate() {
        let expected = u64::try_from(i).ok().and_then(|i| first.checked_add(i));
        if event.seq == 0 || Some(event.seq) != expected {
            return Err(AppError::bad_request(
                "the roster events' seqs must be consecutive, from 1 at the least",
            ));
        }
        let bytes = (event.event.len() <= MAX_EVENT_CHARS)
            .then(|| decode_base64url(&event.event))
            .flatten()
            .filter(|bytes| (1..=MAX_ROSTER_EVENT_BYTES).contains(&bytes.len()))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "each roster event must be URL-safe base64 without padding of 1 to \
                     {MAX_ROSTER_EVENT_BYTES} bytes"
                ))
            })?;
        decoded.push(RosterEntry {
            seq: event.seq,
            event: bytes,
        });
    }
    Ok(decoded)
}

/// A stored event as the wire carries it.
fn encode_event(entry: RosterEntry) -> RosterEvent {
    RosterEvent {
        seq: entry.seq,
        event: encode_base64url(&entry.event),
    }
}

/// The URL-safe base64 alphabet (RFC 4648 §5).
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Decodes URL-safe base64 without padding, strictly: only the alphabet's characters, no
/// length that no byte string encodes to, and no stray bits in the last character, so each
/// byte string has exactly one accepted text.
fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | value(c)?;
        }
        // A short last chunk: 2 characters carry 1 byte, 3 carry 2; the bits left over must
        // be zero.
        let (bits, keep) = match chunk.len() {
            4 => (0, 3),
            3 => (2, 2),
            _ => (4, 1),
        };
        if acc & ((1 << bits) - 1) != 0 {
            return None;
        }
        let acc = acc >> bits;
        for i in (0..keep).rev() {
            out.push((acc >> (8 * i)) as u8);
        }
    }
    Some(out)
}

/// Encodes bytes as URL-safe base64 without padding.
fn encode_base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let acc =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[(acc >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// `?after=SEQ`, optional (0: from the first event).
#[derive(Debug, Deserialize)]
struct RosterParams {
    after: Option<u64>,
}

/// The roster's events after a seq, oldest first, at most [`MAX_ROSTER_PAGE`], and its newest
/// seq: 200; 400 for a bad query. A device that was revoked, or whose member was removed or
/// left, may read it too (nothing else).
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/roster",
    tag = "roster",
    params(super::doc::WorkspacePath, super::doc::RosterParams),
    responses(
        (status = 200, description = "Events after `after`, oldest first (at most 500), and the roster's newest seq", body = trellis_protocol::api::RosterResponse),
        (status = 400, description = "Malformed workspace id or query", body = trellis_protocol::api::ErrorBody),
        (status = 401, description = "No valid device token (`unauthorized`); a revoked device's token is accepted here", body = trellis_protocol::api::ErrorBody),
        (status = 403, response = inline(super::doc::OtherWorkspace)),
        (status = 429, response = inline(super::doc::RateLimited))
    ),
    security(("bearer" = []))
)]
async fn read(
    caller: RosterReader,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<RosterParams>,
) -> Result<Json<RosterResponse>, AppError> {
    let page = state
        .storage
        .roster(
            caller.workspace_id,
            params.after.unwrap_or(0),
            MAX_ROSTER_PAGE,
        )
        .await?;
    Ok(Json(RosterResponse {
        events: page.events.into_iter().map(encode_event).collect(),
        head: page.head,
    }))
}

/// Appends roster events not tied to another call, as any active device of the workspace may:
/// 204; 400 for no events or malformed ones; 409 `roster_moved` if they do not start at the
/// roster's next position (nothing is appended); 507 `quota_exceeded` when the roster is full.
#[utoipa::path(
    post,
    path = "/v1/workspaces/{ws}/roster",
    tag = "roster",
    params(super::doc::WorkspacePath),
    request_body(content = trellis_protocol::api::RosterAppend, content_type = "application/json"),
    responses(
        (status = 204, description = "Appended"),
        (status = 400, description = "Malformed workspace id, body or events, or no events", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::OtherWorkspace)),
        (status = 409, response = inline(super::doc::RosterMoved)),
        (status = 413, response = inline(super::doc::BodyTooLarge)),
        (status = 429, response = inline(super::doc::RateLimited)),
        (status = 507, response = inline(super::doc::RosterFull))
    ),
    security(("bearer" = []))
)]
async fn append(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RosterAppend>,
) -> Result<StatusCode, AppError> {
    let events = decode_events(body.roster)?;
    if events.is_empty() {
        return Err(AppError::bad_request("send at least one roster event"));
    }
    let head = state.storage.append_roster(caller.device, events).await?;
    tracing::info!(workspace = %caller.workspace_id, roster_head = head, "roster appended");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, event: &str) -> RosterEvent {
        RosterEvent {
            seq,
            event: event.to_owned(),
        }
    }

    #[test]
    fn base64url_round_trips_and_accepts_one_text_per_byte_string() {
        // RFC 4648's test vectors, unpadded.
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff], "-_8"),
        ] {
            assert_eq!(encode_base64url(bytes), text);
            assert_eq!(decode_base64url(text).as_deref(), Some(bytes));
        }
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            let text = encode_base64url(&all[..len]);
            assert_eq!(decode_base64url(&text).as_deref(), Some(&all[..len]));
        }
        // Stray bits, padding, the standard alphabet, impossible lengths.
        for bad in ["Zh", "Zm9", "Zm9=", "Zg==", "+/8", "Z", "Zm9vY", "Zm 9"] {
            assert_eq!(decode_base64url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn events_are_unpadded_url_safe_base64_of_at_most_4_kib_with_consecutive_seqs() {
        let ok = decode_events(vec![event(4, "AQID"), event(5, "_-8")]).unwrap();
        assert_eq!(
            ok,
            [
                RosterEntry {
                    seq: 4,
                    event: vec![1, 2, 3]
                },
                RosterEntry {
                    seq: 5,
                    event: vec![0xff, 0xef]
                }
            ]
        );
        assert!(decode_events(Vec::new()).unwrap().is_empty());
        let largest = encode_base64url(&[7u8; MAX_ROSTER_EVENT_BYTES]);
        assert_eq!(
            decode_events(vec![event(1, &largest)]).unwrap()[0]
                .event
                .len(),
            MAX_ROSTER_EVENT_BYTES
        );
        let too_large = encode_base64url(&[7u8; MAX_ROSTER_EVENT_BYTES + 1]);
        for bad in [
            "",
            "AR",
            "AQI=",
            "AQ+D",
            "AQ/D",
            "A",
            "a b",
            "é",
            too_large.as_str(),
        ] {
            let err = decode_events(vec![event(1, bad)]).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        }
        for seqs in [&[0u64][..], &[1, 3], &[2, 1], &[u64::MAX, 0]] {
            let events = seqs.iter().map(|&s| event(s, "AQID")).collect();
            assert!(decode_events(events).is_err(), "{seqs:?}");
        }
        let most: Vec<_> = (1..=MAX_ROSTER_EVENTS_PER_REQUEST as u64)
            .map(|s| event(s, "AQID"))
            .collect();
        assert!(decode_events(most.clone()).is_ok());
        let mut too_many = most;
        too_many.push(event(MAX_ROSTER_EVENTS_PER_REQUEST as u64 + 1, "AQID"));
        assert!(decode_events(too_many).is_err());
    }
}
