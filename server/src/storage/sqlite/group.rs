//! Group commit for pushes: one writer thread, one transaction (one fsync) for every push
//! waiting when it comes round.
//!
//! With `synchronous=FULL` each commit waits for the WAL to reach the disk, so one
//! transaction per push request caps a single-change workload at the disk's fsync rate. Here a
//! push is a [`Job`] on a queue; the writer thread takes the first job, then every job already
//! waiting (up to [`MAX_GROUP_ENTRIES`] entries), and runs them all in one `BEGIN IMMEDIATE`
//! transaction on the writer connection:
//!
//! * each push runs inside its own SAVEPOINT, so a push that fails (a constraint, a trigger, a
//!   refused key epoch) is rolled back alone and answered with its own error while its
//!   neighbours go on;
//! * pushes run one after the other in queue order on one connection, so each sees the heads
//!   its predecessors wrote: seqs stay gap-free and strictly increasing, and a retried entry
//!   finds its stored seq exactly as before;
//! * answers leave only after the one COMMIT returned: if it fails, or if SQLite threw the
//!   whole transaction away (an I/O error or a full disk rolls back more than the statement),
//!   every push of the group whose writes were lost is answered with an error, never with a
//!   false acknowledgement. The jobs after such a failure run in a fresh transaction.
//!
//! The writer thread holds the writer connection's mutex only while it runs a group, so the
//! other writes (invites, membership, checkpoints) interleave between groups. After each group
//! it nudges the WAL checkpoint thread ([`super::wal`]), so the commit itself only appends to
//! the WAL and fsyncs it. It ends when the
//! storage (and so the queue's sender) is dropped. A panic while running a group drops that
//! group's transaction (rolled back) and its reply channels (each waiting push gets an error);
//! the thread goes on with the next group.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;
use trellis_protocol::batch::PushEntry;
use trellis_protocol::Id;

use super::lock;
use super::log::push_in;
use super::wal::Checkpointer;
use crate::storage::{LogQuota, PushOutcome, StorageError, StorageResult};

/// A group stops taking waiting pushes once it holds this many entries (a few batches of the
/// largest size), so one transaction never grows without bound under a flood of pushes.
pub(super) const MAX_GROUP_ENTRIES: usize = 4096;

/// One push waiting for the writer thread.
pub(super) struct Job {
    workspace: Id,
    entries: Vec<PushEntry>,
    sealed_with: Option<u32>,
    quota: LogQuota,
    reply: oneshot::Sender<StorageResult<PushOutcome>>,
}

/// The sending side of the push queue; cheap to share.
pub(super) struct PushQueue {
    jobs: Sender<Job>,
}

impl PushQueue {
    /// Starts the writer thread on `writer` and returns the queue that feeds it.
    /// After each group it nudges `checkpointer`, so the WAL is copied back off the commit
    /// path.
    pub(super) fn start(
        writer: Arc<Mutex<Connection>>,
        checkpointer: Checkpointer,
    ) -> std::io::Result<PushQueue> {
        let (jobs, queue) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-push".into())
            .spawn(move || run(&writer, &queue, &checkpointer))?;
        Ok(PushQueue { jobs })
    }

