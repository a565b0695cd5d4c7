//! What the core's sync stories share: a relay served in-process on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use tempfile::TempDir;
use tokio::net::TcpListener;
use trellis_relay::{app, AppState, Clock, SqliteStorage};

/// Serves a relay over a temporary database in `dir` on a loopback port; `secret` is its
/// signup secret.
pub async fn relay(dir: &TempDir, secret: &str) -> SocketAddr {
    let storage = SqliteStorage::open(dir.path().join("relay.sqlite3")).expect("relay storage");
    let router = app(AppState::new(Arc::new(storage), secret));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Like [`relay`], with the relay's clock read from `clock` (seconds since the Unix epoch), so a
/// story can let time pass for the relay.
pub async fn relay_with_clock(dir: &TempDir, secret: &str, clock: Clock) -> SocketAddr {
    let storage = SqliteStorage::open(dir.path().join("relay.sqlite3")).expect("relay storage");
    let router = app(AppState::new(Arc::new(storage), secret).with_clock(clock));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}
