//! Operations stories of the `trellis-relay` binary: HTTPS with the operator's certificate, a
//! shutdown that still stores the push whose body is arriving, JSON logs that follow a request
//! id and never show a token, and the admin commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use trellis_protocol::api::{
    CreateWorkspaceRequest, DeviceCredentials, PushResponse, SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::{Id, HASH_LEN};

const SECRET: &str = "operations-test-secret";

struct Running {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the relay with extra flags; waits for `listening on <scheme>://ADDR`.
fn start(data: &Path, scheme: &str, extra: &[&str], stderr: Stdio) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trellis-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--signup-secret",
            SECRET,
            "--data",
        ])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the relay binary starts");
    let stdout = child.stdout.take().unwrap();
    let prefix = format!("listening on {scheme}://");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(addr) = line.strip_prefix(&prefix) {
                let _ = tx.send(addr.parse::<SocketAddr>().expect("an address"));
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the relay prints `listening on` in time");
    Running { child, addr }
}

fn signup_body() -> CreateWorkspaceRequest {
    CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: format!("{}{}", Id::random(), Id::random()),
        token: None,
        roster: vec![crate::common::creation_event()],
    }
}

fn entry(n: u8) -> PushEntry {
    PushEntry {
        doc_id: Id([n; 16]),
        change_hash: [n; HASH_LEN],
        bytes: vec![n; 2000],
    }
}

/// Sends SIGTERM and waits (bounded) for a successful exit.
fn terminate(relay: &mut Running) {
    let killed = Command::new("kill")
        .args(["-TERM", &relay.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..200 {
        if let Some(status) = relay.child.try_wait().unwrap() {
            assert!(status.success(), "the relay exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the relay did not stop on SIGTERM");
}

fn log_rows(data: &Path) -> i64 {
    let conn = rusqlite::Connection::open(data.join("relay.sqlite3")).unwrap();
    conn.query_row("SELECT count(*) FROM log", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn the_relay_serves_https_with_the_operators_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let data = dir.path().join("data");
    let relay = start(
        &data,
        "https",
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        Stdio::null(),
    );
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("https://{}", relay.addr);
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let creds: DeviceCredentials = client
        .post(format!("{base}/v1/workspaces"))
        .header(SIGNUP_SECRET_HEADER, SECRET)
        .json(&signup_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pushed: PushResponse = client
        .post(format!("{base}/v1/workspaces/{}/push", creds.workspace_id))
        .bearer_auth(&creds.token)
        .header("content-type", "application/octet-stream")
        .body(batch::encode_push(&[entry(1)]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.stored, 1);

    // A client that does not trust the certificate is refused, and plain HTTP gets no answer.
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(untrusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err());
    let plain = untrusting
        .get(format!("http://{}/healthz", relay.addr))
        .send()
        .await;
    assert!(plain.map_or(true, |r| r.status() != 200));
}

#[test]
fn a_bad_certificate_stops_the_relay_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trellis-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--signup-secret",
            SECRET,
            "--data",
        ])
        .arg(dir.path().join("data"))
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cert.pem"), "{stderr}");
}

#[tokio::test]
async fn shutdown_finishes_a_push_whose_body_is_still_arriving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut relay = start(&data, "http", &[], Stdio::null());
    let client = reqwest::Client::new();
    let creds: DeviceCredentials = client
        .post(format!("http://{}/v1/workspaces", relay.addr))
        .header(SIGNUP_SECRET_HEADER, SECRET)
        .json(&signup_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // A slow client: the head and half the body, then SIGTERM, then the rest.
    let body = batch::encode_push(&[entry(7), entry(8)]);
    let mut stream = TcpStream::connect(relay.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /v1/workspaces/{}/push HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        creds.workspace_id,
        relay.addr,
        creds.token,
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &relay.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        relay.child.try_wait().unwrap().is_none(),
        "the relay quit with a push in flight"
    );
    stream.write_all(rest).unwrap();
    let mut answer = String::new();
    let mut reader = BufReader::new(stream);
    reader.read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut remainder = Vec::new();
    let _ = reader.read_to_end(&mut remainder);
    let remainder = String::from_utf8_lossy(&remainder);
    assert!(remainder.contains("\"stored\":2"), "{remainder}");
    terminate(&mut relay);
    assert_eq!(log_rows(&data), 2);
}

#[tokio::test]
async fn json_logs_follow_a_request_id_and_never_show_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log_path = dir.path().join("relay.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut relay = start(&data, "http", &["--log-format", "json"], Stdio::from(log));
    let client = reqwest::Client::new();
    let base = format!("http://{}", relay.addr);
    let creds: DeviceCredentials = client
        .post(format!("{base}/v1/workspaces"))
        .header(SIGNUP_SECRET_HEADER, SECRET)
        .json(&signup_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reply = client
        .post(format!("{base}/v1/workspaces/{}/push", creds.workspace_id))
        .bearer_auth(&creds.token)
        .header("x-request-id", "trace-me-42")
        .header("content-type", "application/octet-stream")
        .body(batch::encode_push(&[entry(3)]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["x-request-id"], "trace-me-42");
    terminate(&mut relay);

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let mut traced = 0;
    for line in logs.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(value["level"].is_string(), "{line}");
        if line.contains("trace-me-42") {
            traced += 1;
            assert_eq!(value["span"]["route"], "/v1/workspaces/{ws}/push", "{line}");
        }
    }
    assert!(traced >= 1, "no log line carries the request id:\n{logs}");
    assert!(!logs.contains(&creds.token), "a token reached the logs");
    assert!(!logs.contains(SECRET), "the signup secret reached the logs");
    assert!(
        !logs.contains(&creds.member_id.to_hex()),
        "a member id reached the logs"
    );
}

#[test]
fn admin_commands_list_workspaces_and_rotate_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let admin = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_trellis-relay"))
            .arg("admin")
            .args(args)
            .arg("--data")
            .arg(&data)
            .env_remove("TRELLIS_RELAY_SIGNUP_SECRET")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // No relay has run here yet: listing says so and fails.
    let (ok, _, stderr) = admin(&["workspaces"]);
    assert!(!ok);
    assert!(stderr.contains("no relay database"), "{stderr}");

    let (ok, out, _) = admin(&["rotate-signup-secret"]);
    assert!(ok);
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("signup secret: "))
        .expect("the new secret is printed")
        .to_owned();
    let stored = std::fs::read_to_string(data.join("signup-secret")).unwrap();
    assert_eq!(stored.trim(), secret);

    // A relay started on that directory uses the file; the listing then shows its workspace.
    let mut child = Command::new(env!("CARGO_BIN_EXE_trellis-relay"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env_remove("TRELLIS_RELAY_SIGNUP_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("no new secret is generated")
        .parse()
        .unwrap();
    let mut relay = Running { child, addr };
    let body = serde_json::to_vec(&signup_body()).unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /v1/workspaces HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         {SIGNUP_SECRET_HEADER}: {secret}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    let (ok, out, stderr) = admin(&["workspaces", "--json"]);
    assert!(ok, "{stderr}");
    let listing: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 1);
    assert_eq!(listing[0]["members"], 1);
    assert_eq!(listing[0]["devices"], 1);
    terminate(&mut relay);
}
