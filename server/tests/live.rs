//! Stories of the live WebSocket, over a real socket: a device hears about pushes by others.

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::{change, Relay};
use axum::http::StatusCode;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use trellis_protocol::api::{DeviceCredentials, LiveMessage};
use trellis_protocol::Id;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Serves the relay's router on a loopback port.
async fn serve(relay: &Relay) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = relay.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn connect(addr: SocketAddr, ws: Id, token: &str) -> Result<Socket, WsError> {
    let mut req = format!("ws://{addr}/v1/workspaces/{ws}/live")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

async fn listen(addr: SocketAddr, device: &DeviceCredentials) -> Socket {
    connect(addr, device.workspace_id, &device.token)
        .await
        .expect("the live socket opens")
}

/// The next head announced, failing after a few seconds of silence.
async fn next_head(socket: &mut Socket) -> u64 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a live message in time")
            .expect("the socket is open")
            .expect("a valid frame");
        match msg {
            Message::Text(text) => {
                let live: LiveMessage = serde_json::from_str(&text).expect("a LiveMessage");
                return live.head;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected live frame {other:?}"),
        }
    }
}

/// Asserts that nothing is announced for a moment.
async fn silent(socket: &mut Socket) {
    let quiet = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
    assert!(quiet.is_err(), "unexpected live message {quiet:?}");
}

#[tokio::test]
async fn a_device_hears_the_new_head_after_another_device_pushes() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let phone = relay.add_device(&owner).await;
    relay.push(&owner, &[change(1, 10)]).await;
    let addr = serve(&relay).await;

    let mut socket = listen(addr, &phone).await;
    assert_eq!(next_head(&mut socket).await, 1, "the head is sent at once");

    relay.push(&owner, &[change(2, 10), change(3, 10)]).await;
    assert_eq!(next_head(&mut socket).await, 3);

    // A retry that stores nothing announces nothing.
    relay.push(&owner, &[change(2, 10)]).await;
    silent(&mut socket).await;

    // Chatter from the client is ignored; the socket keeps working.
    socket.send(Message::text("hello")).await.unwrap();
    relay.push(&owner, &[change(4, 10)]).await;
    assert_eq!(next_head(&mut socket).await, 4);

    socket.close(None).await.unwrap();
}

#[tokio::test]
async fn a_browser_sends_its_token_as_a_subprotocol_and_gets_the_live_one_back() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let addr = serve(&relay).await;
    let browser = |token: &str| {
        let mut req = format!("ws://{addr}/v1/workspaces/{}/live", owner.workspace_id)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            format!("trellis.live, trellis.bearer.{token}")
                .parse()
                .unwrap(),
        );
        tokio_tungstenite::connect_async(req)
    };

    let (mut socket, response) = browser(&owner.token).await.expect("the socket opens");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "trellis.live",
        "a browser must get one of its subprotocols back"
    );
    assert_eq!(next_head(&mut socket).await, 0);
    relay.push(&owner, &[change(1, 10)]).await;
    assert_eq!(next_head(&mut socket).await, 1);

    match browser(&trellis_protocol::random_secret()).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        other => panic!("a forged token opened the socket: {other:?}"),
    }
}

#[tokio::test]
async fn pushes_to_other_workspaces_are_not_announced() {
    let relay = Relay::start();
    let a = relay.signup().await;
    let b = relay.signup().await;
    let addr = serve(&relay).await;

    let mut socket = listen(addr, &a).await;
    assert_eq!(next_head(&mut socket).await, 0);
    relay.push(&b, &[change(1, 10)]).await;
    silent(&mut socket).await;
    relay.push(&a, &[change(1, 10)]).await;
    assert_eq!(next_head(&mut socket).await, 1);
}

#[tokio::test]
async fn the_live_socket_needs_a_device_of_that_workspace() {
    let relay = Relay::start();
    let a = relay.signup().await;
    let b = relay.signup().await;
    let addr = serve(&relay).await;

    let status = |result: Result<Socket, WsError>| match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the socket opened"),
    };
    let forged = trellis_protocol::random_secret();
    assert_eq!(
        status(connect(addr, a.workspace_id, &forged).await),
        StatusCode::UNAUTHORIZED.as_u16()
    );
    assert_eq!(
        status(connect(addr, a.workspace_id, &b.token).await),
        StatusCode::FORBIDDEN.as_u16()
    );
}

#[tokio::test]
async fn an_oversized_incoming_frame_closes_the_socket() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let addr = serve(&relay).await;
    let mut socket = listen(addr, &owner).await;
    assert_eq!(next_head(&mut socket).await, 0);

    let _ = socket.send(Message::binary(vec![0u8; 64 * 1024])).await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the relay should drop a socket that floods it");
}

#[tokio::test]
async fn a_device_opens_at_most_four_live_sockets_and_may_open_another_once_one_closes() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let colleague = relay
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let addr = serve(&relay).await;
    let mut open = Vec::new();
    for _ in 0..trellis_relay::routes::live::MAX_SOCKETS_PER_DEVICE {
        let mut socket = listen(addr, &owner).await;
        next_head(&mut socket).await;
        open.push(socket);
    }
    match connect(addr, owner.workspace_id, &owner.token).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("quota_exceeded"), "{body}");
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a fifth socket opened"),
    }
    // Another device of the practice is not affected.
    let mut other = listen(addr, &colleague).await;
    next_head(&mut other).await;
    // Once one closes, the device may open another.
    let mut closing = open.pop().unwrap();
    closing.close(None).await.unwrap();
    drop(closing);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(socket) = connect(addr, owner.workspace_id, &owner.token).await {
            again = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    next_head(&mut again.expect("a socket opens once one closed")).await;
}
