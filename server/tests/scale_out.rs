//! Several relays on one PostgreSQL database, as several relay processes behind a load balancer
//! would run: each relay here has its own pool, listener, notifier and rate limiter, and they
//! share nothing but the database. Pushes through both stay gap-free and ordered, a push or a
//! revocation through one reaches the live sockets of the other, the rate limit holds across
//! them, migrations run once when they start together, and a database at any older schema
//! version upgrades to the schema a fresh one gets.
//!
//! These need PostgreSQL: they are `#[ignore]`d in a plain `cargo test` (the output says so),
//! and `scripts/test.sh` runs them through `scripts/pg.sh` with `--include-ignored`. Run
//! without `TRELLIS_TEST_POSTGRES` they fail rather than pass without checking anything.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::common::{change, postgres_server, Relay};
use axum::http::StatusCode;
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use trellis_protocol::api::{codes, DeviceCredentials, LiveMessage};
use trellis_protocol::batch::{self, PushEntry};
use trellis_relay::storage::postgres::MIGRATIONS;
use trellis_relay::{app, Limits, PgStorage, StorageError};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Two relays on one fresh PostgreSQL database.
fn two_relays() -> (Relay, Relay) {
    assert!(
        postgres_server().is_some(),
        "TRELLIS_TEST_POSTGRES is not set: these stories need a PostgreSQL server \
         (bash scripts/pg.sh cargo test -p trellis-relay --test scale_out -- --include-ignored)"
    );
    let a = Relay::start();
    let b = a.sibling().expect("a PostgreSQL relay has siblings");
    (a, b)
}

