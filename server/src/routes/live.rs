//! The live WebSocket: tells a connected device the newest seq of its workspace's log, at once
//! and after every push, so it pulls only when there is something to pull.
//!
//! The socket is one-way. Incoming messages are ignored (frames are capped at
//! [`MAX_INCOMING_BYTES`] so nobody can make the relay buffer), except a close, which ends it.
//! Heads come from [`crate::notify::Notifier`]; a slow socket only ever gets the newest one.
//! When the relay shuts down the notifier closes its channels and each socket ends with a
//! "going away" close frame, so clients reconnect rather than wait on a dead socket.

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trellis_protocol::api::LiveMessage;
use trellis_protocol::Id;

use crate::auth::WorkspaceDevice;
use crate::error::AppError;
use crate::AppState;

/// Largest incoming frame or message accepted on the live socket.
pub const MAX_INCOMING_BYTES: usize = 4 * 1024;

/// `GET /v1/workspaces/{ws}/live`.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/workspaces/{ws}/live", get(live))
}

/// Upgrades to a WebSocket once the device is authenticated for the workspace; 400 if the
/// request is not a WebSocket upgrade.
async fn live(
    caller: WorkspaceDevice,
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let upgrade = upgrade.map_err(|_| {
        AppError::bad_request("this endpoint is a WebSocket: send a GET with an upgrade request")
    })?;
    let workspace = caller.workspace_id;
    Ok(upgrade
        .max_message_size(MAX_INCOMING_BYTES)
        .max_frame_size(MAX_INCOMING_BYTES)
        .on_upgrade(move |socket| run(socket, state, workspace)))
}

async fn run(mut socket: WebSocket, state: AppState, workspace: Id) {
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
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame {
                                code: close_code::AWAY,
                                reason: "the relay is shutting down".into(),
                            })))
                            .await;
                        break 'socket;
                    }
                    continue 'socket;
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
