//! The automerge documents and their shapes.
//!
//! Data lives in small documents, each with a random 128-bit id (see DESIGN.md):
//!
//! | kind | id | holds |
//! | --- | --- | --- |
//! | `workspace` | the workspace id | `name`, `members: {member_id: {name, role}}` |
//! | `organization` | random | `name`, `kind`, `address`, `created_at` |
//! | `contact` | random | `name`, `org_id`, `category`, `phones[]`, `emails[]`, `needs`, `created_at`, `notes[]` of `{id, at, author, text}` |
//! | `logbook` | derived from (workspace, member, month) | `member`, `month`, `activities: {activity_id: {...}}` |
//!
//! Every document starts with the same **genesis change** on every device: it is made with an
//! actor and content derived only from the document id and kind, so it is byte-identical
//! wherever it is made. Two devices can therefore both create a member's logbook for a month
//! while offline: they share the genesis (one `activities` map, not two competing ones), and
//! their activities, under distinct keys in that map, both survive the merge.
//!
//! Notes are plain strings in a list, not automerge Text: measured here, Text made loading ten
//! times slower, and two devices appending entries concurrently both survive in a list.
//! Reading a document goes through [`automerge::AutoSerde`] into the serde structs below; a
//! field a newer client added is ignored, a missing one takes its default.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoSerde, Automerge, ObjType, ReadDoc, ROOT};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use trellis_protocol::Id;

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Workspace,
    Organization,
    Contact,
    Logbook,
}

impl DocKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocKind::Workspace => "workspace",
            DocKind::Organization => "organization",
            DocKind::Contact => "contact",
            DocKind::Logbook => "logbook",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::Workspace,
            DocKind::Organization,
            DocKind::Contact,
            DocKind::Logbook,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The containers the genesis change creates.
    fn containers(self) -> &'static [(&'static str, ObjType)] {
        match self {
            DocKind::Workspace => &[("members", ObjType::Map)],
            DocKind::Organization => &[],
            DocKind::Contact => &[
                ("phones", ObjType::List),
                ("emails", ObjType::List),
                ("notes", ObjType::List),
            ],
            DocKind::Logbook => &[("activities", ObjType::Map)],
        }
    }
}

/// A new document holding only its genesis change (see the module docs).
pub(crate) fn genesis(doc_id: &Id, kind: DocKind) -> Result<Automerge, automerge::AutomergeError> {
    let actor = derive_id(&[b"trellis/genesis-actor", doc_id.as_bytes()]);
    let mut doc = Automerge::new().with_actor(ActorId::from(actor.as_bytes().as_slice()));
    doc.transact(|tx| {
        tx.put(ROOT, "type", kind.as_str())?;
        for (key, ty) in kind.containers() {
            tx.put_object(ROOT, *key, *ty)?;
        }
        Ok::<_, automerge::AutomergeError>(())
    })
    .map_err(|f| f.error)?;
    Ok(doc)
}

/// The id of a member's logbook for a month (`YYYY-MM`) in a workspace: the same on every device.
pub(crate) fn logbook_id(workspace: &Id, member: &Id, month: &str) -> Id {
    derive_id(&[
        b"trellis/logbook",
        workspace.as_bytes(),
        member.as_bytes(),
        month.as_bytes(),
    ])
}

fn derive_id(parts: &[&[u8]]) -> Id {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u32).to_le_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    Id(id)
}

/// The document's kind, from its `type` field.
pub(crate) fn kind_of(doc: &Automerge) -> Option<DocKind> {
    match doc.get(ROOT, "type").ok()?? {
        (automerge::Value::Scalar(s), _) => match s.as_ref() {
            automerge::ScalarValue::Str(k) => DocKind::parse(k),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a document into one of the shapes below.
pub(crate) fn read<T: for<'de> Deserialize<'de> + Default>(doc: &Automerge) -> T {
    serde_json::to_value(AutoSerde::from(doc))
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// A workspace document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkspaceDoc {
    pub name: String,
    pub members: BTreeMap<String, MemberDoc>,
}

/// A member entry in the workspace document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MemberDoc {
    pub name: String,
    pub role: String,
}

/// An organization document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrgDoc {
    pub name: String,
    pub kind: String,
    pub address: Option<String>,
    pub created_at: String,
}

/// A contact document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ContactDoc {
    pub name: String,
    pub org_id: Option<String>,
    pub category: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub needs: Option<String>,
    pub created_at: String,
    pub notes: Vec<NoteDoc>,
}

/// One entry of a contact's notes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NoteDoc {
    pub id: String,
    pub at: String,
    pub author: String,
    pub text: String,
}

/// A logbook document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogbookDoc {
    pub activities: BTreeMap<String, ActivityDoc>,
}

/// One activity in a logbook.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActivityDoc {
    pub kind: String,
    pub at_ms: i64,
    pub minutes: i64,
    pub org_id: Option<String>,
    pub contact_ids: Vec<String>,
    pub note: Option<String>,
    pub left_behind: Vec<LeftBehindDoc>,
    pub logged_by: String,
}

/// One item left behind.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LeftBehindDoc {
    pub item: String,
    pub qty: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_identical_everywhere_so_offline_creators_share_one_container() {
        let id = Id::random();
        let a = genesis(&id, DocKind::Logbook).unwrap();
        let b = genesis(&id, DocKind::Logbook).unwrap();
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(kind_of(&a), Some(DocKind::Logbook));

        // Two devices add an activity each to their own copy, then merge.
        let add = |doc: &mut Automerge, device: u8, key: &str| {
            doc.set_actor(ActorId::from([device; 16].as_slice()));
            doc.transact(|tx| {
                let (_, acts) = tx.get(ROOT, "activities")?.unwrap();
                let act = tx.put_object(&acts, key, ObjType::Map)?;
                tx.put(&act, "kind", "drop-by")
            })
            .unwrap();
        };
        let (mut a, mut b) = (a, b);
        add(&mut a, 1, "one");
        add(&mut b, 2, "two");
        a.merge(&mut b).unwrap();
        let log: LogbookDoc = read(&a);
        assert_eq!(
            log.activities.keys().collect::<Vec<_>>(),
            vec!["one", "two"]
        );
        assert_ne!(
            logbook_id(&id, &id, "2026-11"),
            logbook_id(&id, &id, "2026-12")
        );
    }
}