/// Serves a relay's router on a loopback port.
async fn serve(relay: &Relay) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = relay.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn listen(addr: SocketAddr, device: &DeviceCredentials) -> Socket {
    let mut req = format!("ws://{addr}/v1/workspaces/{}/live", device.workspace_id)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", device.token).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next frame that is not a ping or pong, failing after `patience` of silence.
async fn next_frame(socket: &mut Socket, patience: Duration) -> Message {
    loop {
        let msg = tokio::time::timeout(patience, socket.next())
            .await
            .expect("a live message in time")
            .expect("the socket is open")
            .expect("a valid frame");
        if !matches!(msg, Message::Ping(_) | Message::Pong(_)) {
            return msg;
        }
    }
}

/// Waits until the socket announces `head` (older heads may come first).
async fn hears_head(socket: &mut Socket, head: u64, patience: Duration) {
    loop {
        match next_frame(socket, patience).await {
            Message::Text(text) => {
                let live: LiveMessage = serde_json::from_str(&text).expect("a LiveMessage");
                if live.head == head {
                    return;
                }
                assert!(live.head < head, "announced {} past {head}", live.head);
            }
            other => panic!("unexpected live frame {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn pushes_through_two_relays_at_once_get_gap_free_seqs_in_commit_order() {
    let (a, b) = two_relays();
    let owner = a.signup().await;
    let colleague = a
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));

    // 24 pushes of 3 changes each, half through each relay, all at once; every fourth is sent
    // twice (a retry after a lost answer), once through each relay.
    let mut tasks = Vec::new();
    for n in 0..24u32 {
        let entries: Vec<PushEntry> = (0..3).map(|i| change(1000 + n * 3 + i, 40)).collect();
        let relays = if n % 4 == 0 {
            vec![a.clone(), b.clone()]
        } else if n % 2 == 0 {
            vec![a.clone()]
        } else {
            vec![b.clone()]
        };
        for relay in relays {
            let (device, entries) = (
                if n % 3 == 0 {
                    colleague.clone()
                } else {
                    owner.clone()
                },
                entries.clone(),
            );
            tasks.push(tokio::spawn(async move {
                (entries.clone(), relay.push(&device, &entries).await)
            }));
        }
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    // Every push got consecutive seqs (its entries stay together), and a retry got the seqs of
    // the first attempt.
    let mut seq_of = std::collections::HashMap::new();
    for (entries, answer) in &answers {
        assert_eq!(answer.seqs.len(), 3);
        assert!(
            answer.seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{:?}",
            answer.seqs
        );
        for (entry, seq) in entries.iter().zip(&answer.seqs) {
            let known = seq_of.insert(entry.change_hash, *seq);
            assert!(known.is_none() || known == Some(*seq), "a retry moved seq");
        }
    }
    // The log holds each change once, at seqs 1..=72 without a gap, as both relays see it.
    for relay in [&a, &b] {
        let log = relay.pull(&owner, 0).await;
        assert_eq!(log.head, 72);
        let seqs: Vec<u64> = log.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=72).collect::<Vec<_>>());
        let hashes: HashSet<_> = log.entries.iter().map(|e| e.change_hash).collect();
        assert_eq!(hashes.len(), 72);
        for entry in &log.entries {
            assert_eq!(seq_of[&entry.change_hash], entry.seq);
        }
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn a_push_through_one_relay_wakes_a_live_socket_held_by_the_other() {
    let (a, b) = two_relays();
    let owner = a.signup().await;
    let colleague = a
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let addr_b = serve(&b).await;
    let mut socket = listen(addr_b, &colleague).await;
    hears_head(&mut socket, 0, Duration::from_secs(5)).await;

    a.push(&owner, &[change(1, 10), change(2, 10)]).await;
    hears_head(&mut socket, 2, Duration::from_secs(10)).await;
    a.push(&owner, &[change(3, 10)]).await;
    hears_head(&mut socket, 3, Duration::from_secs(10)).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn a_device_revoked_through_one_relay_loses_its_live_socket_on_the_other() {
    let (a, b) = two_relays();
    let owner = a.signup().await;
    let colleague = a
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let addr_b = serve(&b).await;
    let mut socket = listen(addr_b, &colleague).await;
    hears_head(&mut socket, 0, Duration::from_secs(5)).await;

    let members: trellis_protocol::api::MembersResponse = a
        .send(
            axum::http::Method::GET,
            &format!("/v1/workspaces/{}/members", owner.workspace_id),
            Some(&owner.token),
            None,
        )
        .await
        .json(StatusCode::OK);
    let device = members
        .devices
        .iter()
        .find(|d| d.member_id == colleague.member_id)
        .expect("the colleague's device is listed")
        .device_id;
    let uri = format!(
        "/v1/workspaces/{}/devices/{device}/revoke",
        owner.workspace_id
    );
    let reply = a
        .send(axum::http::Method::POST, &uri, Some(&owner.token), None)
        .await;
    assert!(reply.status.is_success(), "{reply:?}");
    match next_frame(&mut socket, Duration::from_secs(10)).await {
        Message::Close(Some(frame)) => {
            assert_eq!(
                u16::from(frame.code),
                trellis_relay::routes::live::REVOKED_CLOSE_CODE
            );
        }
        other => panic!("expected the revoked close frame, got {other:?}"),
    }
    // And the other relay refuses the device too (storage is shared).
    b.pull_raw(colleague.workspace_id, &colleague.token, "?after=0")
        .await
        .error(StatusCode::UNAUTHORIZED, codes::REVOKED);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn the_rate_limit_holds_across_relays() {
    let (mut a, mut b) = two_relays();
    let owner = a.signup().await;
    let colleague = a
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let limits = Limits {
        rate_per_minute: NonZeroU32::new(4).unwrap(),
        ..Limits::default()
    };
    a.app = app(a.state.clone().with_limits(limits));
    b.app = app(b.state.clone().with_limits(limits));

    // Four requests, two through each relay, use up the device's minute.
    a.push(&owner, &[change(1, 10)]).await;
    b.push(&owner, &[change(2, 10)]).await;
    a.pull(&owner, 0).await;
    b.pull(&owner, 0).await;
    for relay in [&a, &b] {
        let refused = relay
            .push_raw(
                owner.workspace_id,
                &owner.token,
                batch::encode_push(&[change(3, 10)]),
            )
            .await;
        refused.error(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED);
        let retry: u64 = refused.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=15).contains(&retry), "{retry}");
    }
    // Another device has its own allowance, through either relay; nothing refused was stored.
    assert_eq!(b.pull(&colleague, 0).await.head, 2);
    assert_eq!(a.pull(&colleague, 0).await.entries.len(), 2);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn a_listener_that_lost_its_connection_catches_up_on_what_it_missed() {
    let (a, b) = two_relays();
    let owner = a.signup().await;
    let colleague = a
        .add_member(&owner, trellis_protocol::api::Role::Member)
        .await;
    let addr_b = serve(&b).await;
    let mut socket = listen(addr_b, &colleague).await;
    hears_head(&mut socket, 0, Duration::from_secs(5)).await;

    // The database drops the listeners' connections (a failover, a restart); the push lands
    // before they are back, so its notification reaches nobody.
    let url = a.postgres_url().unwrap();
    let terminated = crate::common::on_own_runtime(async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let rows = client
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'trellis-relay-listener'
                   AND datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        drop(client);
        let _ = driver.await;
        rows.len()
    });
    assert_eq!(terminated, 2, "each relay had one listener");
    a.push(&owner, &[change(1, 10)]).await;

    // Reconnected, the other relay reads the head it missed and wakes the socket.
    hears_head(&mut socket, 1, Duration::from_secs(30)).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn relays_starting_together_migrate_once_and_a_newer_schema_is_refused() {
    let server = postgres_server().expect("TRELLIS_TEST_POSTGRES is set");
    let url = crate::common::fresh_postgres_database(&server);
    let (versions, rows) = crate::common::on_own_runtime(async move {
        let starts: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { PgStorage::connect(&url, 2).await })
            })
            .collect();
        let mut versions = Vec::new();
        for start in starts {
            let storage = start.await.unwrap().expect("every relay starts");
            versions.push(storage.schema_version().await.unwrap());
        }
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let rows: i64 = client
            .query_one("SELECT count(*) FROM relay_schema", &[])
            .await
            .unwrap()
            .get(0);
        client
            .execute("INSERT INTO relay_schema (version) VALUES (99)", &[])
            .await
            .unwrap();
        let newer = PgStorage::connect(&url, 1).await;
        assert!(
            matches!(newer, Err(StorageError::NewerSchema { found: 99, .. })),
            "a database from a newer relay is refused"
        );
        drop(client);
        let _ = driver.await;
        (versions, rows)
    });
    let known = MIGRATIONS.len() as i64;
    assert_eq!(versions, vec![known; 3]);
    assert_eq!(rows, known, "each migration applied once");
}

/// Every column and index of a PostgreSQL database's relay tables, as sorted text.
async fn pg_schema(client: &tokio_postgres::Client) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sql in [
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
             || ' ' || coalesce(column_default, '') || ' ' || is_identity
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'relay_schema'",
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
    ] {
        for row in client.query(sql, &[]).await.unwrap() {
            out.push(row.get::<_, String>(0));
        }
    }
    out.sort();
    out
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
async fn every_old_schema_upgrades_to_the_fresh_one() {
    let server = postgres_server().expect("TRELLIS_TEST_POSTGRES is set");
    let fresh = crate::common::fresh_postgres_database(&server);
    let olds: Vec<String> = (0..MIGRATIONS.len())
        .map(|_| crate::common::fresh_postgres_database(&server))
        .collect();
    let old_format = crate::common::fresh_postgres_database(&server);
    crate::common::on_own_runtime(async move {
        let connect = |url: String| async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
        };
        PgStorage::connect(&fresh, 1).await.unwrap();
        let want = pg_schema(&connect(fresh).await).await;
        assert!(
            want.iter().any(|c| c.starts_with("log.compacted_at")),
            "{want:?}"
        );
        for (applied, url) in olds.into_iter().enumerate() {
            // A database a relay of schema version `applied` left behind.
            let client = connect(url.clone()).await;
            client
                .batch_execute(
                    "CREATE TABLE relay_schema (
                        version bigint PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )",
                )
                .await
                .unwrap();
            for (i, sql) in MIGRATIONS.iter().take(applied).enumerate() {
                client.batch_execute(sql).await.unwrap();
                client
                    .execute(
                        "INSERT INTO relay_schema (version) VALUES ($1)",
                        &[&(i as i64 + 1)],
                    )
                    .await
                    .unwrap();
            }
            let upgraded = PgStorage::connect(&url, 1).await.unwrap();
            assert_eq!(
                upgraded.schema_version().await.unwrap(),
                MIGRATIONS.len() as i64
            );
            assert_eq!(
                pg_schema(&client).await,
                want,
                "upgraded from version {applied}"
            );
        }
        // A database of an older data format (the second, before the roster) that holds a
        // workspace is refused, untouched.
        let client = connect(old_format.clone()).await;
        client
            .batch_execute(
                "CREATE TABLE relay_schema (
                    version bigint PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )",
            )
            .await
            .unwrap();
        let version = trellis_relay::storage::postgres::FORMAT_VERSION - 1;
        for (i, sql) in MIGRATIONS.iter().take(version as usize).enumerate() {
            client.batch_execute(sql).await.unwrap();
            client
                .execute(
                    "INSERT INTO relay_schema (version) VALUES ($1)",
                    &[&(i as i64 + 1)],
                )
                .await
                .unwrap();
        }
        client
            .execute(
                "INSERT INTO workspaces (id, created_at) VALUES ($1, 5)",
                &[&vec![1u8; 16]],
            )
            .await
            .unwrap();
        let refused = PgStorage::connect(&old_format, 1).await;
        assert!(
            matches!(refused, Err(StorageError::OldFormat { found }) if found == version),
            "a database of an older data format is refused"
        );
        let found: i64 = client
            .query_one("SELECT max(version) FROM relay_schema", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(found, version, "nothing was migrated");
    });
}
