//! What the core's sync stories share: a relay served in-process on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use tempfile::TempDir;
use tokio::net::TcpListener;
use trellis_relay::{app, AppState, SqliteStorage};

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
