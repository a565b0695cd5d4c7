//! Stories of running the relay for a practice: the operator scrapes metrics, follows a
//! request id through the logs, reads the API description, rotates the signup secret and lists
//! workspaces; a runaway client is rate limited and a stalled one timed out, and neither
//! leaves anything behind.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{change, device_key, Relay, Reply, SIGNUP_SECRET};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{Method, Request, StatusCode};
use futures_util::StreamExt;
use tower::ServiceExt;
use trellis_protocol::api::{codes, CreateWorkspaceRequest, DeviceCredentials};
use trellis_protocol::Id;
use trellis_relay::admin::DatabaseFile;
use trellis_relay::config::{rotate_signup_secret, AdminCommand, SIGNUP_SECRET_FILE};
use trellis_relay::{app, Limits, Metrics, SignupSecret};

/// What `admin workspaces` lists for this relay's database.
async fn listing(relay: &Relay) -> Vec<trellis_relay::admin::WorkspaceSummary> {
    match relay.postgres_url() {
        Some(url) => trellis_relay::PgStorage::connect(&url, 1)
            .await
            .unwrap()
            .workspaces()
            .await
            .unwrap(),
        None => DatabaseFile::new(relay.dir.path().join("relay.sqlite3"))
            .workspaces()
            .unwrap(),
    }
}

