//! Running the relay as a process: data directory, signup secret, storage (SQLite in the data
//! directory, or PostgreSQL with `--database`), socket, shutdown.
//!
//! The two lines printed on stdout are an interface: `signup secret: <S>` (only when one was
//! just generated) and `listening on http://<addr>` once the socket is bound, so scripts and
//! tests that start the relay on port 0 learn the port (`https://` when serving TLS). The
//! socket is bound with `SO_REUSEADDR`, so a relay restarted right after a crash gets its port
//! back.
//!
//! Connections are served by axum-server (plain, or TLS through [`crate::tls`]), which bounds
//! how long a connection may take to send its first request and its request heads (the
//! request timeout), against clients that open sockets and then say nothing. On shutdown the
//! relay stops accepting, closes live sockets, and lets every in-flight request finish (a push
//! whose body is still arriving is read, stored and answered) for up to the request timeout
//! plus [`SHUTDOWN_GRACE`], after which what remains is cut.
//!
//! At start the relay loads the browser app it serves at `/` ([`crate::routes::app`]) and logs
//! its build's hash (`app_hash`), or that no app was built.
//!
//! In the background, every [`PURGE_INTERVAL`] (and once at start, for what fell due while
//! the relay was down), [`purge_compacted_every`] deletes the compacted log entries whose grace
//! period (`--compacted-grace-days`) is over ([`Storage::purge_compacted`]).
//!
//! Accepted sockets get `TCP_NODELAY`: answers and live heads are small writes that must leave
//! at once, not wait (Nagle) for the peer to acknowledge the previous one.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use tokio::net::{TcpListener, TcpSocket};

use crate::admin::{DatabaseFile, PgLogSize};
use crate::auth::SecretHash;
use crate::config::{Config, SecretError, SecretSource, SignupSecret};
use crate::metrics::{LogSizeSource, Metrics};
use crate::routes::app::{self, WebApp};
use crate::storage::postgres::PgStorage;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::{Storage, StorageError};
use crate::tls::{self, TlsError};
use crate::{app, AppState, Clock};

/// How long past the request timeout a shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How often the running relay deletes compacted log entries whose grace period is over.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// How long a shutdown waits for live sockets to send their going-away frame.
const LIVE_GOODBYE: Duration = Duration::from_secs(2);

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
    /// The TLS certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
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
    let database = config.database.is_none().then(|| config.database_path());
    private_data_dir(&config.data, database.as_deref()).map_err(ServeError::DataDir)?;
    let (secret, source) = config.signup_secret()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    let (storage, log_source) = open_storage(&config).await?;
    storage.set_log_quota(config.log_quota());
    storage.set_compacted_grace(config.compacted_grace_seconds());
    let signup_secret = match source {
        SecretSource::Given => SignupSecret::Fixed(SecretHash::of(&secret)),
        // Read again at each signup, so a rotated file takes effect without a restart.
        SecretSource::File | SecretSource::Generated => {
            SignupSecret::File(Arc::new(config.signup_secret_path()))
        }
    };
    let limits = config.limits();
    let metrics = Metrics::new().with_log_source(log_source);
    let web = web_app().await;
    let state = AppState::new(storage, &secret)
        .with_signup_secret(signup_secret)
        .with_limits(limits)
        .with_metrics(metrics)
        .with_web_app(web);

    let listener = bind(config.listen).map_err(|source| ServeError::Bind {
        addr: config.listen,
        source,
    })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    let scheme = if tls.is_some() { "https" } else { "http" };

    let mut out = io::stdout().lock();
    if source == SecretSource::Generated {
        // Printed once, on first start, for the operator; never logged.
        let _ = writeln!(out, "signup secret: {secret}");
    }
    let _ = writeln!(out, "listening on {scheme}://{local}");
    let _ = out.flush();
    drop(out);
    tracing::info!(addr = %local, tls = tls.is_some(), "relay started");

    let purger = tokio::spawn(purge_compacted_every(
        Arc::clone(&state.storage),
        state.clock.clone(),
        PURGE_INTERVAL,
    ));

    let handle: Handle<SocketAddr> = Handle::new();
    let notifier = Arc::clone(&state.notifier);
    let live = Arc::clone(&state.metrics);
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Upgraded (WebSocket) connections are not awaited by graceful shutdown: end them, and
        // let them send their going-away frame before the process can exit.
        notifier.close_all();
        let deadline = tokio::time::Instant::now() + LIVE_GOODBYE;
        while live.open_live_sockets() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stopper.graceful_shutdown(Some(limits.request_timeout + SHUTDOWN_GRACE));
    });
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        Some(tls) => {
            let mut server = axum_server::Server::from_listener(listener)
                .acceptor(
                    axum_server::tls_rustls::RustlsAcceptor::new(RustlsConfig::from_config(tls))
                        .acceptor(NoDelayAcceptor::new()),
                )
                .handle(handle)
                .first_request_timeout(limits.request_timeout);
            server
                .http_builder()
                .http1()
                .header_read_timeout(limits.request_timeout);
            server.serve(service).await
        }
        None => {
            let mut server = axum_server::Server::from_listener(listener)
                .acceptor(NoDelayAcceptor::new())
                .handle(handle)
                .first_request_timeout(limits.request_timeout);
            server
                .http_builder()
                .http1()
                .header_read_timeout(limits.request_timeout);
            server.serve(service).await
        }
    }
    .map_err(ServeError::Serve);
    purger.abort();
    served?;
    tracing::info!("relay stopped");
    Ok(())
}

