//! The live WebSocket: tells a connected device the newest seq of its workspace's log, at once
//! and after every push, so it pulls only when there is something to pull.
//!
//! The socket is one-way. Incoming messages are ignored (frames are capped at
//! [`MAX_INCOMING_BYTES`] so nobody can make the relay buffer), except a close, which ends it.
//! Its buffers are sized for that ([`LIVE_READ_BUFFER_BYTES`], heads written at once), so an
//! idle socket costs a few KiB of relay memory rather than tungstenite's default 128 KiB.
//! Heads come from [`crate::notify::Notifier`]; a slow socket only ever gets the newest one.
//! When the relay shuts down the notifier closes its channels and each socket ends with a
//! "going away" close frame, so clients reconnect rather than wait on a dead socket.
//!
//! A browser, whose `WebSocket` cannot set headers, sends its token as a subprotocol
//! (`trellis.bearer.<token>` beside `trellis.live`; [`LIVE_PROTOCOL`]).
//!
//! When the socket's device is revoked (or its member removed or gone), the socket is closed
//! at once with [`REVOKED_CLOSE_CODE`]; reconnecting then gets 401 `revoked`.

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trellis_protocol::api::{LiveMessage, LIVE_BEARER_PROTOCOL_PREFIX, LIVE_PROTOCOL};
use trellis_protocol::Id;

use crate::auth::{authenticate, WorkspaceDevice};
use crate::error::AppError;
use crate::AppState;

/// Largest incoming frame or message accepted on the live socket.
pub const MAX_INCOMING_BYTES: usize = 4 * 1024;

/// Read buffer of a live socket. The socket only ever reads close and ping frames, and
/// tungstenite allocates this much per socket up front and zero-fills it on every read
/// attempt: its default (128 KiB) cost 128 KiB of memory per socket and a 128 KiB memset per
/// socket per head. A larger incoming frame (up to [`MAX_INCOMING_BYTES`]) still fits: the
/// buffer grows to the frame's length while it is read.
pub const LIVE_READ_BUFFER_BYTES: usize = 512;

/// Most bytes a live socket may have waiting to be written. A head is one small text frame
/// and a socket never has more than one in flight (each send waits for its flush), so this
/// only bounds a misbehaving peer.
pub const LIVE_MAX_WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// Close code of a live socket whose device was revoked (an application code, 4000–4999).
pub const REVOKED_CLOSE_CODE: u16 = 4001;

/// Close reason of a live socket whose device was revoked.
pub const REVOKED_CLOSE_REASON: &str = "revoked";

/// `GET /v1/workspaces/{ws}/live`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{ws}/live", get(live))
        .layer(axum::middleware::map_request(token_from_subprotocol))
}

/// A browser's socket carries its token as a subprotocol (`trellis.bearer.<token>`, beside
/// `trellis.live`; see [`LIVE_PROTOCOL`]): without an `Authorization` header, the token found
/// there becomes one, so the socket is authenticated like any other request.
async fn token_from_subprotocol(mut request: Request) -> Request {
    if request.headers().contains_key(AUTHORIZATION) {
        return request;
    }
    let token = request
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(LIVE_BEARER_PROTOCOL_PREFIX))
        .and_then(|token| HeaderValue::from_str(&format!("Bearer {token}")).ok());
    if let Some(value) = token {
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    request
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(live))]
pub struct Api;

