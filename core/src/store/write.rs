//! The one write path: [`Store::write`] runs a user action in one immediate transaction with
//! the current workspace and this device, and [`change_doc`] applies an automerge change to
//! one document inside it: it loads the document (or makes its genesis), applies the change,
//! seals every new change into the outbox, saves the document and rewrites its index rows. If
//! the transaction commits, the action survives a crash and will reach the relay; if it does
//! not, nothing half-done is visible.

use automerge::{ActorId, ReadDoc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::crypto::signing::{sign_change, signed_payload};
use crate::crypto::{Sealed, Trailer};
use crate::documents::{self, DocKind};
use crate::index::{self, Touched};
use crate::storage::docstore::Tx;
use crate::storage::workspace::{current_ws, device, device_signer, roster_mark, Device, Ws};

use super::Store;

impl Store {
    /// Runs `f` in one immediate transaction with the current workspace and this device.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx, &Ws, &Device) -> Result<T>) -> Result<T> {
        let out = {
            let mut conn = self.lock();
            let tx = Tx::new(
                conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
                &self.docs,
            );
            let me = device(&tx)?;
            let ws = current_ws(&tx, self.scope)?;
            self.mark(&ws);
            let out = f(&tx, &ws, &me)?;
            tx.commit()?;
            out
        };
        self.catch_up.wrote();
        Ok(out)
    }
}

/// Applies `f` to document `doc_id` (made from its genesis if new) and records the change:
/// sealed changes into the outbox, what changed of the document, and the index rows of what
/// it touched. Call inside a transaction. Costs what changed, not the document's size (see
/// [`crate::storage::docstore`]).
pub(crate) fn change_doc<T>(
    tx: &Tx,
    ws: &Ws,
    me: &Device,
    doc_id: &Id,
    kind: DocKind,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    change_doc_after(tx, ws, me, doc_id, kind, &[], f)
}

/// [`change_doc`], first applying each of `starts` the document lacks: changes made the same on
/// every device ([`documents::counter_start`]) that the edit builds on. Those applied travel
/// with the edit.
pub(crate) fn change_doc_after<T>(
    tx: &Tx,
    ws: &Ws,
    me: &Device,
    doc_id: &Id,
    kind: DocKind,
    starts: &[automerge::Change],
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let ws_hex = ws.id.to_hex();
    let doc_hex = doc_id.to_hex();
    let (mut doc, stored) = match tx.load(&ws_hex, &doc_hex)? {
        Some((doc, stored)) => (doc, Some(stored)),
        None => (documents::genesis(doc_id, kind)?, None),
    };
    let mut started = Vec::new();
    for start in starts {
        if doc.get_change_by_hash(&start.hash()).is_none() {
            doc.apply_changes([start.clone()])?;
            // A document older than its genesis cannot take it (its dependencies are not
            // there): the edit then makes the counter itself, as before.
            if doc.get_change_by_hash(&start.hash()).is_some() {
                started.push(start.hash());
            }
        }
    }
    doc.set_actor(actor(me, tx.incarnation())?);
    let mut done = doc
        .transact_and_log_patches(f)
        .map_err(|failure| failure.error)?;
    // A new document's genesis travels with its first change.
    let new_changes = match (stored, done.hash) {
        (None, _) => doc.get_changes(&[]),
        (Some(_), hash) => started
            .iter()
            .chain(hash.as_ref())
            .filter_map(|h| doc.get_change_by_hash(h))
            .collect(),
    };
    let kind_now = documents::kind_of(&doc);
    let touched = match (stored, new_changes.as_slice()) {
        (None, _) => Touched::All,
        (Some(_), []) => Touched::Entries(Default::default()),
        (Some(_), [change]) => match index::touched_by_change(&doc, kind_now, change) {
            Some(touched) => touched,
            None => index::touched(kind_now, &doc.make_patches(&mut done.patch_log)),
        },
        (Some(_), _) => index::touched(kind_now, &doc.make_patches(&mut done.patch_log)),
    };
    // What is stored of the change is its bytes as automerge made them: finding them again from
    // the document (`save_after`) would cost as much as making them.
    let tail: Vec<u8> = match stored {
        Some(_) => new_changes
            .iter()
            .flat_map(|c| c.raw_bytes())
            .copied()
            .collect(),
        None => Vec::new(),
    };
    if !new_changes.is_empty() {
        // Each change is signed by this device as it is made, under the roster it holds now.
        let signer = device_signer(tx)?;
        let me_id: Id = me
            .id
            .parse()
            .map_err(|_| Error::invalid("the device id in this store is damaged"))?;
        let mark = roster_mark(tx, &ws.id)?;
        for mut change in new_changes {
            let trailer = sign_change(&signer, &me_id, &ws.id, doc_id, mark, &change.hash().0);
            keep_signature(tx, &ws_hex, &change.hash().0, &trailer)?;
            let envelope = ws.keys.seal(
                Sealed::Change,
                &ws.id,
                doc_id,
                &signed_payload(change.bytes().as_ref(), &trailer),
            );
            let hash = ws.keys.entry_hash(&change.hash().0, &envelope);
            tx.prepare_cached(
                "INSERT INTO outbox (ws, doc_id, change_hash, envelope) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![ws_hex, doc_hex, hash.as_slice(), envelope])?;
        }
    }
    index::update(tx, &ws_hex, &doc_hex, &doc, &touched)?;
    tx.save_changes(&ws_hex, &doc_hex, doc, &tail, stored)?;
    Ok(done.result)
}

/// Keeps a change's signature (made here or pulled), to hand the change back with it to a
/// relay that lost it.
pub(crate) fn keep_signature(
    conn: &rusqlite::Connection,
    ws_hex: &str,
    change_hash: &[u8; 32],
    trailer: &Trailer,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO change_sigs (ws, hash, trailer) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        ws_hex,
        change_hash.as_slice(),
        trailer.to_bytes().as_slice()
    ])?;
    Ok(())
}

/// The signature kept for a change, if any.
pub(crate) fn kept_signature(
    conn: &rusqlite::Connection,
    ws_hex: &str,
    change_hash: &[u8; 32],
) -> Result<Option<Trailer>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT trailer FROM change_sigs WHERE ws = ?1 AND hash = ?2")?
        .query_row(params![ws_hex, change_hash.as_slice()], |r| r.get(0))
        .optional()?;
    Ok(bytes.and_then(|b| Trailer::from_bytes(&b)))
}

/// Adds (or renames) a member in the workspace document.
pub(crate) fn add_member(
    t: &mut automerge::transaction::Transaction<'_>,
    member: &Id,
    name: &str,
    role: Role,
) -> Result<()> {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    let members = match t.get(automerge::ROOT, "members")? {
        Some((_, id)) => id,
        None => t.put_object(automerge::ROOT, "members", automerge::ObjType::Map)?,
    };
    let m = t.put_object(&members, member.to_hex(), automerge::ObjType::Map)?;
    t.put(&m, "name", name)?;
    t.put(&m, "role", role.as_str())?;
    Ok(())
}

/// The automerge actor of this device's changes: its id, then the incarnation of the store
/// (see [`crate::storage::docstore::DocCache::incarnation`]), so no (actor, seq) is ever
/// written twice, whatever was restored or copied.
fn actor(me: &Device, incarnation: [u8; 8]) -> Result<ActorId> {
    let id: Id = me
        .id
        .parse()
        .map_err(|_| Error::invalid("the device id in this store is damaged"))?;
    let mut bytes = id.as_bytes().to_vec();
    bytes.extend_from_slice(&incarnation);
    Ok(ActorId::from(bytes))
}