    /// Queues a push and waits for its answer, which comes only after its group committed.
    pub(super) async fn push(
        &self,
        workspace: Id,
        entries: Vec<PushEntry>,
        sealed_with: Option<u32>,
        quota: LogQuota,
    ) -> StorageResult<PushOutcome> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            workspace,
            entries,
            sealed_with,
            quota,
            reply,
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StorageError {
    StorageError::Backend("the push writer stopped before answering".into())
}

/// The writer thread: a group at a time until every sender is gone.
fn run(writer: &Mutex<Connection>, queue: &Receiver<Job>, checkpointer: &Checkpointer) {
    while let Ok(first) = queue.recv() {
        let mut entries = first.entries.len();
        let mut group = vec![first];
        while entries < MAX_GROUP_ENTRIES {
            match queue.try_recv() {
                Ok(job) => {
                    entries += job.entries.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let mut conn = lock(writer);
        if catch_unwind(AssertUnwindSafe(|| commit_group(&mut conn, group))).is_err() {
            tracing::error!("a push group panicked; its pushes were answered with an error");
        }
        drop(conn);
        checkpointer.nudge();
    }
}

/// Runs `jobs` in as few transactions as failures allow, answering each after its commit.
pub(super) fn commit_group(conn: &mut Connection, jobs: Vec<Job>) {
    let mut jobs = jobs.into_iter();
    loop {
        if jobs.as_slice().is_empty() {
            return;
        }
        let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                let why = format!("cannot begin the push transaction: {e}");
                for job in jobs {
                    answer(job.reply, Err(failed(&why)));
                }
                return;
            }
        };
        // Pushes that succeeded inside the transaction, waiting for its commit.
        let mut done = Vec::new();
        let mut lost = false;
        for job in jobs.by_ref() {
            match in_savepoint(&mut tx, &job) {
                Ok(outcome) => done.push((job.reply, outcome)),
                Err(e) => {
                    answer(job.reply, Err(e));
                    if tx.is_autocommit() {
                        // SQLite rolled back the whole transaction, not just the savepoint.
                        lost = true;
                        break;
                    }
                }
            }
        }
        if lost {
            drop(tx);
            for (reply, _) in done {
                answer(
                    reply,
                    Err(failed(
                        "the push was rolled back with its group after a database failure",
                    )),
                );
            }
            continue;
        }
        match tx.commit() {
            Ok(()) => {
                for (reply, outcome) in done {
                    answer(reply, Ok(outcome));
                }
            }
            Err(e) => {
                let why = format!("the push group's commit failed: {e}");
                for (reply, _) in done {
                    answer(reply, Err(failed(&why)));
                }
            }
        }
    }
}

/// One push inside its own savepoint: on error its writes are rolled back, the group's stay.
fn in_savepoint(tx: &mut Transaction<'_>, job: &Job) -> StorageResult<PushOutcome> {
    let savepoint = tx.savepoint()?;
    let outcome = push_in(
        &savepoint,
        &job.workspace,
        &job.entries,
        job.sealed_with,
        job.quota,
    )?;
    savepoint.commit()?;
    Ok(outcome)
}

/// Sends an answer; a push whose caller has gone (its request was cancelled) is still stored.
fn answer(reply: oneshot::Sender<StorageResult<PushOutcome>>, result: StorageResult<PushOutcome>) {
    let _ = reply.send(result);
}

fn failed(why: &str) -> StorageError {
    StorageError::Backend(why.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;
    use crate::storage::PullQuery;
    use crate::storage::Storage;
    use trellis_protocol::HASH_LEN;

    /// A change whose hash and bytes derive from `n`.
    fn change(n: u8) -> PushEntry {
        PushEntry {
            doc_id: Id([n % 3; 16]),
            change_hash: [n; HASH_LEN],
            bytes: vec![n; 16],
        }
    }

    /// A job for `entries` and the receiver of its answer.
    fn job(
        workspace: Id,
        entries: Vec<PushEntry>,
    ) -> (Job, oneshot::Receiver<StorageResult<PushOutcome>>) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            workspace,
            entries,
            sealed_with: None,
            quota: LogQuota::default(),
            reply,
        };
        (job, answer)
    }

    /// A storage with one workspace whose log refuses any entry of bytes `[13; 16]` with
    /// `RAISE(how)` (`ABORT`: that statement fails; `ROLLBACK`: SQLite drops the whole
    /// transaction, as an I/O error or a full disk does).
    fn storage_refusing_13(how: &str) -> (tempfile::TempDir, SqliteStorage, Id) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("r.sqlite3")).unwrap();
        let ws = Id([1; 16]);
        lock(&storage.inner.writer)
            .execute_batch(&format!(
                "INSERT INTO workspaces (id, created_at) VALUES (x'{}', 1);
                 CREATE TRIGGER refuse_13 BEFORE INSERT ON log WHEN NEW.bytes = x'{}'
                 BEGIN SELECT RAISE({how}, 'disk full'); END;",
                ws.to_hex(),
                "0d".repeat(16)
            ))
            .unwrap();
        (dir, storage, ws)
    }

    async fn log_of(storage: &SqliteStorage, ws: Id) -> Vec<(u64, Vec<u8>)> {
        let query = PullQuery {
            after: 0,
            limit: 100,
            max_bytes: 1 << 20,
        };
        let batch = storage.pull(ws, query).await.unwrap();
        batch
            .entries
            .into_iter()
            .map(|e| (e.seq, e.bytes))
            .collect()
    }

    #[tokio::test]
    async fn a_failing_push_in_a_group_is_rolled_back_alone() {
        let (_dir, storage, ws) = storage_refusing_13("ABORT");
        // Three devices' pushes land in one group; the middle one's second entry is refused
        // after its first entry was written.
        let (a, a_answer) = job(ws, vec![change(1)]);
        let (b, b_answer) = job(ws, vec![change(2), change(13)]);
        let (c, c_answer) = job(ws, vec![change(3), change(1)]);
        commit_group(&mut lock(&storage.inner.writer), vec![a, b, c]);

        let a = a_answer.await.unwrap().unwrap();
        assert!(matches!(
            b_answer.await.unwrap(),
            Err(StorageError::Backend(_))
        ));
        let c = c_answer.await.unwrap().unwrap();
        assert_eq!((a.seqs, a.head), (vec![1], 1));
        assert_eq!(
            (c.seqs, c.stored, c.head),
            (vec![2, 1], 1, 2),
            "the failed push used up no seqs; a change pushed again keeps its seq"
        );
        assert_eq!(
            log_of(&storage, ws).await,
            [(1, vec![1; 16]), (2, vec![3; 16])],
            "nothing of the failed push was stored, not even its first entry"
        );
    }

    #[tokio::test]
    async fn when_the_database_drops_the_group_no_push_of_it_is_acknowledged() {
        let (_dir, storage, ws) = storage_refusing_13("ROLLBACK");
        let (a, a_answer) = job(ws, vec![change(1)]);
        let (b, b_answer) = job(ws, vec![change(13)]);
        let (c, c_answer) = job(ws, vec![change(3)]);
        commit_group(&mut lock(&storage.inner.writer), vec![a, b, c]);

        assert!(
            a_answer.await.unwrap().is_err(),
            "a push whose write was rolled back with its group must not be acknowledged"
        );
        assert!(b_answer.await.unwrap().is_err());
        let c = c_answer.await.unwrap().unwrap();
        assert_eq!(
            c.seqs,
            [1],
            "the pushes after the failure run in a fresh transaction"
        );
        assert_eq!(log_of(&storage, ws).await, [(1, vec![3; 16])]);
    }
}
