//! The records both backends share, and the conversions from stored columns to them: written
//! once, so a row means the same thing whichever database it came from.
//!
//! * [`SecretHash`]: what storage keeps of a token or invite secret.
//! * [`WorkspaceSummary`] and [`LogSize`]: what the operator's listing and the `/metrics` log
//!   gauges read from the database.
//! * Column conversions (`to_id`, `to_role`, `to_seq`, `to_epoch`, `to_change_hash`,
//!   `count`): a value the relay never writes is [`StorageError::Corrupt`].
//! * Row records (`token_lookup`, `member_info`, `device_info`, [`InviteRow`],
//!   `roster_entry`) and the paging of reads (`Page`, `pull_batch`), so both backends answer in
//!   the same shapes.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use trellis_protocol::api::{DeviceInfo, MemberInfo, Role};
use trellis_protocol::batch::{LogEntry, PullBatch};
use trellis_protocol::{Id, HASH_LEN};

use super::{DeviceAuth, RosterEntry, StorageError, StorageResult, TokenLookup};

/// The SHA-256 of a token or invite secret: what storage keeps instead of the secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Hashes a secret.
    pub fn of(secret: &str) -> SecretHash {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `secret` hashes to this, compared in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        bool::from(SecretHash::of(secret).0.ct_eq(&self.0))
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Even a hash is not printed: it is the key to a device row.
        f.write_str("SecretHash(..)")
    }
}

/// One workspace, as `admin workspaces` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceSummary {
    /// The workspace id (32 hexadecimal digits).
    pub workspace_id: String,
    /// Created at, seconds since the Unix epoch.
    pub created_at: i64,
    /// The newest seq ever assigned in its log.
    pub head: u64,
    /// Log entries stored, compacted ones still in their grace period included.
    pub log_entries: u64,
    /// Encrypted change bytes stored, compacted entries' included.
    pub log_bytes: u64,
    /// Of `log_entries`, those a checkpoint compacted that are kept until their grace period
    /// is over (they no longer count toward the log quota).
    pub compacted_entries: u64,
    /// Members not removed.
    pub members: u64,
    /// Devices not revoked.
    pub devices: u64,
}

/// Sizes of the stored logs, for the log gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LogSize {
    /// Workspaces registered.
    pub workspaces: u64,
    /// Log entries kept, across workspaces.
    pub entries: u64,
    /// Change bytes kept, across workspaces.
    pub bytes: u64,
}

/// An id column.
pub(crate) fn to_id(bytes: Vec<u8>) -> StorageResult<Id> {
    Id::from_slice(&bytes).map_err(|_| StorageError::Corrupt("id"))
}

/// A role column (its lowercase name).
pub(crate) fn to_role(name: String) -> StorageResult<Role> {
    Role::parse(&name).ok_or(StorageError::Corrupt("role"))
}

/// A seq column (or any count the relay keeps as a non-negative integer).
pub(crate) fn to_seq(seq: i64) -> StorageResult<u64> {
    u64::try_from(seq).map_err(|_| StorageError::Corrupt("seq"))
}

/// A key epoch column.
pub(crate) fn to_epoch(epoch: i64) -> StorageResult<u32> {
    u32::try_from(epoch).map_err(|_| StorageError::Corrupt("key epoch"))
}

/// A change hash column.
pub(crate) fn to_change_hash(hash: Vec<u8>) -> StorageResult<[u8; HASH_LEN]> {
    hash.try_into()
        .map_err(|_| StorageError::Corrupt("change hash"))
}

/// A count for the operator's listing and the gauges (a negative one reads as 0).
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The device found by a token look-up: its workspace, member, device id, its member's role,
/// and whether the device was revoked or its member removed (then only its workspace is
/// kept: nothing else of it may act).
pub(crate) fn token_lookup(
    workspace: Vec<u8>,
    member: Vec<u8>,
    device: Vec<u8>,
    role: String,
    revoked: bool,
) -> StorageResult<TokenLookup> {
    if revoked {
        return Ok(TokenLookup::Revoked {
            workspace_id: to_id(workspace)?,
        });
    }
    Ok(TokenLookup::Active(DeviceAuth {
        workspace_id: to_id(workspace)?,
        member_id: to_id(member)?,
        device_id: to_id(device)?,
        role: to_role(role)?,
    }))
}

/// A member row of the members listing.
pub(crate) fn member_info(
    member: Vec<u8>,
    role: String,
    removed: bool,
) -> StorageResult<MemberInfo> {
    Ok(MemberInfo {
        member_id: to_id(member)?,
        role: to_role(role)?,
        removed,
    })
}

/// A device row of the members listing. Devices registered before keys existed have none:
/// listed as "".
pub(crate) fn device_info(
    device: Vec<u8>,
    member: Vec<u8>,
    key: Option<Vec<u8>>,
    created_at: i64,
    revoked: bool,
) -> StorageResult<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: to_id(device)?,
        member_id: to_id(member)?,
        device_key: key.map(hex::encode).unwrap_or_default(),
        created_at,
        revoked,
    })
}

/// A roster row: its seq and the event's bytes.
pub(crate) fn roster_entry(seq: i64, event: Vec<u8>) -> StorageResult<RosterEntry> {
    Ok(RosterEntry {
        seq: to_seq(seq)?,
        event,
    })
}