/// Upgrades to a WebSocket once the device is authenticated for the workspace; 400 if the
/// request is not a WebSocket upgrade.
#[utoipa::path(
    get,
    path = "/v1/workspaces/{ws}/live",
    tag = "sync",
    params(super::doc::WorkspacePath),
    responses(
        (status = 101, description = "WebSocket: `LiveMessage` JSON text at once and after every push; incoming frames over 4 KiB close it"),
        (status = 400, description = "Malformed workspace id, or not a WebSocket upgrade", body = trellis_protocol::api::ErrorBody),
        (status = 401, response = inline(super::doc::Unauthorized)),
        (status = 403, response = inline(super::doc::Forbidden)),
        (status = 429, description = "`rate_limited`, or `quota_exceeded`: the device has the most live sockets a device may have open", body = trellis_protocol::api::ErrorBody)
    ),
    security(("bearer" = []))
)]
async fn live(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let upgrade = upgrade.map_err(|_| {
        AppError::bad_request("this endpoint is a WebSocket: send a GET with an upgrade request")
    })?;
    let workspace = caller.workspace_id;
    let device = caller.device.device_id;
    if state.notifier.device_sockets(workspace, device) >= MAX_SOCKETS_PER_DEVICE {
        return Err(AppError::QuotaExceeded(
            format!(
                "this device has {MAX_SOCKETS_PER_DEVICE} live sockets open already; close one \
                 first"
            )
            .into(),
        ));
    }
    Ok(upgrade
        // Chosen when the client offers it (a browser must get one of its subprotocols back).
        .protocols([LIVE_PROTOCOL])
        .max_message_size(MAX_INCOMING_BYTES)
        .max_frame_size(MAX_INCOMING_BYTES)
        .read_buffer_size(LIVE_READ_BUFFER_BYTES)
        // Each head is written at once (no batching of frames behind a 128 KiB target).
        .write_buffer_size(0)
        .max_write_buffer_size(LIVE_MAX_WRITE_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            // Watch for a revocation before checking the token again, so that a revocation
            // between the upgrade's authentication and this point is not missed.
            let mut revoked = state.notifier.watch_device(workspace, device);
            let still_valid = authenticate(&state, &headers).await.is_ok();
            drop(headers);
            run(socket, &state, workspace, still_valid, &mut revoked).await;
            drop(revoked);
            state.notifier.release_device(workspace, device);
        }))
}

/// Live sockets one device may have open at once (in one relay process).
pub const MAX_SOCKETS_PER_DEVICE: usize = 4;

/// A close frame telling the device that the relay is shutting down.
fn away_frame() -> Message {
    Message::Close(Some(CloseFrame {
        code: close_code::AWAY,
        reason: "the relay is shutting down".into(),
    }))
}

/// A close frame telling the device it was revoked.
fn revoked_frame() -> Message {
    Message::Close(Some(CloseFrame {
        code: REVOKED_CLOSE_CODE,
        reason: REVOKED_CLOSE_REASON.into(),
    }))
}

async fn run(
    mut socket: WebSocket,
    state: &AppState,
    workspace: Id,
    still_valid: bool,
    revoked: &mut tokio::sync::watch::Receiver<bool>,
) {
    if !still_valid || *revoked.borrow_and_update() {
        let _ = socket.send(revoked_frame()).await;
        return;
    }
    // Counted in the live sockets gauge until this function returns.
    let _gauge = state.metrics.live_socket();
    // Subscribe before reading the head, so a push in between is not missed.
    let mut heads = state.notifier.subscribe(workspace);
    match state.storage.head(workspace).await {
        Ok(head) => state.notifier.advance(workspace, head),
        Err(e) => {
            tracing::error!(error = %e, "live socket cannot read the head");
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    }
    tracing::debug!(workspace = %workspace, "live socket opened");
    'socket: loop {
        let head = *heads.borrow_and_update();
        let text = match serde_json::to_string(&LiveMessage { head }) {
            Ok(text) => text,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a live message");
                break;
            }
        };
        if socket.send(Message::Text(text.into())).await.is_err() {
            break;
        }
        loop {
            tokio::select! {
                changed = heads.changed() => {
                    if changed.is_err() {
                        // The relay is shutting down: say so instead of vanishing.
                        let _ = socket.send(away_frame()).await;
                        break 'socket;
                    }
                    continue 'socket;
                }
                changed = revoked.changed() => {
                    let frame = match changed {
                        Ok(()) if *revoked.borrow_and_update() => {
                            tracing::debug!(workspace = %workspace, "live socket of a revoked device closed");
                            revoked_frame()
                        }
                        Ok(()) => continue,
                        Err(_) => away_frame(),
                    };
                    let _ = socket.send(frame).await;
                    break 'socket;
                }
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break 'socket,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    drop(heads);
    state.notifier.release(workspace);
    tracing::debug!(workspace = %workspace, "live socket closed");
}
