//! Running the relay as a process: data directory, signup secret, storage, socket, shutdown.
//!
//! The two lines printed on stdout are an interface: `signup secret: <S>` (only when one was
//! just generated) and `listening on http://<addr>` once the socket is bound, so scripts and
//! tests that start the relay on port 0 learn the port. The socket is bound with
//! `SO_REUSEADDR`, so a relay restarted right after a crash gets its port back.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};

use crate::config::{Config, SecretError, SecretSource};
use crate::storage::sqlite::SqliteStorage;
use crate::storage::StorageError;
use crate::{app, AppState};

/// Why the relay could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory could not be created.
    #[error("cannot create the data directory: {0}")]
    DataDir(#[source] io::Error),
    /// The signup secret could not be settled.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Storage(#[from] StorageError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The failure.
        source: io::Error,
    },
    /// Serving failed.
    #[error("the server failed: {0}")]
    Serve(#[source] io::Error),
}

/// Starts the relay and serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    std::fs::create_dir_all(&config.data).map_err(ServeError::DataDir)?;
    let (secret, source) = config.signup_secret()?;
    let db_path = config.database_path();
    let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(db_path))
        .await
        .map_err(|e| ServeError::Storage(StorageError::Backend(Box::new(e))))??;
    let state = AppState::new(Arc::new(storage), &secret);

    let listener = bind(config.listen).map_err(|source| ServeError::Bind {
        addr: config.listen,
        source,
    })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;

    let mut out = io::stdout().lock();
    if source == SecretSource::Generated {
        // Printed once, on first start, for the operator; never logged.
        let _ = writeln!(out, "signup secret: {secret}");
    }
    let _ = writeln!(out, "listening on http://{local}");
    let _ = out.flush();
    drop(out);
    tracing::info!(addr = %local, "relay started");

    let notifier = std::sync::Arc::clone(&state.notifier);
    let shutdown = async move {
        shutdown.await;
        // Upgraded (WebSocket) connections are not awaited by graceful shutdown: end them.
        notifier.close_all();
    };
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Serve)?;
    tracing::info!("relay stopped");
    Ok(())
}

/// Binds a listening socket with `SO_REUSEADDR`.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
