//! The bad-input matrix: every endpoint, hit by every kind of caller that must be turned away
//! and every kind of body that must be refused, answers with the right status and JSON error
//! code, and leaves the database exactly as it was.
//!
//! The endpoints are one table, [`ENDPOINTS`]: adding an endpoint to the relay means adding a
//! row here (a test checks that the table covers every route of the OpenAPI document, which in
//! turn covers every route in the source). The rows say how each endpoint authenticates and
//! what body it takes; the cases are derived from that.

use std::collections::BTreeSet;

use crate::common::{change, creation_event, device_key, roster_event, Relay, SIGNUP_SECRET};
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use trellis_protocol::api::{
    codes, CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    MembersResponse, Role, SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch;
use trellis_protocol::snapshot::{self, CheckpointInfo};
use trellis_protocol::{Id, MAX_BODY_BYTES};
use trellis_relay::routes::CONTROL_BODY_LIMIT;

/// How an endpoint knows its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// `Authorization: Bearer <device token>`, for a workspace in the path.
    Bearer,
    /// A device token as [`Auth::Bearer`], where a revoked device's is let in too (the
    /// roster's read: a revoked device verifies its own removal there).
    BearerOrRevoked,
    /// The operator's signup secret header.
    Signup,
    /// Nothing (the body carries a secret, or the endpoint is public).
    Open,
}

/// What an endpoint takes as its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    /// No body.
    Empty,
    /// JSON, up to [`CONTROL_BODY_LIMIT`].
    Json,
    /// JSON that may be left out (an empty body), up to [`CONTROL_BODY_LIMIT`]: its fields
    /// all have defaults, so JSON of another shape is no error.
    OptionalJson,
    /// A binary push batch, up to [`MAX_BODY_BYTES`].
    Batch,
}

/// One endpoint of the relay.
struct Endpoint {
    method: Method,
    /// The route template, as in the router and the OpenAPI document.
    route: &'static str,
    auth: Auth,
    payload: Payload,
}

const fn endpoint(method: Method, route: &'static str, auth: Auth, payload: Payload) -> Endpoint {
    Endpoint {
        method,
        route,
        auth,
        payload,
    }
}

/// Every endpoint of the relay.
const ENDPOINTS: &[Endpoint] = &[
    endpoint(Method::GET, "/healthz", Auth::Open, Payload::Empty),
    endpoint(Method::GET, "/metrics", Auth::Open, Payload::Empty),
    endpoint(Method::GET, "/v1/openapi.json", Auth::Open, Payload::Empty),
    endpoint(Method::GET, "/v1/app", Auth::Open, Payload::Empty),
    endpoint(Method::POST, "/v1/workspaces", Auth::Signup, Payload::Json),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/invites",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/invites/redeem",
        Auth::Open,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/invites/{invite}/cancel",
        Auth::Bearer,
        Payload::OptionalJson,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/push",
        Auth::Bearer,
        Payload::Batch,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/pull",
        Auth::Bearer,
        Payload::Empty,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/live",
        Auth::Bearer,
        Payload::Empty,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/members",
        Auth::Bearer,
        Payload::Empty,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/devices/{device}/revoke",
        Auth::Bearer,
        Payload::OptionalJson,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/members/{member}/remove",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/leave",
        Auth::Bearer,
        Payload::OptionalJson,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/transfer",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/keys/rotate",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/keys/grant",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/keys",
        Auth::Bearer,
        Payload::Empty,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/roster",
        Auth::BearerOrRevoked,
        Payload::Empty,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/roster",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/checkpoints",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/checkpoints/{id}/docs",
        Auth::Bearer,
        Payload::Batch,
    ),
    endpoint(
        Method::POST,
        "/v1/workspaces/{ws}/checkpoints/{id}/complete",
        Auth::Bearer,
        Payload::Json,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/checkpoint",
        Auth::Bearer,
        Payload::Empty,
    ),
    endpoint(
        Method::GET,
        "/v1/workspaces/{ws}/checkpoints/{id}/docs",
        Auth::Bearer,
        Payload::Empty,
    ),
];

