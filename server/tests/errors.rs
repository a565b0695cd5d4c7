//! Whatever goes wrong, a client gets a JSON error with the right status, never plain text.

use crate::common::{Relay, SIGNUP_SECRET};
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Method, Request, StatusCode};
use trellis_protocol::api::{codes, CreateInviteRequest, Role, SIGNUP_SECRET_HEADER};

#[tokio::test]
async fn the_health_check_answers() {
    let relay = Relay::start();
    let reply = relay.send(Method::GET, "/healthz", None, None).await;
    let body: serde_json::Value = reply.json(StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_json() {
    let relay = Relay::start();
    for uri in ["/", "/v2/workspaces", "/v1/workspaces/x/y/z", "/v1/nothing"] {
        relay
            .send(Method::GET, uri, None, None)
            .await
            .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    }
    let owner = relay.signup().await;
    let pull = format!("/v1/workspaces/{}/pull", owner.workspace_id);
    relay
        .send(Method::POST, &pull, Some(&owner.token), None)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, codes::BAD_REQUEST);
    relay
        .send(Method::DELETE, "/v1/workspaces", None, None)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, codes::BAD_REQUEST);
}

#[tokio::test]
async fn missing_or_garbled_authorization_is_401_json() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let uri = format!("/v1/workspaces/{}/pull", owner.workspace_id);
    relay
        .send(Method::GET, &uri, None, None)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    for header in [
        format!("Basic {}", owner.token),
        "Bearer".to_owned(),
        owner.token.clone(),
    ] {
        let req = Request::get(&uri)
            .header(AUTHORIZATION, header)
            .body(Body::empty())
            .unwrap();
        relay
            .call(req)
            .await
            .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    }
    // Not even valid UTF-8.
    let req = Request::get(&uri)
        .header(AUTHORIZATION, &b"Bearer \xfe\xff"[..])
        .body(Body::empty())
        .unwrap();
    relay
        .call(req)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
}

#[tokio::test]
async fn a_malformed_workspace_id_in_the_path_is_400() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    for ws in ["abc", "zz".repeat(16).as_str(), "00".repeat(17).as_str()] {
        relay
            .send(
                Method::GET,
                &format!("/v1/workspaces/{ws}/pull"),
                Some(&owner.token),
                None,
            )
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
}

#[tokio::test]
async fn bad_json_bodies_are_400_json() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let invites = format!("/v1/workspaces/{}/invites", owner.workspace_id);
    let cases: [(&str, &[u8]); 4] = [
        ("application/json", b"{not json"),
        ("application/json", br#"{"role":"emperor"}"#),
        ("application/json", br#"{"workspace_id":"nope"}"#),
        ("text/plain", br#"{"role":"member"}"#),
    ];
    for (content_type, body) in cases {
        let reply = relay
            .send(
                Method::POST,
                &invites,
                Some(&owner.token),
                Some((content_type, body.to_vec())),
            )
            .await;
        let err = reply.error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
        assert!(!err.message.contains("emperor"), "{}", err.message);
    }

    // Signup with the right secret but a body with an id that is not hex.
    let req = Request::post("/v1/workspaces")
        .header(SIGNUP_SECRET_HEADER, SIGNUP_SECRET)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"workspace_id":"xyz","member_id":"xyz","device_id":"xyz"}"#,
        ))
        .unwrap();
    relay
        .call(req)
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
}

#[tokio::test]
async fn an_oversized_control_body_is_413_json() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let uri = format!("/v1/workspaces/{}/invites", owner.workspace_id);
    // A valid request padded with a megabyte of whitespace.
    let mut body = serde_json::to_vec(&CreateInviteRequest {
        role: Role::Member,
        device: false,
        ttl_seconds: None,
        invite_id: None,
        roster: Vec::new(),
    })
    .unwrap();
    body.extend(std::iter::repeat_n(b' ', 1 << 20));
    relay
        .send(
            Method::POST,
            &uri,
            Some(&owner.token),
            Some(("application/json", body)),
        )
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_live_endpoint_without_an_upgrade_is_400_json() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let uri = format!("/v1/workspaces/{}/live", owner.workspace_id);
    relay
        .send(Method::GET, &uri, Some(&owner.token), None)
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    relay
        .send(Method::GET, &uri, None, None)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
}