/// A seq to bind as a stored integer (seqs the relay accepts stay far below `i64::MAX`).
pub(crate) fn seq_column(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// An invite as stored, read by a redemption inside its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRow {
    /// The workspace it was issued for.
    pub workspace_id: Id,
    /// The role a new member gets.
    pub role: Role,
    /// Whether it adds a device of the inviter rather than a new member.
    pub device: bool,
    /// The member who issued it.
    pub inviter: Id,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
    /// Whether it was redeemed already.
    pub used: bool,
    /// Whether it was cancelled.
    pub cancelled: bool,
}

impl InviteRow {
    /// The row's columns: workspace, role, device, inviter, expiry, used at and cancelled at.
    #[allow(clippy::too_many_arguments)] // one per column, in the order the queries read them
    pub(crate) fn from_columns(
        workspace: Vec<u8>,
        role: String,
        device: bool,
        inviter: Vec<u8>,
        expires_at: i64,
        used_at: Option<i64>,
        cancelled_at: Option<i64>,
    ) -> StorageResult<InviteRow> {
        Ok(InviteRow {
            workspace_id: to_id(workspace)?,
            role: to_role(role)?,
            device,
            inviter: to_id(inviter)?,
            expires_at,
            used: used_at.is_some(),
            cancelled: cancelled_at.is_some(),
        })
    }
}

/// Items gathered for one answer under a byte budget: at least one item, then more only while
/// their bytes stay within `max_bytes` (and, when given, their count within `max_items`).
pub(crate) struct Page<T> {
    items: Vec<T>,
    bytes: usize,
    max_bytes: usize,
    max_items: usize,
}

impl<T> Page<T> {
    /// An empty page holding at most `max_bytes` (or one item, whatever its size).
    pub(crate) fn new(max_bytes: usize) -> Page<T> {
        Page::with_limit(usize::MAX, max_bytes)
    }

    /// An empty page holding at most `max_items` items and `max_bytes` (or one item, whatever
    /// its size, if `max_items` allows one).
    pub(crate) fn with_limit(max_items: usize, max_bytes: usize) -> Page<T> {
        Page {
            items: Vec::new(),
            bytes: 0,
            max_bytes,
            max_items,
        }
    }

    /// Whether an item of `len` bytes still fits.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.items.len() < self.max_items
            && (self.items.is_empty() || self.bytes.saturating_add(len) <= self.max_bytes)
    }

    /// Adds an item of `len` bytes (whether it fits is the caller's question, asked first).
    pub(crate) fn push(&mut self, item: T, len: usize) {
        self.bytes = self.bytes.saturating_add(len);
        self.items.push(item);
    }

    /// The items gathered.
    pub(crate) fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// A pull's answer: `entries` after `after`, and whether more remain before `head`. Seqs are
/// gap-free, so entries remain exactly when the last one returned is before the head.
pub(crate) fn pull_batch(head: u64, after: u64, entries: Vec<LogEntry>) -> PullBatch {
    let last = entries.last().map_or(after, |e| e.seq);
    PullBatch {
        head,
        more: last < head,
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_takes_one_item_whatever_its_size_then_stays_within_its_budget() {
        let mut page = Page::new(10);
        assert!(page.fits(50), "the first item always fits");
        page.push('a', 50);
        assert!(!page.fits(1));
        let mut page = Page::new(10);
        page.push('a', 4);
        assert!(page.fits(6));
        page.push('b', 6);
        assert!(!page.fits(1));
        assert_eq!(page.into_items(), ['a', 'b']);
        let mut page = Page::with_limit(2, 100);
        page.push('a', 1);
        page.push('b', 1);
        assert!(!page.fits(1), "two items are the limit");
        assert!(!Page::<char>::with_limit(0, 100).fits(1));
    }

    #[test]
    fn a_pull_has_more_exactly_when_its_last_entry_is_before_the_head() {
        let entry = |seq| LogEntry {
            seq,
            doc_id: Id([1; 16]),
            change_hash: [2; HASH_LEN],
            bytes: vec![3],
        };
        assert!(pull_batch(5, 0, vec![entry(1), entry(2)]).more);
        assert!(!pull_batch(2, 0, vec![entry(1), entry(2)]).more);
        assert!(!pull_batch(5, 5, Vec::new()).more);
        assert!(pull_batch(5, 3, Vec::new()).more);
    }

    #[test]
    fn a_column_the_relay_never_writes_is_corrupt() {
        assert!(matches!(
            to_id(vec![1; 3]),
            Err(StorageError::Corrupt("id"))
        ));
        assert!(matches!(
            to_role("king".into()),
            Err(StorageError::Corrupt("role"))
        ));
        assert!(matches!(to_seq(-1), Err(StorageError::Corrupt("seq"))));
        assert!(matches!(
            to_epoch(-1),
            Err(StorageError::Corrupt("key epoch"))
        ));
        assert!(matches!(
            to_change_hash(vec![0; 3]),
            Err(StorageError::Corrupt("change hash"))
        ));
        assert_eq!(count(-4), 0);
        let summary = device_info(vec![1; 16], vec![2; 16], None, 7, false).unwrap();
        assert_eq!(
            summary.device_key, "",
            "a device without a key lists an empty one"
        );
    }

    #[test]
    fn a_revoked_token_names_its_workspace_and_no_device() {
        let found = token_lookup(vec![1; 16], vec![2; 16], vec![3; 16], "member".into(), true);
        assert_eq!(
            found.unwrap(),
            TokenLookup::Revoked {
                workspace_id: Id([1; 16])
            }
        );
        let found = token_lookup(vec![1; 16], vec![2; 16], vec![3; 16], "admin".into(), false);
        assert!(matches!(found, Ok(TokenLookup::Active(d)) if d.role == Role::Admin));
    }
}
