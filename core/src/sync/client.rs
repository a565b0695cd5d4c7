//! The client of the relay's API (see `trellis_protocol` for the endpoints): every URL, header,
//! status and error body of the API is here, once; the bytes travel through the platform's
//! transport (`transport/`: reqwest natively, `fetch` in a browser).

use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    ErrorBody, KeyGrant, KeyRotation, KeysResponse, MembersResponse, PushResponse,
    RedeemInviteRequest, RosterAppend, RosterEvent, RosterResponse, TransferRequest,
    KEY_EPOCH_HEADER, LOG_ID_HEADER, ROLE_HEADER, ROSTER_HEAD_HEADER, ROTATION_NEEDED_HEADER,
    SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PullBatch, PushEntry};
use trellis_protocol::snapshot::{
    self, BeginCheckpoint, CheckpointInfo, CompleteCheckpoint, DocBatch,
};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::sync::transport::{Http, Method, Request, Response};

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
    /// The signed roster's newest seq ([`ROSTER_HEAD_HEADER`]).
    pub roster_head: Option<u64>,
}

/// A connection to one relay, optionally as one device.
pub(crate) struct RelayClient {
    http: Http,
    base: String,
    token: Option<String>,
}

impl RelayClient {
    /// A client for the relay at `base` (http:// or https://).
    pub(crate) fn new(base: &str, token: Option<&str>) -> Result<RelayClient> {
        let base = normalize_url(base)?;
        Ok(RelayClient {
            http: Http::new()?,
            base,
            token: token.map(str::to_string),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, trellis_protocol::API_PREFIX)
    }

    fn get(&self, path: &str) -> Request {
        Request::new(Method::Get, self.url(path))
    }

    fn post(&self, path: &str) -> Request {
        Request::new(Method::Post, self.url(path))
    }

    /// Adds the device's token, if this client has one.
    fn authed(&self, req: Request) -> Request {
        match &self.token {
            Some(t) => req.header("authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    /// Sends a request; an answer other than 2xx becomes [`Error::Relay`].
    async fn send(&self, req: Request) -> Result<Response> {
        let resp = self.http.send(req).await?;
        if resp.is_success() {
            return Ok(resp);
        }
        Err(relay_error(&resp))
    }

    pub(crate) async fn create_workspace(
        &self,
        signup_secret: &str,
        req: &CreateWorkspaceRequest,
    ) -> Result<DeviceCredentials> {
        let rq = self
            .post("/workspaces")
            .header(SIGNUP_SECRET_HEADER, signup_secret)
            .json(req)?;
        json(&self.send(rq).await?)
    }

    pub(crate) async fn create_invite(
        &self,
        ws: &Id,
        req: &CreateInviteRequest,
    ) -> Result<CreateInviteResponse> {
        let rq = self.authed(self.post(&format!("/workspaces/{ws}/invites")));
        json(&self.send(rq.json(req)?).await?)
    }

    pub(crate) async fn redeem(&self, req: &RedeemInviteRequest) -> Result<DeviceCredentials> {
        let rq = self.post("/invites/redeem").json(req)?;
        json(&self.send(rq).await?)
    }

    /// Pushes entries sealed with key `epoch`; the relay answers 409 `stale_key` if the
    /// workspace has a newer key.
    pub(crate) async fn push(
        &self,
        ws: &Id,
        epoch: u32,
        entries: &[PushEntry],
    ) -> Result<PushResponse> {
        let rq = self
            .authed(self.post(&format!("/workspaces/{ws}/push")))
            .header(KEY_EPOCH_HEADER, epoch)
            .bytes(batch::encode_push(entries));
        json(&self.send(rq).await?)
    }

    pub(crate) async fn pull(&self, ws: &Id, after: u64, limit: usize) -> Result<Pulled> {
        let rq = self.authed(self.get(&format!(
            "/workspaces/{ws}/pull?after={after}&limit={limit}"
        )));
        let resp = self.send(rq).await?;
        let key_epoch = resp.header(KEY_EPOCH_HEADER).and_then(|v| v.parse().ok());
        let rotation_needed = resp.header(ROTATION_NEEDED_HEADER).map(|v| v == "true");
        let log_id = resp.header(LOG_ID_HEADER).map(str::to_string);
        let role = resp
            .header(ROLE_HEADER)
            .and_then(trellis_protocol::api::Role::parse);
        let roster_head = resp.header(ROSTER_HEAD_HEADER).and_then(|v| v.parse().ok());
        let batch = batch::decode_pull(&resp.body)
            .map_err(|e| Error::Corrupt(format!("the relay sent a malformed batch: {e}")))?;
        Ok(Pulled {
            batch,
            key_epoch,
            rotation_needed,
            log_id,
            role,
            roster_head,
        })
    }
}

impl RelayClient {
    pub(crate) async fn members(&self, ws: &Id) -> Result<MembersResponse> {
        let rq = self.authed(self.get(&format!("/workspaces/{ws}/members")));
        json(&self.send(rq).await?)
    }

    pub(crate) async fn revoke_device(
        &self,
        ws: &Id,
        device: &Id,
        roster: Vec<RosterEvent>,
    ) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/devices/{device}/revoke"),
            Some(&RosterAppend { roster }),
        )
        .await
    }

    /// The signed roster's events after `after`.
    pub(crate) async fn roster(&self, ws: &Id, after: u64) -> Result<RosterResponse> {
        let rq = self.authed(self.get(&format!("/workspaces/{ws}/roster?after={after}")));
        json(&self.send(rq).await?)
    }

    /// Appends signed roster events not tied to another call.
    pub(crate) async fn append_roster(&self, ws: &Id, roster: Vec<RosterEvent>) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/roster"),
            Some(&RosterAppend { roster }),
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

    pub(crate) async fn leave(&self, ws: &Id, roster: Vec<RosterEvent>) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/leave"),
            Some(&RosterAppend { roster }),
        )
        .await
    }