async fn get(relay: &Relay, uri: &str) -> Reply {
    relay.send(Method::GET, uri, None, None).await
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_log_size() {
    let mut relay = Relay::start();
    let source = relay.log_source();
    relay.app = app(relay
        .state
        .clone()
        .with_metrics(Metrics::new().with_log_source(source)));
    let owner = relay.signup().await;
    relay.push(&owner, &[change(1, 100), change(2, 50)]).await;
    relay.pull(&owner, 0).await;
    relay
        .push_raw(owner.workspace_id, "wrong-token", vec![1, 2, 3])
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    get(&relay, "/no/such/path/0123456789abcdef").await;

    let reply = get(&relay, "/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = String::from_utf8(reply.body.to_vec()).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix} in\n{text}"))
            .to_owned()
    };
    let push = r#"route="/v1/workspaces/{ws}/push""#;
    assert!(line(&format!(
        r#"trellis_relay_http_requests_total{{method="POST",{push},status="200"}}"#
    ))
    .ends_with(" 1"));
    assert!(line(&format!(
        r#"trellis_relay_http_requests_total{{method="POST",{push},status="401"}}"#
    ))
    .ends_with(" 1"));
    assert!(line(
        r#"trellis_relay_http_requests_total{method="GET",route="unmatched",status="404"}"#
    )
    .ends_with(" 1"));
    // Push and pull latency histograms.
    assert!(text.contains(&format!(
        r#"trellis_relay_http_request_duration_seconds_count{{method="POST",{push}}} 2"#
    )));
    assert!(text.contains(
        r#"trellis_relay_http_request_duration_seconds_count{method="GET",route="/v1/workspaces/{ws}/pull"} 1"#
    ));
    // Bytes in: the two pushes' bodies; bytes out: at least the pull's answer.
    let bytes_in: u64 = line(&format!("trellis_relay_http_request_bytes_total{{{push}}}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes_in > 150, "{bytes_in}");
    assert!(text
        .contains(r#"trellis_relay_http_response_bytes_total{route="/v1/workspaces/{ws}/pull"}"#));
    // The log gauges come from the database.
    assert!(text.contains("trellis_relay_log_entries 2"), "{text}");
    assert!(text.contains("trellis_relay_log_bytes 150"), "{text}");
    assert!(text.contains("trellis_relay_workspaces 1"), "{text}");
    assert!(text.contains("trellis_relay_live_sockets 0"), "{text}");
    // No ids of any kind in the labels.
    for id in [
        owner.workspace_id.to_hex(),
        owner.member_id.to_hex(),
        "0123456789abcdef".to_owned(),
    ] {
        assert!(!text.contains(&id), "{id} leaked into /metrics");
    }
    assert!(!text.contains(&owner.token));
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let relay = Relay::start();
    let made = get(&relay, "/healthz").await;
    let id = made.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let other = get(&relay, "/no-such-endpoint").await;
    assert_ne!(other.headers["x-request-id"].to_str().unwrap(), id);

    let with_id = |value: &str| {
        Request::get("/healthz")
            .header("x-request-id", value)
            .body(Body::empty())
            .unwrap()
    };
    // Answers keep an exact size (so a Content-Length) through the metrics and id layers.
    let response = relay.app.clone().oneshot(with_id("a")).await.unwrap();
    assert_eq!(
        axum::body::HttpBody::size_hint(response.body()).exact(),
        Some(br#"{"status":"ok"}"#.len() as u64)
    );
    let kept = relay.call(with_id("proxy-7f3a.1")).await;
    assert_eq!(kept.headers["x-request-id"], "proxy-7f3a.1");
    // An id that could forge a log line is replaced.
    let replaced = relay.call(with_id("x level=error forged")).await;
    let replaced = replaced.headers["x-request-id"].to_str().unwrap();
    assert_ne!(replaced, "x level=error forged");
    assert_eq!(replaced.len(), 32);
}

/// Every `.route("...")` written in the relay's source.
fn routes_in_source(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            routes_in_source(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split(".route(").skip(1) {
                let piece = piece.trim_start();
                if let Some(rest) = piece.strip_prefix('"') {
                    if let Some(end) = rest.find('"') {
                        out.insert(rest[..end].to_owned());
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_served_openapi_document_describes_every_route() {
    let relay = Relay::start();
    let reply = get(&relay, "/v1/openapi.json").await;
    let document: serde_json::Value = reply.json(StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths.keys().cloned().collect();

    let mut in_source = BTreeSet::new();
    routes_in_source(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut in_source,
    );
    assert!(in_source.len() >= 10, "{in_source:?}");
    let missing: Vec<_> = in_source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from OpenAPI: {missing:?}"
    );

    // And every documented operation is served: none falls through to the 404 or 405 fallbacks.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let uri = path
                .replace("{ws}", &Id::random().to_hex())
                .replace("{device}", &Id::random().to_hex())
                .replace("{member}", &Id::random().to_hex());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = relay.send(method.clone(), &uri, None, None).await;
            assert!(
                reply.status != StatusCode::NOT_FOUND
                    && reply.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served: {}",
                reply.status
            );
        }
    }
    // Bearer routes say so.
    assert_eq!(
        paths["/v1/workspaces/{ws}/push"]["post"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn a_runaway_device_is_rate_limited_and_nothing_is_stored() {
    let mut relay = Relay::start();
    let limits = Limits {
        rate_per_minute: NonZeroU32::new(4).unwrap(),
        ..Limits::default()
    };
    // Set up the practice first, then limit: signup and invites are requests too.
    let owner = relay.signup().await;
    let colleague = relay
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    relay.app = app(relay.state.clone().with_limits(limits));

    for n in 0..4 {
        relay.push(&owner, &[change(n, 10)]).await;
    }
    let head_before = relay.pull(&colleague, 0).await.head;
    let refused = relay
        .push_raw(
            owner.workspace_id,
            &owner.token,
            trellis_protocol::batch::encode_push(&[change(99, 10)]),
        )
        .await;
    refused.error(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED);
    let retry: u64 = refused.headers[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    // The colleague's device has a bucket of its own, and sees that nothing was stored.
    let after = relay.pull(&colleague, 0).await;
    assert_eq!(after.head, head_before);
    assert_eq!(after.entries.len(), 4);
    // Health checks and scrapes are never limited.
    for _ in 0..10 {
        assert_eq!(get(&relay, "/healthz").await.status, StatusCode::OK);
    }
    let metrics = String::from_utf8(get(&relay, "/metrics").await.body.to_vec()).unwrap();
    assert!(
        metrics.contains("trellis_relay_rate_limited_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn signups_without_a_token_are_limited_per_address() {
    let mut relay = Relay::start();
    let limits = Limits {
        rate_per_minute: NonZeroU32::new(2).unwrap(),
        ..Limits::default()
    };
    relay.app = app(relay.state.clone().with_limits(limits));
    let signup_from = |addr: &str| {
        let addr: SocketAddr = addr.parse().unwrap();
        let body = CreateWorkspaceRequest {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            device_key: device_key(),
            token: None,
            roster: vec![crate::common::creation_event()],
        };
        Request::post("/v1/workspaces")
            .header(CONTENT_TYPE, "application/json")
            .header(trellis_protocol::api::SIGNUP_SECRET_HEADER, "a wrong guess")
            .extension(ConnectInfo(addr))
            .body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap()
    };
    for _ in 0..2 {
        relay
            .call(signup_from("127.0.0.2:5000"))
            .await
            .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    }
    // A third guess from the same address, even from another port, waits.
    relay
        .call(signup_from("127.0.0.2:5001"))
        .await
        .error(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED);
    relay
        .call(signup_from("127.0.0.3:5000"))
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
}

#[tokio::test]
async fn a_flood_of_made_up_tokens_is_charged_to_its_address_and_real_devices_go_on() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let pull_from = |addr: &str, token: &str| {
        let addr: SocketAddr = addr.parse().unwrap();
        Request::get(format!("/v1/workspaces/{}/pull", owner.workspace_id))
            .header("authorization", format!("Bearer {token}"))
            .extension(ConnectInfo(addr))
            .body(Body::empty())
            .unwrap()
    };
    // The owner's phone, behind the same office address as the attacker, syncs once.
    let phone = relay.call(pull_from("127.0.0.9:4000", &owner.token)).await;
    assert_eq!(phone.status, StatusCode::OK, "{phone:?}");
    // A fresh random token per request: each is a new device bucket, but every failure is
    // charged to the address, and after the address's share the flood is refused unread.
    let (mut refused, mut failed) = (0, 0);
    for _ in 0..(trellis_relay::limits::AUTH_FAILURES_PER_MINUTE + 20) {
        let reply = relay
            .call(pull_from(
                "127.0.0.9:5000",
                &trellis_protocol::random_secret(),
            ))
            .await;
        match reply.status {
            StatusCode::UNAUTHORIZED => failed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // The address's share (plus the one that emptied it, and one more if a second passed).
    assert!(
        failed <= trellis_relay::limits::AUTH_FAILURES_PER_MINUTE + 2,
        "{failed} made-up tokens were looked up, {refused} refused"
    );
    let blocked = relay
        .call(pull_from(
            "127.0.0.9:5001",
            &trellis_protocol::random_secret(),
        ))
        .await;
    blocked.error(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED);
    assert!(blocked.headers.contains_key(RETRY_AFTER));
    // The owner's phone, whose token worked, still syncs from that address; another address
    // is not affected.
    let phone = relay.call(pull_from("127.0.0.9:4001", &owner.token)).await;
    assert_eq!(phone.status, StatusCode::OK, "{phone:?}");
    relay
        .call(pull_from(
            "127.0.0.10:5000",
            &trellis_protocol::random_secret(),
        ))
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stalled_upload_times_out_with_408_and_stores_nothing() {
    let mut relay = Relay::start();
    let owner = relay.signup().await;
    relay.push(&owner, &[change(1, 10)]).await;
    relay.app = app(relay.state.clone().with_limits(Limits {
        request_timeout: Duration::from_millis(300),
        ..Limits::default()
    }));
    // Half a batch, then silence.
    let full = trellis_protocol::batch::encode_push(&[change(2, 1000)]);
    let half = axum::body::Bytes::copy_from_slice(&full[..full.len() / 2]);
    let stalled = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) })
        .chain(futures_util::stream::pending());
    let request = Request::post(format!("/v1/workspaces/{}/push", owner.workspace_id))
        .header("authorization", format!("Bearer {}", owner.token))
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(Body::from_stream(stalled))
        .unwrap();
    let started = std::time::Instant::now();
    let response =
        tokio::time::timeout(Duration::from_secs(10), relay.app.clone().oneshot(request))
            .await
            .expect("the relay answers a stalled upload")
            .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    let error: trellis_protocol::api::ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.error, codes::BAD_REQUEST);
    assert_eq!(relay.pull(&owner, 0).await.entries.len(), 1);
}

#[tokio::test]
async fn a_rotated_signup_secret_takes_effect_without_a_restart() {
    let mut relay = Relay::start();
    let data = relay.dir.path().to_path_buf();
    std::fs::write(data.join(SIGNUP_SECRET_FILE), format!("{SIGNUP_SECRET}\n")).unwrap();
    relay.app = app(relay
        .state
        .clone()
        .with_signup_secret(SignupSecret::File(Arc::new(data.join(SIGNUP_SECRET_FILE)))));
    relay.signup().await;

    let new_secret = rotate_signup_secret(&data).unwrap();
    let request = || CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: device_key(),
        token: None,
        roster: vec![crate::common::creation_event()],
    };
    relay
        .signup_with(Some(SIGNUP_SECRET), &request())
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    relay
        .signup_with(Some(&new_secret), &request())
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
}

#[tokio::test]
async fn the_operator_lists_workspaces_with_their_sizes() {
    let relay = Relay::start();
    let first = relay.signup().await;
    relay
        .add_member(&first, trellis_protocol::api::Role::Admin)
        .await;
    relay.add_device(&first).await;
    relay.push(&first, &[change(1, 300), change(2, 200)]).await;
    let second = relay.signup().await;
    relay.push(&second, &[change(3, 7)]).await;

    let listing = listing(&relay).await;
    assert_eq!(listing.len(), 2);
    let summary = |id: Id| {
        listing
            .iter()
            .find(|w| w.workspace_id == id.to_hex())
            .expect("listed")
            .clone()
    };
    let a = summary(first.workspace_id);
    assert_eq!(
        (a.log_entries, a.log_bytes, a.members, a.devices, a.head),
        (2, 500, 2, 3, 2)
    );
    let b = summary(second.workspace_id);
    assert_eq!(
        (b.log_entries, b.log_bytes, b.members, b.devices),
        (1, 7, 1, 1)
    );

    let config = relay.admin_config();
    let mut out = Vec::new();
    trellis_relay::admin::run(&config, &AdminCommand::Workspaces { json: true }, &mut out)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let mut out = Vec::new();
    trellis_relay::admin::run(&config, &AdminCommand::Workspaces { json: false }, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains(&first.workspace_id.to_hex()), "{table}");
    assert!(
        table.contains("2 workspaces, 3 entries, 507 bytes"),
        "{table}"
    );

    // A data directory without a database is an error, not an empty list.
    let empty = tempfile::tempdir().unwrap();
    assert!(DatabaseFile::new(empty.path().join("relay.sqlite3"))
        .workspaces()
        .is_err());
}
