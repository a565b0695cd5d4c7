//! A hostile relay, for the adversary stories (`tests/adversary.rs`): a reverse proxy on
//! loopback in front of a real relay that forwards every request and every answer, except
//! where one of its rules says otherwise. A rule picks requests by method, by the end of their
//! path (`/roster`, `/keys`, `/members`, ...) and by the device token they carry, and either
//! answers them itself or rewrites the relay's answer. Every request that passes is recorded,
//! so a story can look at what the devices sent. It speaks plain HTTP (the live socket is not
//! forwarded: the CLI syncs without it).
//!
//! With it come the tools of someone who runs a relay, or is a member of a practice: reading
//! and appending roster events with a device's token, forging roster events with keys nobody
//! admitted, reading a device's own keys out of its store, and pushing entries by hand.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Value};
use trellis_core::crypto::{DeviceKeys, DeviceSigner};
use trellis_core::roster::Roster;
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::Id;

use crate::Device;

type RewriteFn = dyn Fn(&str, &[u8]) -> Vec<u8> + Send + Sync;

/// What a rule does to a request it picks.
#[derive(Clone)]
enum Action {
    /// Forwards it and its answer untouched (to make an exception to the rules after it).
    Forward,
    /// Answers it without asking the relay.
    Answer { status: u16, body: Vec<u8> },
    /// Forwards it, and passes the relay's answer (a success) through the function, given the
    /// request's path and query.
    Rewrite(Arc<RewriteFn>),
}

/// One rule of the hostile relay.
pub struct Rule {
    method: Option<String>,
    path_end: String,
    token: Option<String>,
    times: Option<usize>,
    action: Action,
}

impl Rule {
    fn new(method: &str, path_end: &str, action: Action) -> Rule {
        Rule {
            method: (method != "*").then(|| method.to_ascii_uppercase()),
            path_end: path_end.to_string(),
            token: None,
            times: None,
            action,
        }
    }

    /// Requests of `method` (`"*"`: any) whose path ends with `path_end` (`""`: any path) pass
    /// untouched, whatever the rules added after this one say.
    pub fn forward(method: &str, path_end: &str) -> Rule {
        Rule::new(method, path_end, Action::Forward)
    }

    /// Requests of `method` (`"*"`: any) whose path ends with `path_end` are answered with
    /// `status` and the JSON `body`, and never reach the relay.
    pub fn answer(method: &str, path_end: &str, status: u16, body: Value) -> Rule {
        Rule::new(
            method,
            path_end,
            Action::Answer {
                status,
                body: body.to_string().into_bytes(),
            },
        )
    }

    /// Requests of `method` whose path ends with `path_end` are answered `401 revoked`, as a
    /// relay says to a device it revoked.
    pub fn forged_revocation(method: &str, path_end: &str) -> Rule {
        Rule::answer(
            method,
            path_end,
            401,
            json!({"error": "revoked", "message": "this device was revoked"}),
        )
    }

    /// Requests of `method` whose path ends with `path_end` reach the relay, and its JSON
    /// answer (when a success) is changed by `f`, given the request's path and query.
    pub fn rewrite_json(
        method: &str,
        path_end: &str,
        f: impl Fn(&str, &mut Value) + Send + Sync + 'static,
    ) -> Rule {
        let rewrite = move |path: &str, body: &[u8]| -> Vec<u8> {
            match serde_json::from_slice::<Value>(body) {
                Ok(mut v) => {
                    f(path, &mut v);
                    v.to_string().into_bytes()
                }
                // Not JSON: passed on as it came.
                Err(_) => body.to_vec(),
            }
        };
        Rule::new(method, path_end, Action::Rewrite(Arc::new(rewrite)))
    }

    /// Only requests carrying this device token.
    pub fn for_token(mut self, token: &str) -> Rule {
        self.token = Some(token.to_string());
        self
    }

    /// Only the next `n` requests it picks; then the rule is gone.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    fn picks(&self, method: &str, path: &str, token: Option<&str>) -> bool {
        self.times != Some(0)
            && self.method.as_deref().is_none_or(|m| m == method)
            && path.ends_with(&self.path_end)
            && self.token.as_deref().is_none_or(|t| Some(t) == token)
    }
}

