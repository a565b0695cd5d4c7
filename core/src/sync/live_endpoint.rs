//! Where the live socket of the current workspace is, for every kind of client: the native
//! live loop (`live.rs`) connects to [`live_url`] with an `Authorization` header; a browser,
//! whose `WebSocket` cannot set headers, asks [`Store::live_endpoint`] for the URL and the
//! subprotocols that carry its token (the relay's `trellis.live` protocol, docs/WEB.md).

use serde::Serialize;
use trellis_protocol::api::{LIVE_BEARER_PROTOCOL_PREFIX, LIVE_PROTOCOL};

use crate::base::error::{Error, Result};
use crate::storage::workspace::current_ws;
use crate::store::Store;
use crate::sync::client::normalize_url;

/// How a browser opens the live socket: `new WebSocket(url, protocols)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEndpoint {
    /// `ws://` or `wss://` URL of the workspace's live socket.
    pub url: String,
    /// The subprotocols to offer: the live one, and the one carrying the device token.
    pub protocols: Vec<String>,
}

/// The live socket's URL of workspace `ws` on the relay at `relay_url` (`wss` for `https`).
pub(crate) fn live_url(relay_url: &str, ws: &str) -> Result<String> {
    let base = normalize_url(relay_url)?;
    let ws_base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        return Err(Error::invalid("the relay URL is not http(s)"));
    };
    Ok(format!(
        "{ws_base}{}/workspaces/{ws}/live",
        trellis_protocol::API_PREFIX
    ))
}

impl Store {
    /// Where the current workspace's live socket is, with the subprotocols that authenticate
    /// a browser's socket (they hold this device's token: keep them in the worker that holds
    /// the store). Fails with `NotConnected` for a workspace kept on this device only.
    pub fn live_endpoint(&self) -> Result<LiveEndpoint> {
        let ws = current_ws(&self.lock(), self.scope)?;
        let (Some(relay_url), Some(token)) = (ws.relay_url.as_deref(), ws.token.as_deref()) else {
            return Err(Error::NotConnected(ws.name.clone()));
        };
        Ok(LiveEndpoint {
            url: live_url(relay_url, &ws.id.to_hex())?,
            protocols: vec![
                LIVE_PROTOCOL.to_owned(),
                format!("{LIVE_BEARER_PROTOCOL_PREFIX}{token}"),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_socket_is_ws_for_http_and_wss_for_https() {
        assert_eq!(
            live_url("http://127.0.0.1:8787", "ab").unwrap(),
            "ws://127.0.0.1:8787/v1/workspaces/ab/live"
        );
        assert_eq!(
            live_url("https://relay.example.org/", "ab").unwrap(),
            "wss://relay.example.org/v1/workspaces/ab/live"
        );
        assert!(live_url("ftp://relay.example.org", "ab").is_err());
    }
}
