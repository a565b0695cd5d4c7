//! Stories of the `trellis-relay` binary as an operator runs it: first start, a crash (kill -9)
//! right after a push, a restart on the same port, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use trellis_protocol::api::{
    CreateWorkspaceRequest, DeviceCredentials, PushResponse, SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::{Id, HASH_LEN};

struct Running {
    child: Child,
    addr: SocketAddr,
    secret_line: Option<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the relay and reads its stdout up to the `listening on` line.
fn start(data: &Path, listen: &str) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trellis-relay"))
        .args(["--listen", listen, "--data"])
        .arg(data)
        .env_remove("TRELLIS_RELAY_SIGNUP_SECRET")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the relay binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || read_banner(stdout, tx));
    let (secret_line, addr) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the relay prints `listening on` in time");
    Running {
        child,
        addr,
        secret_line,
    }
}

fn read_banner(stdout: ChildStdout, tx: mpsc::Sender<(Option<String>, SocketAddr)>) {
    let mut secret = None;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { return };
        if let Some(s) = line.strip_prefix("signup secret: ") {
            secret = Some(s.to_owned());
        } else if let Some(addr) = line.strip_prefix("listening on http://") {
            let _ = tx.send((secret.take(), addr.parse().expect("an address")));
        }
    }
}

/// One HTTP/1.1 request over a fresh connection; returns the status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let status_line = String::from_utf8_lossy(&response[..split]).to_string();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, response[split + 4..].to_vec())
}

/// Creates a workspace over HTTP; returns the owner's device.
fn signup(addr: SocketAddr, secret: &str) -> DeviceCredentials {
    let signup = serde_json::to_vec(&CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: format!("{}{}", Id::random(), Id::random()),
        token: None,
        roster: vec![crate::common::creation_event()],
    })
    .unwrap();
    let (status, body) = http(
        addr,
        "POST",
        "/v1/workspaces",
        &[
            (SIGNUP_SECRET_HEADER, secret),
            ("content-type", "application/json"),
        ],
        &signup,
    );
    assert_eq!(status, 201);
    serde_json::from_slice(&body).unwrap()
}

/// Sends SIGTERM and waits for a successful exit.
fn terminate(relay: &mut Running) {
    let killed = Command::new("kill")
        .args(["-TERM", &relay.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = relay.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the relay did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

fn change(n: u8) -> PushEntry {
    PushEntry {
        doc_id: Id([n; 16]),
        change_hash: [n; HASH_LEN],
        bytes: vec![n; 200],
    }
}

#[test]
fn an_acknowledged_push_survives_a_crash_and_the_port_is_reusable() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path(), "127.0.0.1:0");
    let secret = relay
        .secret_line
        .clone()
        .expect("the first start prints the generated signup secret");
    let on_disk = std::fs::read_to_string(dir.path().join("signup-secret")).unwrap();
    assert_eq!(on_disk.trim(), secret);

    let (status, body) = http(relay.addr, "GET", "/healthz", &[], b"");
    assert_eq!((status, body.as_slice()), (200, &br#"{"status":"ok"}"#[..]));

    let owner = signup(relay.addr, &secret);
    let auth = format!("Bearer {}", owner.token);
    let push_path = format!("/v1/workspaces/{}/push", owner.workspace_id);
    let pull_path = format!("/v1/workspaces/{}/pull?after=0", owner.workspace_id);

    let entries = [change(1), change(2)];
    let (status, body) = http(
        relay.addr,
        "POST",
        &push_path,
        &[("authorization", &auth)],
        &batch::encode_push(&entries),
    );
    assert_eq!(status, 200);
    let pushed: PushResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(pushed.seqs, [1, 2]);

    // Crash right after the acknowledgement, then restart on the very same port.
    let addr = relay.addr;
    drop(relay); // SIGKILL
    let relay = start(dir.path(), &addr.to_string());
    assert_eq!(relay.addr, addr);
    assert_eq!(
        relay.secret_line, None,
        "the secret is reused, not printed again"
    );

    let (status, body) = http(
        relay.addr,
        "GET",
        &pull_path,
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200);
    let log = batch::decode_pull(&body).unwrap();
    assert_eq!(log.head, 2);
    assert_eq!(log.entries[0].bytes, entries[0].bytes);
    assert_eq!(log.entries[1].bytes, entries[1].bytes);

    let (status, body) = http(
        relay.addr,
        "POST",
        &push_path,
        &[("authorization", &auth)],
        &batch::encode_push(&[change(3)]),
    );
    assert_eq!(status, 200);
    let pushed: PushResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(pushed.seqs, [3]);

    // Unknown routes are JSON over the wire too.
    let (status, body) = http(relay.addr, "GET", "/nope", &[], b"");
    assert_eq!(status, 404);
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(err["error"], "not_found");
}

#[test]
fn sigterm_stops_the_relay_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = start(dir.path(), "127.0.0.1:0");
    terminate(&mut relay);
}

#[tokio::test]
async fn sigterm_says_goodbye_on_open_live_sockets() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let dir = tempfile::tempdir().unwrap();
    let mut relay = start(dir.path(), "127.0.0.1:0");
    let secret = relay.secret_line.clone().unwrap();
    let owner = signup(relay.addr, &secret);

    let mut req = format!(
        "ws://{}/v1/workspaces/{}/live",
        relay.addr, owner.workspace_id
    )
    .into_client_request()
    .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", owner.token).parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let first = socket.next().await.unwrap().unwrap();
    assert_eq!(first.into_text().unwrap().as_str(), r#"{"head":0}"#);

    terminate(&mut relay);
    let last = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("the socket ends in time");
    match last {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a going-away close frame, got {other:?}"),
    }
}