/// The browser app this binary serves ([`WebApp::bundled`]), with a log line naming its build's
/// hash, so an operator can compare it with the one the web build printed. A directory that
/// cannot be read is logged and served as no app: the relay's API does not depend on it.
async fn web_app() -> WebApp {
    let loaded = tokio::task::spawn_blocking(WebApp::bundled)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)));
    let from = match app::source() {
        app::Source::Embedded(_) => "embedded",
        app::Source::Directory(_) => "read from the web build's directory",
    };
    match loaded {
        Ok(web) => {
            match web.hash() {
                Some(hash) => {
                    tracing::info!(
                        app_hash = hash,
                        files = web.len(),
                        from,
                        "serving the web app at /"
                    )
                }
                None => tracing::info!(
                    "the web app was not built into this relay: / says how to build it"
                ),
            }
            web
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the web app; / says how to build it");
            WebApp::not_built()
        }
    }
}

/// Deletes the compacted log entries whose grace period is over, at once and then every
/// `every`, reading the time from `clock`, for as long as it runs (the relay aborts it at
/// shutdown). A failed purge is logged and tried again at the next tick; what it deletes is
/// logged as counts only.
pub async fn purge_compacted_every(storage: Arc<dyn Storage>, clock: Clock, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match storage.purge_compacted(clock.now()).await {
            Ok(purge) if purge.entries_deleted > 0 => tracing::info!(
                workspaces = purge.workspaces,
                entries_deleted = purge.entries_deleted,
                "compacted log entries past their grace period deleted"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging compacted log entries failed"),
        }
    }
}

/// Opens the storage the configuration names, with the source of its `/metrics` log gauges:
/// PostgreSQL for `--database postgres://...` (migrated, and followed for other processes'
/// changes once the state is built), else SQLite in the data directory.
pub async fn open_storage(
    config: &Config,
) -> Result<(Arc<dyn Storage>, Arc<dyn LogSizeSource>), ServeError> {
    if let Some(url) = &config.database {
        let storage = PgStorage::connect(url, config.database_connections).await?;
        tracing::info!(
            connections = config.database_connections,
            "using PostgreSQL"
        );
        let source = PgLogSize::new(storage.clone(), tokio::runtime::Handle::current());
        return Ok((Arc::new(storage), Arc::new(source)));
    }
    let db_path = config.database_path();
    let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(db_path))
        .await
        .map_err(|e| ServeError::Storage(StorageError::Backend(Box::new(e))))??;
    Ok((
        Arc::new(storage),
        Arc::new(DatabaseFile::new(config.database_path())),
    ))
}

/// Makes the data directory readable by the relay's user only: created with mode 0700, or
/// narrowed to it when it exists with more; the SQLite `database` (when the relay uses one)
/// made empty with mode 0600 before SQLite first opens it (its `-wal` and `-shm` files take the
/// database's mode), and a database, WAL or shared-memory file from an earlier run narrowed to
/// 0600.
pub fn private_data_dir(
    data: &std::path::Path,
    database: Option<&std::path::Path>,
) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let narrow = |path: &std::path::Path, keep: u32| -> io::Result<()> {
            match std::fs::metadata(path) {
                Ok(meta) if meta.permissions().mode() & 0o777 & !keep != 0 => {
                    let mode = meta.permissions().mode() & keep;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                }
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        };
        if data.is_dir() {
            narrow(data, 0o700)?;
        } else {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(data)?;
        }
        let Some(database) = database else {
            return Ok(());
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(database)
        {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            narrow(std::path::Path::new(&name), 0o600)?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = database;
        std::fs::create_dir_all(data)
    }
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

/// Completes on ctrl-c or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled, so a signal sent right after the `listening on` line is caught.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Some((term, int)),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM or ctrl-c");
                None
            }
        }
    };
    async move {
        #[cfg(unix)]
        match signals {
            Some((mut term, mut int)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}
