//! The HTTP client of the relay's API (see `trellis_protocol` for the endpoints).

use std::time::Duration;

use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    ErrorBody, KeyRotation, KeysResponse, MembersResponse, PushResponse, RedeemInviteRequest,
    TransferRequest, KEY_EPOCH_HEADER, LOG_ID_HEADER, ROLE_HEADER, ROTATION_NEEDED_HEADER,
    SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PullBatch, PushEntry};
use trellis_protocol::snapshot::{
    self, BeginCheckpoint, CheckpointInfo, CompleteCheckpoint, DocBatch,
};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};

/// A pull's answer: the batch, and what the relay said about the workspace key (`None` from a
/// relay that does not say).
pub(crate) struct Pulled {
    pub batch: PullBatch,
    /// The workspace's current key epoch.
    pub key_epoch: Option<u32>,
    /// For owners and admins: whether the key should be rotated now.
    pub rotation_needed: Option<bool>,
    /// The identity of the relay's log ([`LOG_ID_HEADER`]).
    pub log_id: Option<String>,
    /// The caller's role now ([`ROLE_HEADER`]).
    pub role: Option<trellis_protocol::api::Role>,
}

/// A connection to one relay, optionally as one device.
pub(crate) struct RelayClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl RelayClient {
    /// A client for the relay at `base` (http:// or https://).
    pub(crate) fn new(base: &str, token: Option<&str>) -> Result<RelayClient> {
        let base = normalize_url(base)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok(RelayClient {
            http,
            base,
            token: token.map(str::to_string),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, trellis_protocol::API_PREFIX)
    }

    fn authed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub(crate) async fn create_workspace(
        &self,
        signup_secret: &str,
        req: &CreateWorkspaceRequest,
    ) -> Result<DeviceCredentials> {
        let rb = self
            .http
            .post(self.url("/workspaces"))
            .header(SIGNUP_SECRET_HEADER, signup_secret)
            .json(req);
        json(send(rb).await?).await
    }

    pub(crate) async fn create_invite(
        &self,
        ws: &Id,
        req: &CreateInviteRequest,
    ) -> Result<CreateInviteResponse> {
        let rb = self.authed(
            self.http
                .post(self.url(&format!("/workspaces/{ws}/invites"))),
        );
        json(send(rb.json(req)).await?).await
    }

    pub(crate) async fn redeem(&self, req: &RedeemInviteRequest) -> Result<DeviceCredentials> {
        let rb = self.http.post(self.url("/invites/redeem")).json(req);
        json(send(rb).await?).await
    }

    /// Pushes entries sealed with key `epoch`; the relay answers 409 `stale_key` if the
    /// workspace has a newer key.
    pub(crate) async fn push(
        &self,
        ws: &Id,
        epoch: u32,
        entries: &[PushEntry],
    ) -> Result<PushResponse> {
        let rb = self
            .authed(self.http.post(self.url(&format!("/workspaces/{ws}/push"))))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(KEY_EPOCH_HEADER, epoch)
            .body(batch::encode_push(entries));
        json(send(rb).await?).await
    }

    pub(crate) async fn pull(&self, ws: &Id, after: u64, limit: usize) -> Result<Pulled> {
        let rb = self.authed(
            self.http
                .get(self.url(&format!("/workspaces/{ws}/pull")))
                .query(&[("after", after), ("limit", limit as u64)]),
        );
        let resp = send(rb).await?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let key_epoch = header(KEY_EPOCH_HEADER).and_then(|v| v.parse().ok());
        let rotation_needed = header(ROTATION_NEEDED_HEADER).map(|v| v == "true");
        let log_id = header(LOG_ID_HEADER);
        let role = header(ROLE_HEADER).and_then(|r| trellis_protocol::api::Role::parse(&r));
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Network(e.to_string()))?;
        let batch = batch::decode_pull(&bytes)
            .map_err(|e| Error::Corrupt(format!("the relay sent a malformed batch: {e}")))?;
        Ok(Pulled {
            batch,
            key_epoch,
            rotation_needed,
            log_id,
            role,
        })
    }
}

impl RelayClient {
    pub(crate) async fn members(&self, ws: &Id) -> Result<MembersResponse> {
        let rb = self.authed(
            self.http
                .get(self.url(&format!("/workspaces/{ws}/members"))),
        );
        json(send(rb).await?).await
    }

