//! Following the heads and revocations that every relay process commits, over LISTEN/NOTIFY.
//!
//! One dedicated connection per process (not from the pool: a pooled connection would be
//! handed to other work) runs `LISTEN` on [`HEADS_CHANNEL`] and [`REVOCATIONS_CHANNEL`]; its
//! notifications are read with `Connection::poll_message` and fed to the process's
//! [`Notifier`]. A process also receives its own notifications; the notifier ignores a head it
//! has already announced.
//!
//! Notifications sent while the listener is not connected are lost, so after every (re)connect
//! and `LISTEN` it catches up from the tables: the stored head of every workspace that has live
//! sockets here, and the revoked state of every device that has one. A connection that fails
//! (or stops answering the periodic ping) is replaced after a backoff of up to
//! [`MAX_BACKOFF`]. The task ends when the notifier is dropped.

use std::sync::Weak;
use std::time::Duration;

use deadpool_postgres::Pool;
use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};
use trellis_protocol::Id;

use super::{HEADS_CHANNEL, REVOCATIONS_CHANNEL};
use crate::notify::Notifier;
use crate::storage::{StorageError, StorageResult};

/// The first wait before reconnecting.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The longest wait before reconnecting.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often the listener checks that its connection answers (and that the notifier lives).
const PING_EVERY: Duration = Duration::from_secs(10);

/// How long a ping may take before the connection is given up.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Follows the channels until the notifier is dropped, reconnecting as needed.
pub(super) async fn follow(pool: Pool, config: tokio_postgres::Config, notifier: Weak<Notifier>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match listen(&pool, &config, &notifier, &mut backoff).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "the database listener lost its connection");
            }
        }
        if notifier.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: `Ok` when the notifier is gone, `Err` when the connection failed.
async fn listen(
    pool: &Pool,
    config: &tokio_postgres::Config,
    notifier: &Weak<Notifier>,
    backoff: &mut Duration,
) -> StorageResult<()> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (sender, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            let failed = message.is_err();
            if sender.send(message).is_err() || failed {
                return;
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!(
                "LISTEN {HEADS_CHANNEL}; LISTEN {REVOCATIONS_CHANNEL}"
            ))
            .await?;
        // Listening from here on; catch up with what was committed before.
        let Some(live) = notifier.upgrade() else {
            return Ok(());
        };
        catch_up(pool, &live).await?;
        drop(live);
        *backoff = FIRST_BACKOFF;
        tracing::info!("following other relay processes through the database");
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                message = messages.recv() => match message {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        let Some(live) = notifier.upgrade() else {
                            return Ok(());
                        };
                        apply(&live, n.channel(), n.payload());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => {
                        return Err(StorageError::Backend(
                            "the listening connection closed".into(),
                        ))
                    }
                },
                _ = ping.tick() => {
                    if notifier.strong_count() == 0 {
                        return Ok(());
                    }
                    match tokio::time::timeout(PING_TIMEOUT, client.batch_execute("SELECT 1")).await {
                        Ok(answer) => answer?,
                        Err(_) => {
                            return Err(StorageError::Backend(
                                "the listening connection stopped answering".into(),
                            ))
                        }
                    }
                }
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// Feeds one notification to the notifier; a malformed payload is ignored (and logged).
fn apply(notifier: &Notifier, channel: &str, payload: &str) {
    let parsed = payload.split_once(' ').and_then(|(ws, rest)| {
        let ws: Id = ws.parse().ok()?;
        Some((ws, rest))
    });
    let Some((workspace, rest)) = parsed else {
        tracing::warn!(channel, "ignoring a malformed notification");
        return;
    };
    if channel == HEADS_CHANNEL {
        match rest.parse::<u64>() {
            Ok(head) => notifier.advance(workspace, head),
            Err(_) => tracing::warn!(channel, "ignoring a malformed notification"),
        }
    } else if channel == REVOCATIONS_CHANNEL {
        let devices: Vec<Id> = rest.split(',').filter_map(|d| d.parse().ok()).collect();
        notifier.revoke_devices(workspace, &devices);
    }
}

/// Announces the stored head of every workspace with live sockets here, and the revocation of
/// every watched device that was revoked, so nothing committed while not listening is missed.
async fn catch_up(pool: &Pool, notifier: &Notifier) -> StorageResult<()> {
    let client = pool.get().await?;
    let workspaces = notifier.workspaces();
    if !workspaces.is_empty() {
        let ids: Vec<&[u8]> = workspaces.iter().map(|w| w.as_bytes().as_slice()).collect();
        for row in client
            .query(
                "SELECT id, head FROM workspaces WHERE id = ANY($1)",
                &[&ids],
            )
            .await?
        {
            let id: Vec<u8> = row.try_get(0)?;
            let head: i64 = row.try_get(1)?;
            if let (Ok(id), Ok(head)) = (Id::from_slice(&id), u64::try_from(head)) {
                notifier.advance(id, head);
            }
        }
    }
    let devices = notifier.watched_devices();
    if !devices.is_empty() {
        let ws: Vec<&[u8]> = devices
            .iter()
            .map(|(w, _)| w.as_bytes().as_slice())
            .collect();
        let ds: Vec<&[u8]> = devices
            .iter()
            .map(|(_, d)| d.as_bytes().as_slice())
            .collect();
        for row in client
            .query(
                "SELECT DISTINCT d.workspace_id, d.device_id FROM devices d
                 JOIN members m ON m.workspace_id = d.workspace_id AND m.member_id = d.member_id
                 JOIN unnest($1::bytea[], $2::bytea[]) AS w(workspace_id, device_id)
                   ON d.workspace_id = w.workspace_id AND d.device_id = w.device_id
                 WHERE d.revoked_at IS NOT NULL OR m.removed_at IS NOT NULL",
                &[&ws, &ds],
            )
            .await?
        {
            let (w, d): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            if let (Ok(w), Ok(d)) = (Id::from_slice(&w), Id::from_slice(&d)) {
                notifier.revoke_devices(w, &[d]);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_move_heads_and_close_revoked_devices_and_garbage_is_ignored() {
        let notifier = Notifier::new();
        let (ws, phone, laptop) = (Id([1; 16]), Id([2; 16]), Id([3; 16]));
        let mut heads = notifier.subscribe(ws);
        let mut phone_rx = notifier.watch_device(ws, phone);
        let laptop_rx = notifier.watch_device(ws, laptop);

        apply(&notifier, HEADS_CHANNEL, &format!("{ws} 7"));
        assert_eq!(*heads.borrow_and_update(), 7);
        for garbage in [
            "",
            "7",
            "not-an-id 8",
            &format!("{ws} -1"),
            &format!("{ws}"),
        ] {
            apply(&notifier, HEADS_CHANNEL, garbage);
        }
        assert!(!heads.has_changed().unwrap(), "malformed heads are ignored");

        apply(
            &notifier,
            REVOCATIONS_CHANNEL,
            &format!("{ws} {phone},not-an-id"),
        );
        assert!(*phone_rx.borrow_and_update());
        assert!(!*laptop_rx.borrow(), "only the named device is closed");
    }
}