/// A practice on the relay: an owner with a colleague, a colleague whose device was revoked,
/// and another practice.
struct World {
    relay: Relay,
    owner: DeviceCredentials,
    colleague: DeviceCredentials,
    colleague_device: Id,
    revoked: DeviceCredentials,
    stranger: DeviceCredentials,
    /// An incomplete checkpoint of the owner's workspace.
    checkpoint: Id,
    /// An invite of the owner's, not redeemed.
    invite: Id,
}

impl World {
    async fn new() -> World {
        let relay = Relay::start();
        let owner = relay.signup().await;
        let colleague = relay.add_member(&owner, Role::Member).await;
        let revoked = relay.add_member(&owner, Role::Member).await;
        let stranger = relay.signup().await;
        relay.push(&owner, &[change(1, 40), change(2, 40)]).await;
        let members: MembersResponse = relay
            .send(
                Method::GET,
                &format!("/v1/workspaces/{}/members", owner.workspace_id),
                Some(&owner.token),
                None,
            )
            .await
            .json(StatusCode::OK);
        let device_of = |member: Id| {
            members
                .devices
                .iter()
                .find(|d| d.member_id == member)
                .map(|d| d.device_id)
                .expect("the member has a device")
        };
        let colleague_device = device_of(colleague.member_id);
        let revoked_device = device_of(revoked.member_id);
        let reply = relay
            .send(
                Method::POST,
                &format!(
                    "/v1/workspaces/{}/devices/{revoked_device}/revoke",
                    owner.workspace_id
                ),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
        let checkpoint: CheckpointInfo = relay
            .post_json(
                &format!("/v1/workspaces/{}/checkpoints", owner.workspace_id),
                Some(&owner.token),
                &json!({"seq": 1}),
            )
            .await
            .json(StatusCode::CREATED);
        let invite = relay.device_invite(&owner).await;
        World {
            relay,
            owner,
            colleague,
            colleague_device,
            revoked,
            stranger,
            checkpoint: checkpoint.checkpoint_id,
            invite: invite.invite_id,
        }
    }

    /// The endpoint's path on the owner's workspace, naming the colleague where it names
    /// someone.
    fn path(&self, endpoint: &Endpoint, ws: &str) -> String {
        endpoint
            .route
            .replace("{ws}", ws)
            .replace("{device}", &self.colleague_device.to_hex())
            .replace("{member}", &self.colleague.member_id.to_hex())
            .replace("{id}", &self.checkpoint.to_hex())
            .replace("{invite}", &self.invite.to_hex())
    }

    /// A body the endpoint would accept from the owner.
    fn valid_body(&self, endpoint: &Endpoint) -> Vec<u8> {
        let value = match (endpoint.payload, endpoint.route) {
            (Payload::Empty, _) => return Vec::new(),
            (Payload::Batch, "/v1/workspaces/{ws}/checkpoints/{id}/docs") => {
                return snapshot::encode_docs(&snapshot::DocBatch {
                    more: false,
                    docs: vec![snapshot::DocSnapshot {
                        doc_id: Id::random(),
                        bytes: vec![7; 64],
                    }],
                })
            }
            (Payload::Batch, _) => return batch::encode_push(&[change(3, 64)]),
            (_, "/v1/workspaces") => json!({
                "workspace_id": Id::random(), "member_id": Id::random(),
                "device_id": Id::random(), "device_key": device_key(),
                "roster": [creation_event()],
            }),
            (_, "/v1/invites/redeem") => json!({
                "workspace_id": self.owner.workspace_id, "invite_secret": "not-an-invite",
                "device_id": Id::random(), "member_id": Id::random(), "device_key": device_key(),
            }),
            (_, "/v1/workspaces/{ws}/invites") => json!({"role": "member"}),
            (_, "/v1/workspaces/{ws}/transfer") => json!({"member_id": self.colleague.member_id}),
            (_, "/v1/workspaces/{ws}/checkpoints") => json!({"seq": 1}),
            (_, "/v1/workspaces/{ws}/checkpoints/{id}/complete") => json!({"docs": 0}),
            (_, "/v1/workspaces/{ws}/keys/grant") => json!({
                "device_id": self.colleague_device,
                "keys": [{"epoch": 0, "sealed": "c2VhbGVk"}],
            }),
            (Payload::OptionalJson, _) | (_, "/v1/workspaces/{ws}/roster") => {
                json!({"roster": [roster_event(2, b"an event")]})
            }
            // A rotation: the relay checks the epoch and devices in storage.
            _ => json!({"epoch": 1, "wrapped": []}),
        };
        serde_json::to_vec(&value).unwrap()
    }

    /// A request to `endpoint` on workspace `ws` with a credential and a body.
    fn request(
        &self,
        endpoint: &Endpoint,
        ws: &str,
        credential: Option<&str>,
        body: Vec<u8>,
    ) -> Request<Body> {
        let mut req = Request::builder()
            .method(endpoint.method.clone())
            .uri(self.path(endpoint, ws));
        if let Some(credential) = credential {
            req = match endpoint.auth {
                Auth::Bearer | Auth::BearerOrRevoked => {
                    req.header(AUTHORIZATION, format!("Bearer {credential}"))
                }
                Auth::Signup => req.header(SIGNUP_SECRET_HEADER, credential),
                Auth::Open => req,
            };
        }
        let content_type = match endpoint.payload {
            Payload::Batch => Some("application/octet-stream"),
            Payload::Json | Payload::OptionalJson => Some("application/json"),
            Payload::Empty => None,
        };
        if let Some(content_type) = content_type {
            req = req.header(CONTENT_TYPE, content_type);
        }
        req.body(Body::from(body)).unwrap()
    }

    /// The owner's credential for this endpoint (token or signup secret).
    fn good_credential(&self, endpoint: &Endpoint) -> &str {
        match endpoint.auth {
            Auth::Signup => SIGNUP_SECRET,
            _ => &self.owner.token,
        }
    }

    /// Every row of every table (and the schema version), to compare before and after.
    fn snapshot(&self) -> Vec<String> {
        self.relay.dump()
    }
}

/// What a case expects: a status and an error code.
type Expected = (StatusCode, &'static str);

/// The bad requests the matrix sends to an endpoint, with what each must get. Cases that do
/// not apply to the endpoint (a token on an open endpoint, a body where none is read) are left
/// out.
fn cases(world: &World, e: &Endpoint) -> Vec<(&'static str, Request<Body>, Expected)> {
    let ws = world.owner.workspace_id.to_hex();
    let unauthorized = (StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    let mut out = Vec::new();
    if e.auth != Auth::Open {
        let body = || world.valid_body(e);
        out.push((
            "no token",
            world.request(e, &ws, None, body()),
            unauthorized,
        ));
        let wrong = trellis_protocol::random_secret();
        out.push((
            "wrong token",
            world.request(e, &ws, Some(&wrong), body()),
            unauthorized,
        ));
    }
    if matches!(e.auth, Auth::Bearer | Auth::BearerOrRevoked) {
        let body = || world.valid_body(e);
        if e.auth == Auth::Bearer {
            out.push((
                "revoked token",
                world.request(e, &ws, Some(&world.revoked.token), body()),
                (StatusCode::UNAUTHORIZED, codes::REVOKED),
            ));
        }
        out.push((
            "another workspace's token",
            world.request(e, &ws, Some(&world.stranger.token), body()),
            (StatusCode::FORBIDDEN, codes::FORBIDDEN),
        ));
        out.push((
            "malformed workspace id",
            world.request(e, "not-a-workspace", Some(&world.owner.token), body()),
            (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
        ));
    }
    let credential = world.good_credential(e);
    match e.payload {
        Payload::Empty => {}
        Payload::Json | Payload::OptionalJson | Payload::Batch => {
            let limit = if e.payload == Payload::Batch {
                MAX_BODY_BYTES
            } else {
                CONTROL_BODY_LIMIT
            };
            out.push((
                "oversized body",
                world.request(e, &ws, Some(credential), vec![b' '; limit + 1]),
                (StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE),
            ));
            let malformed = if e.payload == Payload::Batch {
                vec![0xff; 9]
            } else {
                b"{\"role\": ".to_vec()
            };
            out.push((
                "malformed body",
                world.request(e, &ws, Some(credential), malformed),
                (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
            ));
            if e.payload == Payload::Json {
                out.push((
                    "JSON of the wrong shape",
                    world.request(e, &ws, Some(credential), b"{\"unexpected\": 1}".to_vec()),
                    (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
                ));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_endpoint_turns_away_bad_callers_and_bodies_and_stores_nothing() {
    let world = World::new().await;
    let mut checked = 0;
    for e in ENDPOINTS {
        for (case, request, (status, code)) in cases(&world, e) {
            let before = world.snapshot();
            let reply = world.relay.call(request).await;
            let what = format!("{} {} with {case}", e.method, e.route);
            assert_eq!(
                reply.status,
                status,
                "{what}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            let error: trellis_protocol::api::ErrorBody = serde_json::from_slice(&reply.body)
                .unwrap_or_else(|_| panic!("{what}: not a JSON error"));
            assert_eq!(error.error, code, "{what}: {}", error.message);
            assert!(!error.message.is_empty(), "{what}");
            assert_eq!(world.snapshot(), before, "{what} changed the database");
            checked += 1;
        }
    }
    // Today: 21 endpoints need a credential (2 cases each), 20 of them a device token (3 more
    // each, 2 for the roster's read), 15 take a body (2 cases each, 3 for JSON that must be
    // there): 141 cases.
    assert!(checked >= 141, "only {checked} cases ran");
}

#[tokio::test]
async fn replayed_requests_store_nothing_twice() {
    let world = World::new().await;
    let relay = &world.relay;

    // A push retried after a lost answer: same seqs, nothing stored, head unchanged.
    let entries = [change(10, 100), change(11, 100)];
    let first = relay.push(&world.owner, &entries).await;
    assert_eq!(first.stored, 2);
    let before = world.snapshot();
    let again = relay.push(&world.owner, &entries).await;
    assert_eq!(
        (again.seqs, again.stored, again.head),
        (first.seqs, 0, first.head)
    );
    assert_eq!(
        world.snapshot(),
        before,
        "a replayed push changed the database"
    );

    // A replayed signup: 409, nothing changes.
    let signup = CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: device_key(),
        token: None,
        roster: vec![crate::common::creation_event()],
    };
    relay
        .signup_with(Some(SIGNUP_SECRET), &signup)
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
    let before = world.snapshot();
    relay
        .signup_with(Some(SIGNUP_SECRET), &signup)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert_eq!(
        world.snapshot(),
        before,
        "a replayed signup changed the database"
    );

    // A replayed redemption: 410, nothing changes.
    let invite: CreateInviteResponse = relay
        .invite(
            &world.owner,
            &CreateInviteRequest {
                role: Role::Member,
                device: false,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED);
    let redeem = json!({
        "workspace_id": world.owner.workspace_id, "invite_secret": invite.invite_secret,
        "device_id": Id::random(), "member_id": Id::random(), "device_key": device_key(),
    });
    relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
    let before = world.snapshot();
    relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .error(StatusCode::GONE, codes::GONE);
    assert_eq!(
        world.snapshot(),
        before,
        "a replayed redemption changed the database"
    );
}

#[tokio::test]
async fn the_table_covers_every_route_of_the_openapi_document() {
    let document = serde_json::to_value(trellis_relay::openapi::document()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let table: BTreeSet<String> = ENDPOINTS
        .iter()
        .map(|e| format!("{} {}", e.method, e.route))
        .collect();
    assert_eq!(table, documented);
}