    pub(crate) async fn rotate(&self, ws: &Id, rotation: &KeyRotation) -> Result<()> {
        self.post_empty(&format!("/workspaces/{ws}/keys/rotate"), Some(rotation))
            .await
    }

    pub(crate) async fn keys(&self, ws: &Id, after: u32) -> Result<KeysResponse> {
        let rq = self.authed(self.get(&format!("/workspaces/{ws}/keys?after={after}")));
        json(&self.send(rq).await?)
    }

    /// Every key sealed to this device, epoch 0 (which only a grant stores) included.
    pub(crate) async fn all_keys(&self, ws: &Id) -> Result<KeysResponse> {
        let rq = self.authed(self.get(&format!("/workspaces/{ws}/keys")));
        json(&self.send(rq).await?)
    }

    /// Hands keys this device holds, sealed to another device of the workspace, to the relay.
    pub(crate) async fn grant_keys(&self, ws: &Id, grant: &KeyGrant) -> Result<()> {
        self.post_empty(&format!("/workspaces/{ws}/keys/grant"), Some(grant))
            .await
    }

    /// Cancels an unused invite, with the roster event that says so.
    pub(crate) async fn cancel_invite(
        &self,
        ws: &Id,
        invite: &Id,
        roster: Vec<RosterEvent>,
    ) -> Result<()> {
        self.post_empty(
            &format!("/workspaces/{ws}/invites/{invite}/cancel"),
            Some(&RosterAppend { roster }),
        )
        .await
    }

    pub(crate) async fn transfer(
        &self,
        ws: &Id,
        member: &Id,
        roster: Vec<RosterEvent>,
    ) -> Result<()> {
        let body = TransferRequest {
            member_id: *member,
            roster,
        };
        self.post_empty(&format!("/workspaces/{ws}/transfer"), Some(&body))
            .await
    }

    pub(crate) async fn begin_checkpoint(&self, ws: &Id, seq: u64) -> Result<CheckpointInfo> {
        let rq = self
            .authed(self.post(&format!("/workspaces/{ws}/checkpoints")))
            .json(&BeginCheckpoint { seq })?;
        json(&self.send(rq).await?)
    }

    pub(crate) async fn upload_docs(&self, ws: &Id, id: &Id, batch: &DocBatch) -> Result<()> {
        let rq = self
            .authed(self.post(&format!("/workspaces/{ws}/checkpoints/{id}/docs")))
            .bytes(snapshot::encode_docs(batch));
        self.send(rq).await.map(drop)
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
        let rq = self.authed(self.get(&format!("/workspaces/{ws}/checkpoint")));
        match self.send(rq).await {
            Ok(resp) => json(&resp).map(Some),
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
        let mut path = format!("/workspaces/{ws}/checkpoints/{id}/docs?limit={limit}");
        if let Some(a) = after {
            path.push_str(&format!("&after={}", a.to_hex()));
        }
        let resp = self.send(self.authed(self.get(&path))).await?;
        snapshot::decode_docs(&resp.body)
            .map_err(|e| Error::Corrupt(format!("the relay sent a malformed snapshot batch: {e}")))
    }

    async fn post_empty<B: serde::Serialize>(&self, path: &str, body: Option<&B>) -> Result<()> {
        let mut rq = self.authed(self.post(path));
        if let Some(b) = body {
            rq = rq.json(b)?;
        }
        self.send(rq).await.map(drop)
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

/// The error an answer other than 2xx stands for: the relay's `{"error", "message"}` body, or
/// a generic one when the body is not that (a proxy's page).
fn relay_error(resp: &Response) -> Error {
    match serde_json::from_slice::<ErrorBody>(&resp.body) {
        Ok(e) => Error::Relay {
            status: resp.status,
            code: e.error,
            message: e.message,
        },
        Err(_) => Error::Relay {
            status: resp.status,
            code: "unknown".into(),
            message: "the relay answered with an unexpected error".into(),
        },
    }
}

/// Decodes a JSON answer.
fn json<T: serde::de::DeserializeOwned>(resp: &Response) -> Result<T> {
    serde_json::from_slice(&resp.body)
        .map_err(|e| Error::Corrupt(format!("the relay sent an unreadable answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::{json, normalize_url, relay_error, Error, Response};

    #[test]
    fn an_error_answer_keeps_the_relays_code_and_anything_else_is_unknown() {
        let answer = |status, body: &str| Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        };
        let e = relay_error(&answer(409, r#"{"error":"stale_key","message":"rotate"}"#));
        assert!(
            matches!(&e, Error::Relay { status: 409, code, message } if code == "stale_key" && message == "rotate"),
            "{e:?}"
        );
        let e = relay_error(&answer(502, "<html>bad gateway</html>"));
        assert!(
            matches!(&e, Error::Relay { status: 502, code, .. } if code == "unknown"),
            "{e:?}"
        );
        let e = json::<trellis_protocol::api::PushResponse>(&answer(200, "{")).unwrap_err();
        assert!(matches!(e, Error::Corrupt(_)), "{e:?}");
    }

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