    pub(crate) async fn revoke_device(&self, ws: &Id, device: &Id) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/devices/{device}/revoke"),
            None::<&()>,
        )
        .await
    }

    pub(crate) async fn remove_member(
        &self,
        ws: &Id,
        member: &Id,
        rotation: &KeyRotation,
    ) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/members/{member}/remove"),
            Some(rotation),
        )
        .await
    }

    pub(crate) async fn leave(&self, ws: &Id) -> Result<()> {
        self.post_empty(&format!("/workspaces/{ws}/leave"), None::<&()>)
            .await
    }

    pub(crate) async fn rotate(&self, ws: &Id, rotation: &KeyRotation) -> Result<()> {
        self.post_empty(&format!("/workspaces/{ws}/keys/rotate"), Some(rotation))
            .await
    }

    pub(crate) async fn keys(&self, ws: &Id, after: u32) -> Result<KeysResponse> {
        let rb = self.authed(
            self.http
                .get(self.url(&format!("/workspaces/{ws}/keys")))
                .query(&[("after", after)]),
        );
        json(send(rb).await?).await
    }

    pub(crate) async fn transfer(&self, ws: &Id, member: &Id) -> Result<()> {
        let body = TransferRequest { member_id: *member };
        self.post_empty(&format!("/workspaces/{ws}/transfer"), Some(&body))
            .await
    }

    pub(crate) async fn begin_checkpoint(&self, ws: &Id, seq: u64) -> Result<CheckpointInfo> {
        let rb = self
            .authed(
                self.http
                    .post(self.url(&format!("/workspaces/{ws}/checkpoints"))),
            )
            .json(&BeginCheckpoint { seq });
        json(send(rb).await?).await
    }

    pub(crate) async fn upload_docs(&self, ws: &Id, id: &Id, batch: &DocBatch) -> Result<()> {
        let rb = self
            .authed(
                self.http
                    .post(self.url(&format!("/workspaces/{ws}/checkpoints/{id}/docs"))),
            )
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(snapshot::encode_docs(batch));
        send(rb).await.map(drop)
    }

    pub(crate) async fn complete_checkpoint(&self, ws: &Id, id: &Id, docs: u64) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/checkpoints/{id}/complete"),
            Some(&CompleteCheckpoint { docs }),
        )
        .await
    }

    /// The newest complete checkpoint, if there is one.
    pub(crate) async fn latest_checkpoint(&self, ws: &Id) -> Result<Option<CheckpointInfo>> {
        let rb = self.authed(
            self.http
                .get(self.url(&format!("/workspaces/{ws}/checkpoint"))),
        );
        match send(rb).await {
            Ok(resp) => json(resp).await.map(Some),
            Err(Error::Relay { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn download_docs(
        &self,
        ws: &Id,
        id: &Id,
        after: Option<&Id>,
        limit: usize,
    ) -> Result<DocBatch> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(a) = after {
            query.push(("after", a.to_hex()));
        }
        let rb = self.authed(
            self.http
                .get(self.url(&format!("/workspaces/{ws}/checkpoints/{id}/docs")))
                .query(&query),
        );
        let bytes = send(rb)
            .await?
            .bytes()
            .await
            .map_err(|e| Error::Network(e.to_string()))?;
        snapshot::decode_docs(&bytes)
            .map_err(|e| Error::Corrupt(format!("the relay sent a malformed snapshot batch: {e}")))
    }

    async fn post_empty<B: serde::Serialize>(&self, path: &str, body: Option<&B>) -> Result<()> {
        let mut rb = self.authed(self.http.post(self.url(path)));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        send(rb).await.map(drop)
    }
}

/// Checks and trims a relay URL: `https://`, or plain `http://` only for a relay on this
/// machine (a loopback address or `localhost`), so a token and the practice's traffic never
/// cross a network in the clear.
pub(crate) fn normalize_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let not_a_url = || {
        Error::invalid(format!(
            "\"{url}\" is not a relay URL; write it like https://relay.example.org"
        ))
    };
    let parsed = url::Url::parse(url).map_err(|_| not_a_url())?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(not_a_url()),
    };
    match parsed.scheme() {
        "https" => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        "http" => Err(Error::invalid(format!(
            "\"{url}\" is plain http: a relay on another machine must be reached with https:// \
             (plain http only for a relay on this machine: 127.0.0.1, ::1 or localhost)"
        ))),
        _ => Err(not_a_url()),
    }
}

async fn send(rb: reqwest::RequestBuilder) -> Result<reqwest::Response> {
    let resp = rb.send().await.map_err(|e| Error::Network(e.to_string()))?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    Err(match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) => Error::Relay {
            status,
            code: e.error,
            message: e.message,
        },
        Err(_) => Error::Relay {
            status,
            code: "unknown".into(),
            message: "the relay answered with an unexpected error".into(),
        },
    })
}

async fn json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    resp.json()
        .await
        .map_err(|e| Error::Corrupt(format!("the relay sent an unreadable answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::normalize_url;

    #[test]
    fn a_relay_on_another_machine_must_be_reached_with_https() {
        assert_eq!(
            normalize_url(" https://relay.example.org/ ").unwrap(),
            "https://relay.example.org"
        );
        for local in [
            "http://127.0.0.1:8787",
            "http://127.1.2.3:8787/",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            assert!(normalize_url(local).is_ok(), "{local}");
        }
        for remote in [
            "http://relay.example.org",
            "http://10.0.0.5:8787",
            "http://192.168.1.20",
            "http://[2001:db8::1]:8787",
            "http://localhost.example.org",
        ] {
            let err = normalize_url(remote).unwrap_err().to_string();
            assert!(err.contains("https://"), "{remote}: {err}");
        }
        for junk in [
            "",
            "relay.example.org",
            "ftp://relay.example.org",
            "https://",
        ] {
            assert!(normalize_url(junk).is_err(), "{junk:?}");
        }
    }
}