/// A request that reached the hostile relay.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Its path, without the query.
    pub path: String,
    /// The device token it carried.
    pub token: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

impl Seen {
    /// Its body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

struct Shared {
    relay: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Vec<Seen>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The action of the first rule that picks this request (used up if counted).
    fn action(&self, method: &str, path: &str, token: Option<&str>) -> Option<Action> {
        let mut rules = lock(&self.rules);
        let i = rules.iter().position(|r| r.picks(method, path, token))?;
        let action = rules[i].action.clone();
        if let Some(n) = rules[i].times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                rules.remove(i);
            }
        }
        Some(action)
    }
}

/// A hostile relay in front of a real one, served on its own threads until dropped.
pub struct HostileRelay {
    /// Its base URL: point devices here.
    pub url: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl HostileRelay {
    /// Starts one on 127.0.0.1 (an ephemeral port) in front of the relay at `relay`.
    pub fn start(relay: &str) -> HostileRelay {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the hostile relay");
        let relay = relay.trim_end_matches('/').to_string();
        let (url, shared) = runtime.block_on(async move {
            let shared = Arc::new(Shared {
                relay,
                http: reqwest::Client::new(),
                rules: Mutex::new(Vec::new()),
                seen: Mutex::new(Vec::new()),
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let url = format!(
                "http://{}",
                listener
                    .local_addr()
                    .expect("a bound listener has an address")
            );
            let router = axum::Router::new()
                .fallback(forward)
                .with_state(Arc::clone(&shared));
            tokio::spawn(async move { axum::serve(listener, router).await });
            (url, shared)
        });
        HostileRelay {
            url,
            shared,
            runtime: Some(runtime),
        }
    }

    /// Adds a rule; the first rule that picks a request decides.
    pub fn add(&self, rule: Rule) {
        lock(&self.shared.rules).push(rule);
    }

    /// Drops every rule: from now on it forwards everything as it is.
    pub fn behave(&self) {
        lock(&self.shared.rules).clear();
    }

    /// The requests of `method` (`"*"`: any) whose path ends with `path_end`, oldest first.
    pub fn seen(&self, method: &str, path_end: &str) -> Vec<Seen> {
        lock(&self.shared.seen)
            .iter()
            .filter(|s| (method == "*" || s.method == method) && s.path.ends_with(path_end))
            .cloned()
            .collect()
    }

    /// Every request it saw, oldest first.
    pub fn all_seen(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }
}

impl Drop for HostileRelay {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn plain(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

async fn forward(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return plain(400, "text/plain", b"unreadable request".to_vec());
    };
    lock(&s.seen).push(Seen {
        method: method.clone(),
        path: path.clone(),
        token: token.clone(),
        body: body.to_vec(),
    });
    let action = s.action(&method, &path, token.as_deref());
    if let Some(Action::Answer { status, body }) = action {
        return plain(status, "application/json", body);
    }
    let mut out = s
        .http
        .request(parts.method.clone(), format!("{}{path_and_query}", s.relay))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            out = out.header(name, value);
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => return plain(502, "text/plain", e.to_string().into_bytes()),
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let Ok(bytes) = resp.bytes().await else {
        return plain(502, "text/plain", b"the relay's answer was cut".to_vec());
    };
    let bytes = match action {
        Some(Action::Rewrite(f)) if status.is_success() => f(&path_and_query, &bytes),
        _ => bytes.to_vec(),
    };
    let mut back = Response::builder().status(status.as_u16());
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" {
            back = back.header(name, value);
        }
    }
    back.body(Body::from(bytes))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Runs a future to its end on a runtime of its own (for the blocking stories).
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding, as the relay's API carries roster events.
pub fn b64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Reads URL-safe base64 without padding; `None` when it is not.
pub fn from_b64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = B64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The events of a roster answer (`{"events": [{"seq", "event"}], "head"}`): (seq, bytes).
pub fn roster_events(answer: &Value) -> Vec<(u64, Vec<u8>)> {
    answer["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| Some((e["seq"].as_u64()?, from_b64url(e["event"].as_str()?)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Events as the relay's API carries them.
pub fn wire_events(events: &[(u64, Vec<u8>)]) -> Value {
    events
        .iter()
        .map(|(seq, bytes)| json!({"seq": seq, "event": b64url(bytes)}))
        .collect()
}

/// Replaces the events of a roster answer and the head it names.
pub fn set_roster_events(answer: &mut Value, events: &[(u64, Vec<u8>)], head: u64) {
    answer["events"] = wire_events(events);
    answer["head"] = json!(head);
}

/// The `after` of a request's query (0 when absent).
pub fn after_of(path_and_query: &str) -> u64 {
    path_and_query
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("after="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The JSON body of a roster event (what comes before its signature).
pub fn event_body(event: &[u8]) -> Value {
    let at = event.len().saturating_sub(64);
    serde_json::from_slice(&event[..at]).unwrap_or(Value::Null)
}

/// The relay's API as a device calls it, with its token: what a member can do by hand, and
/// what a relay's operator can do with any token it saw.
pub struct Api {
    /// The relay's base URL.
    pub url: String,
    /// The device token.
    pub token: String,
    /// The workspace.
    pub ws: Id,
}

impl Api {
    /// The API of `device`'s current workspace, at `url`.
    pub fn of(device: &Device, url: &str) -> Api {
        let (token, ws) = device.credentials();
        Api {
            url: url.trim_end_matches('/').to_string(),
            token,
            ws: ws.parse().expect("a workspace id"),
        }
    }

    fn at(&self, tail: &str) -> String {
        format!("{}/v1/workspaces/{}{tail}", self.url, self.ws.to_hex())
    }

    /// `GET`s a JSON answer: (status, body).
    pub fn get(&self, tail: &str) -> (u16, Value) {
        block_on(async {
            let resp = reqwest::Client::new()
                .get(self.at(tail))
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("the relay answers");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        })
    }

    /// `POST`s a JSON body: (status, answer).
    pub fn post(&self, tail: &str, body: &Value) -> (u16, Value) {
        block_on(async {
            let resp = reqwest::Client::new()
                .post(self.at(tail))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("the relay answers");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        })
    }

    /// The whole roster the relay serves.
    pub fn roster(&self) -> Vec<(u64, Vec<u8>)> {
        let mut all = Vec::new();
        loop {
            let after = all.last().map_or(0, |(seq, _)| *seq);
            let (status, answer) = self.get(&format!("/roster?after={after}"));
            assert_eq!(status, 200, "the roster reads: {answer}");
            let page = roster_events(&answer);
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// The roster verified, to make events after it.
    pub fn verified_roster(&self) -> Roster {
        Roster::from_events(self.ws, self.roster()).expect("the relay's roster verifies")
    }

    /// Appends roster events (`POST .../roster`); the relay's status.
    pub fn append_roster(&self, events: &[(u64, Vec<u8>)]) -> u16 {
        self.post("/roster", &json!({ "roster": wire_events(events) }))
            .0
    }

    /// `GET .../members`.
    pub fn members(&self) -> Value {
        let (status, answer) = self.get("/members");
        assert_eq!(status, 200, "the members read: {answer}");
        answer
    }

    /// Pushes entries as they are; the relay's status and answer.
    pub fn push(&self, entries: &[PushEntry]) -> (u16, Value) {
        block_on(async {
            let resp = reqwest::Client::new()
                .post(self.at("/push"))
                .bearer_auth(&self.token)
                .header("content-type", "application/octet-stream")
                .body(batch::encode_push(entries))
                .send()
                .await
                .expect("the relay answers");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        })
    }
}

/// A device's identity as its own store holds it: its id and both of its secret keys.
pub struct Identity {
    /// Its id.
    pub device: Id,
    /// Its Ed25519 signing key.
    pub signer: DeviceSigner,
    /// Its X25519 key pair.
    pub box_keys: DeviceKeys,
}

impl Identity {
    /// What `device`'s store holds.
    pub fn of(device: &Device) -> Identity {
        let conn = rusqlite::Connection::open(device.data.join("trellis.sqlite3"))
            .expect("the store opens");
        let meta = |key: &str| -> String {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .expect("the device's identity is in its store")
        };
        Identity {
            device: meta("device_id").parse().expect("a device id"),
            signer: DeviceSigner::from_hex(&meta("device_sign_secret")).expect("a signing key"),
            box_keys: DeviceKeys::from_hex(&meta("device_secret")).expect("a device key"),
        }
    }

    /// A device nobody admitted: keys someone made up.
    pub fn made_up() -> Identity {
        Identity {
            device: Id::random(),
            signer: DeviceSigner::generate(),
            box_keys: DeviceKeys::generate(),
        }
    }
}

/// `who` joins `inviter`'s practice as `name`, through the relay at `relay_url`, with a
/// member invite (`extra`: e.g. `["--role", "admin"]`): the invite, the join, a sync of the
/// inviter's device (which hands the practice's keys to the new device) and one of the new
/// device. Returns what the join printed.
pub fn join(inviter: &Device, who: &Device, name: &str, relay_url: &str, extra: &[&str]) -> Value {
    let code = inviter.invite(extra);
    who.json(&["init", "--name", name]);
    let joined = who.json(&["workspace", "join", &code, "--relay", relay_url]);
    inviter.json(&["sync"]);
    who.json(&["sync"]);
    joined
}

/// Founds `practice` for `name` on the relay at `relay_url` (which may be a hostile one), with
/// Lincoln Middle School in it.
pub fn found(device: &Device, name: &str, practice: &str, relay_url: &str) {
    device.json(&["init", "--name", name]);
    device.json(&[
        "workspace",
        "create",
        practice,
        "--relay",
        relay_url,
        "--signup-secret",
        crate::SIGNUP_SECRET,
    ]);
    device.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    device.json(&["sync"]);
}

/// Founds the practice for Dana on the relay at `relay_url` with [`found`], logs her Monday
/// visit and syncs it.
pub fn found_with_visit(dana: &Device, practice: &str, relay_url: &str) {
    found(dana, "Dana", practice, relay_url);
    drop_by(dana, "Monday: met the counselor");
    dana.json(&["sync"]);
}

/// Logs a drop-by at Lincoln Middle School.
pub fn drop_by(device: &Device, note: &str) {
    device.json(&["log", "drop-by", "--org", "Lincoln", "--note", note]);
}

/// The device's `status`.
pub fn status(device: &Device) -> Value {
    device.json(&["status"])
}

/// The reasons of what the device set aside, sorted.
pub fn set_aside_reasons(device: &Device) -> Vec<String> {
    let mut reasons: Vec<String> = device
        .json(&["set-aside"])
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["reason"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    reasons.sort();
    reasons
}

/// The practice's members as `workspace members` shows them: (name, role, removed, device ids).
pub fn members(device: &Device) -> Vec<(String, String, bool, Vec<String>)> {
    device
        .json(&["workspace", "members"])
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["name"].as_str().unwrap_or_default().to_string(),
                        m["role"].as_str().unwrap_or_default().to_string(),
                        m["removed"].as_bool().unwrap_or_default(),
                        m["devices"]
                            .as_array()
                            .map(|d| {
                                d.iter()
                                    .filter_map(|d| d["device_id"].as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..20usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = b64url(&bytes);
            assert!(!text.contains('='));
            assert_eq!(from_b64url(&text), Some(bytes));
        }
        assert_eq!(b64url(b"\xfb\xff"), "-_8");
        assert_eq!(from_b64url("a+b"), None);
    }

    #[test]
    fn the_after_of_a_query_is_read() {
        assert_eq!(after_of("/v1/workspaces/x/roster?after=7"), 7);
        assert_eq!(after_of("/v1/workspaces/x/keys?limit=2&after=3"), 3);
        assert_eq!(after_of("/v1/workspaces/x/roster"), 0);
    }
}
