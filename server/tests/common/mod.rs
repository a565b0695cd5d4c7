//! Shared fixtures: a relay over a temporary SQLite file, driven through `app()` without a
//! socket, and helpers that speak the wire protocol the way a client does.

#![allow(dead_code)] // each test file uses a different part of the fixtures

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tempfile::TempDir;
use tower::ServiceExt;
use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    ErrorBody, PushResponse, RedeemInviteRequest, Role, SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PullBatch, PushEntry};
use trellis_protocol::{Id, HASH_LEN};
use trellis_relay::{app, AppState, Clock, SqliteStorage};

/// The operator's signup secret in these tests.
pub const SIGNUP_SECRET: &str = "operator-signup-secret";

/// A relay over a temporary database, with a clock the test controls.
pub struct Relay {
    pub dir: Arc<TempDir>,
    pub app: Router,
    pub state: AppState,
    pub now: Arc<AtomicI64>,
}

/// What a client sees of an answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON of type `T`, asserting the status first.
    pub fn json<T: DeserializeOwned>(&self, status: StatusCode) -> T {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Asserts that this is a JSON error with this status and code, and returns it.
    pub fn error(&self, status: StatusCode, code: &str) -> ErrorBody {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "error content type {content_type:?}"
        );
        let body: ErrorBody = serde_json::from_slice(&self.body).expect("a JSON error body");
        assert_eq!(body.error, code);
        assert!(!body.message.is_empty());
        body
    }

    /// The body as a pull batch, asserting 200 and the content type.
    pub fn pull_batch(&self) -> PullBatch {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.headers.get(CONTENT_TYPE).unwrap(),
            "application/octet-stream"
        );
        batch::decode_pull(&self.body).expect("a valid pull body")
    }
}

impl Relay {
    /// A new relay with an empty database.
    pub fn start() -> Relay {
        Relay::open(Arc::new(tempfile::tempdir().unwrap()))
    }

    /// A relay over the database in `dir` (a restart, when the directory was used before).
    pub fn open(dir: Arc<TempDir>) -> Relay {
        let storage = SqliteStorage::open(dir.path().join("relay.sqlite3")).unwrap();
        let now = Arc::new(AtomicI64::new(1_800_000_000));
        let clock_now = Arc::clone(&now);
        let state = AppState::new(Arc::new(storage), SIGNUP_SECRET)
            .with_clock(Clock::from_fn(move || clock_now.load(Ordering::SeqCst)));
        Relay {
            dir,
            app: app(state.clone()),
            state,
            now,
        }
    }

    /// Moves the relay's clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sends one request through the router.
    pub async fn call(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request with optional bearer token and body.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match body {
            Some((content_type, bytes)) => req
                .header(CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => req.body(Body::empty()),
        };
        self.call(req.unwrap()).await
    }

    /// A JSON POST.
    pub async fn post_json(&self, uri: &str, token: Option<&str>, body: &impl Serialize) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(Method::POST, uri, token, Some(("application/json", bytes)))
            .await
    }

    /// Signup with a given secret header (None: no header).
    pub async fn signup_with(&self, secret: Option<&str>, req: &CreateWorkspaceRequest) -> Reply {
        let mut builder = Request::post("/v1/workspaces").header(CONTENT_TYPE, "application/json");
        if let Some(secret) = secret {
            builder = builder.header(SIGNUP_SECRET_HEADER, secret);
        }
        self.call(
            builder
                .body(Body::from(serde_json::to_vec(req).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// Creates a fresh workspace; returns the owner's first device.
    pub async fn signup(&self) -> DeviceCredentials {
        let req = CreateWorkspaceRequest {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            device_key: device_key(),
        };
        let creds: DeviceCredentials = self
            .signup_with(Some(SIGNUP_SECRET), &req)
            .await
            .json(StatusCode::CREATED);
        assert_eq!(creds.workspace_id, req.workspace_id);
        assert_eq!(creds.member_id, req.member_id);
        assert_eq!(creds.role, Role::Owner);
        creds
    }

    /// Issues an invite as `by`.
    pub async fn invite(&self, by: &DeviceCredentials, req: &CreateInviteRequest) -> Reply {
        let uri = format!("/v1/workspaces/{}/invites", by.workspace_id);
        self.post_json(&uri, Some(&by.token), req).await
    }

    /// Redeems an invite for a new device proposing a new member id.
    pub async fn redeem(&self, workspace: Id, secret: &str) -> Reply {
        self.post_json(
            "/v1/invites/redeem",
            None,
            &RedeemInviteRequest {
                workspace_id: workspace,
                invite_secret: secret.to_owned(),
                device_id: Id::random(),
                member_id: Id::random(),
                device_key: device_key(),
            },
        )
        .await
    }

    /// The owner invites a new member with `role`, who redeems it; returns the member's device.
    pub async fn add_member(&self, owner: &DeviceCredentials, role: Role) -> DeviceCredentials {
        let invite: CreateInviteResponse = self
            .invite(
                owner,
                &CreateInviteRequest {
                    role,
                    device: false,
                    ttl_seconds: None,
                },
            )
            .await
            .json(StatusCode::CREATED);
        self.redeem(owner.workspace_id, &invite.invite_secret)
            .await
            .json(StatusCode::CREATED)
    }

    /// `by` invites another device of its own member, which redeems it.
    pub async fn add_device(&self, by: &DeviceCredentials) -> DeviceCredentials {
        let invite: CreateInviteResponse = self
            .invite(
                by,
                &CreateInviteRequest {
                    role: Role::Member,
                    device: true,
                    ttl_seconds: None,
                },
            )
            .await
            .json(StatusCode::CREATED);
        self.redeem(by.workspace_id, &invite.invite_secret)
            .await
            .json(StatusCode::CREATED)
    }

    /// Pushes raw bytes to a workspace with a token.
    pub async fn push_raw(&self, workspace: Id, token: &str, body: Vec<u8>) -> Reply {
        let uri = format!("/v1/workspaces/{workspace}/push");
        self.send(
            Method::POST,
            &uri,
            Some(token),
            Some(("application/octet-stream", body)),
        )
        .await
    }

    /// Pushes entries as `device`, expecting success.
    pub async fn push(&self, device: &DeviceCredentials, entries: &[PushEntry]) -> PushResponse {
        self.push_raw(
            device.workspace_id,
            &device.token,
            batch::encode_push(entries),
        )
        .await
        .json(StatusCode::OK)
    }

    /// Pulls with a raw query string.
    pub async fn pull_raw(&self, workspace: Id, token: &str, query: &str) -> Reply {
        let uri = format!("/v1/workspaces/{workspace}/pull{query}");
        self.send(Method::GET, &uri, Some(token), None).await
    }

    /// Pulls entries after `after` as `device`, expecting success.
    pub async fn pull(&self, device: &DeviceCredentials, after: u64) -> PullBatch {
        self.pull_raw(
            device.workspace_id,
            &device.token,
            &format!("?after={after}"),
        )
        .await
        .pull_batch()
    }
}

/// A random device public key: 64 hexadecimal digits.
pub fn device_key() -> String {
    format!("{}{}", Id::random(), Id::random())
}

/// A change of `len` bytes whose content and hash derive from `n`.
pub fn change(n: u32, len: usize) -> PushEntry {
    let mut change_hash = [0u8; HASH_LEN];
    change_hash[..4].copy_from_slice(&n.to_le_bytes());
    let bytes = (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(n) as u8)
        .collect();
    PushEntry {
        doc_id: Id([(n % 7) as u8; 16]),
        change_hash,
        bytes,
    }
}
