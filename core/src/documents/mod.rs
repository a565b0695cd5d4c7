//! The automerge documents and their shapes.
//!
//! Data lives in small documents, each with a random 128-bit id (see `docs/DESIGN.md`):
//!
//! | kind | id | holds |
//! | --- | --- | --- |
//! | `workspace` | the workspace id | `name`, `members: {member_id: {name, role}}` |
//! | `organization` | random | `name`, `kind`, `address`, `created_at` |
//! | `contact` | random | `name`, `org_id`, `category`, `phones[]`, `emails[]`, `needs`, `created_at`, `notes[]` of `{id, at, author, text}` |
//! | `logbook` | derived from (member, month) under the workspace's secret (`crypto/doc_ids.rs`) | `activities: {activity_id: {...}}`, `followups: {followup_id: {...}}` |
//! | `ledger` | derived from the month under the workspace's secret | `referrals: {referral_id: {...}}` |
//! | `post` | random, in a region | `author`, `need` (JSON), `created_ms`, `expires_ms`, `status`, `replies: {}` |
//!
//! **The thank-you a visit calls for** is part of its activity: `thank_you_due_ms`, and once
//! edited `thank_you_done_ms` and `thank_you_assigned_to`, each its own register as the fields of
//! a follow-up are, so concurrent edits merge field by field the same way. The index shows it
//! as a follow-up whose id is derived from the activity's ([`thank_you_id`]). Written as a
//! `followups` entry, it took 8 of a drop-by's 18 automerge operations; logbooks written before
//! this hold their thank-yous as entries, which keep working as every hand-made follow-up does.
//!
//! The workspace document also holds `settings` (goals), `catalog` (leave-behind items),
//! `stock` (one automerge Counter per item and device: `"item/device"`, so concurrent use on two
//! offline phones adds up and no two devices ever create the same counter), `pitches` (per
//! contact category), `memberships` and `reasons` (referral reason categories).
//!
//! **Deletes** set `deleted: true` and nothing ever clears it, so a deleted document stays
//! deleted after merging with any concurrent edit (no resurrection). **Archive** is an
//! ordinary last-writer-wins flag that can be undone.
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
use automerge::{ActorId, Automerge, ObjType, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trellis_protocol::Id;

/// The kinds of document (named in checkpoints' index snapshots as [`DocKind::as_str`] names
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DocKind {
    Workspace,
    Organization,
    Contact,
    Logbook,
    Ledger,
    Post,
}

impl DocKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocKind::Workspace => "workspace",
            DocKind::Organization => "organization",
            DocKind::Contact => "contact",
            DocKind::Logbook => "logbook",
            DocKind::Ledger => "ledger",
            DocKind::Post => "post",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::Workspace,
            DocKind::Organization,
            DocKind::Contact,
            DocKind::Logbook,
            DocKind::Ledger,
            DocKind::Post,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The containers the genesis change creates. Frozen: changing a kind's list would make
    /// new and old devices disagree on its genesis; add a new kind instead.
    fn containers(self) -> &'static [(&'static str, ObjType)] {
        match self {
            DocKind::Workspace => &[
                ("members", ObjType::Map),
                ("settings", ObjType::Map),
                ("catalog", ObjType::Map),
                ("stock", ObjType::Map),
                ("pitches", ObjType::Map),
                ("memberships", ObjType::Map),
                ("reasons", ObjType::Map),
            ],
            DocKind::Organization => &[],
            DocKind::Contact => &[
                ("phones", ObjType::List),
                ("emails", ObjType::List),
                ("tags", ObjType::List),
                ("notes", ObjType::List),
            ],
            DocKind::Logbook => &[("activities", ObjType::Map), ("followups", ObjType::Map)],
            DocKind::Ledger => &[("referrals", ObjType::Map)],
            DocKind::Post => &[("replies", ObjType::Map)],
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

/// The change that starts the counter `key` at 0 in the map `map` of a document's genesis: made
/// with an actor derived from the document, the map and the key, on top of the genesis alone,
/// so it is byte-identical wherever it is made (like [`genesis`]). A device that must add to a
/// counter it does not see (its store was rolled back by a restore or a power cut, or another
/// of its incarnations made the counter) applies this change first instead of putting a new
/// counter: two puts of one key would compete and one counter's sum would be lost, while two
/// copies of one change are one change.
pub(crate) fn counter_start(
    doc_id: &Id,
    kind: DocKind,
    map: &str,
    key: &str,
) -> Result<automerge::Change, automerge::AutomergeError> {
    let mut doc = genesis(doc_id, kind)?;
    let actor = derive_id(&[
        b"trellis/counter-actor",
        doc_id.as_bytes(),
        map.as_bytes(),
        key.as_bytes(),
    ]);
    doc.set_actor(ActorId::from(actor.as_bytes().as_slice()));
    let map = map.to_string();
    let key = key.to_string();
    doc.transact(|tx| {
        let obj = match tx.get(ROOT, map.as_str())? {
            Some((_, obj)) => obj,
            None => tx.put_object(ROOT, map.as_str(), ObjType::Map)?,
        };
        tx.put(&obj, key.as_str(), automerge::ScalarValue::counter(0))
    })
    .map_err(|f| f.error)?;
    let heads = doc.get_heads();
    heads
        .first()
        .and_then(|h| doc.get_change_by_hash(h))
        .ok_or(automerge::AutomergeError::Fail)
}

/// The follow-up id of the thank-you an activity calls for (see the module docs): the same on
/// every device, so no device ever makes it twice.
pub(crate) fn thank_you_id(activity_id: &str) -> String {
    derive_id(&[b"trellis/thank-you", activity_id.as_bytes()]).to_hex()
}

pub(crate) fn derive_id(parts: &[&[u8]]) -> Id {
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
    serde_json::from_value(to_json(doc, &ROOT)).unwrap_or_default()
}

/// Reads one entry of a map at the root (an activity of `activities`, a referral of
/// `referrals`) into its shape; `None` if the entry is not there or has another shape.
pub(crate) fn read_entry<T: for<'de> Deserialize<'de>>(
    doc: &Automerge,
    section: &str,
    key: &str,
) -> Option<T> {
    let (_, map) = doc.get(ROOT, section).ok()??;
    match doc.get(&map, key).ok()?? {
        (automerge::Value::Object(_), obj) => serde_json::from_value(to_json(doc, &obj)).ok(),
        _ => None,
    }
}

/// The current value of an object as JSON, the way [`AutoSerde`] shows it (counters as their
/// value, text as a string), but walking each map and list once with its range iterator:
/// measured here, ~20× faster than `AutoSerde` on a logbook of 1,500 activities.
pub(crate) fn to_json(doc: &Automerge, obj: &automerge::ObjId) -> serde_json::Value {
    use serde_json::Value as J;
    let value = |v: &automerge::ValueRef<'_>, id: &dyn Fn() -> automerge::ObjId| -> J {
        match v {
            automerge::ValueRef::Object(_) => to_json(doc, &id()),
            automerge::ValueRef::Scalar(s) => scalar_json(s),
        }
    };
    match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => J::Object(
            doc.map_range(obj, ..)
                .map(|item| {
                    let v = value(&item.value, &|| item.id());
                    (item.key.into_owned(), v)
                })
                .collect(),
        ),
        Ok(ObjType::List) => J::Array(
            doc.list_range(obj, ..)
                .map(|item| value(&item.value, &|| item.id()))
                .collect(),
        ),
        Ok(ObjType::Text) => doc.text(obj).map(J::String).unwrap_or(J::Null),
        Err(_) => J::Null,
    }
}

fn scalar_json(s: &automerge::ScalarValueRef<'_>) -> serde_json::Value {
    use automerge::ScalarValueRef as S;
    use serde_json::Value as J;
    match s {
        S::Str(s) => J::String(s.to_string()),
        S::Int(i) | S::Counter(i) | S::Timestamp(i) => J::from(*i),
        S::Uint(u) => J::from(*u),
        S::F64(f) => J::from(*f),
        S::Boolean(b) => J::Bool(*b),
        S::Bytes(_) | S::Unknown { .. } | S::Null => J::Null,
    }
}

/// A workspace document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkspaceDoc {
    pub name: String,
    pub members: BTreeMap<String, MemberDoc>,
    pub settings: BTreeMap<String, serde_json::Value>,
    pub catalog: BTreeMap<String, CatalogDoc>,
    pub stock: BTreeMap<String, i64>,
    pub pitches: BTreeMap<String, String>,
    pub memberships: BTreeMap<String, MembershipDoc>,
    pub reasons: BTreeMap<String, String>,
    /// Every other key at the root: each member's card (its JSON) sits under `card:<member id>`,
    /// a key of its own (two members writing their first cards offline create two objects, where a
    /// shared `cards` map made on two devices at once would keep only one of them).
    #[serde(flatten)]
    pub rest: BTreeMap<String, serde_json::Value>,
}

/// The root key of a member's card in the workspace document.
pub(crate) fn card_key(member: &str) -> String {
    format!("card:{member}")
}

/// A need posted to a region (one document each): its author (a member id, which a change may
/// put only when signed by that member's device), the need's JSON ([`crate::model::Need`]),
/// when it was posted and when it closes, and its status.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct PostDoc {
    pub author: String,
    pub need: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub status: String,
    /// Whom the author connected the client with, when closed as connected (a member id).
    pub closed_with: String,
    /// Replies by member id: `{author, at_ms, sealed}`, `sealed` the JSON of one sealed box
    /// per device of the post's author.
    pub replies: BTreeMap<String, ReplyDoc>,
}

/// A reply in a post: who sent it (a member id, which a change may put only when signed by
/// that member's device), when, and its content sealed to each device of the post's author.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ReplyDoc {
    pub author: String,
    pub at_ms: i64,
    pub sealed: String,
}

/// A leave-behind item in the catalog (its stock lives in per-device counters).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CatalogDoc {
    pub name: String,
    pub low_at: i64,
}

/// A membership in a community or professional organization.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MembershipDoc {
    pub org_id: String,
    pub member_id: String,
    pub role: String,
    pub renews: Option<String>,
    pub deleted: bool,
}

/// A member entry in the workspace document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MemberDoc {
    pub name: String,
    pub role: String,
}

/// An organization document.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct OrgDoc {
    pub name: String,
    pub kind: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub archived: bool,
    pub deleted: bool,
    pub created_at: String,
}

/// A contact document.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ContactDoc {
    pub name: String,
    pub org_id: Option<String>,
    pub role: Option<String>,
    pub category: String,
    pub stage: Option<String>,
    pub cadence_days: Option<i64>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub needs: Option<String>,
    pub how_we_help: Option<String>,
    pub tags: Vec<String>,
    pub archived: bool,
    pub deleted: bool,
    pub created_at: String,
    pub notes: Vec<NoteDoc>,
}

/// One entry of a contact's notes.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct NoteDoc {
    pub id: String,
    pub at: String,
    pub author: String,
    pub text: String,
}

/// A logbook document (read whole only by tests: the index reads one entry at a time).
#[cfg(test)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogbookDoc {
    pub activities: BTreeMap<String, ActivityDoc>,
    pub followups: BTreeMap<String, FollowUpDoc>,
}

/// One follow-up in a logbook.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct FollowUpDoc {
    pub kind: String,
    pub contact_id: Option<String>,
    pub org_id: Option<String>,
    pub activity_id: Option<String>,
    pub due_ms: i64,
    pub note: Option<String>,
    pub done_ms: Option<i64>,
    pub assigned_to: String,
    pub created_by: String,
}

/// One referral. There is deliberately no field for who the client is.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ReferralDoc {
    pub direction: String,
    pub day: String,
    pub contact_id: Option<String>,
    pub org_id: Option<String>,
    pub reason: String,
    pub status: String,
    pub channel: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub deleted: bool,
}

/// One activity in a logbook.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
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
    pub audience: Option<String>,
    pub attendance: Option<i64>,
    pub deleted: bool,
    /// When the thank-you this visit calls for is due (none for talks, calls and the like).
    pub thank_you_due_ms: Option<i64>,
    /// When that thank-you was sent.
    pub thank_you_done_ms: Option<i64>,
    /// Who is to send it, once reassigned (until then, whoever logged the visit).
    pub thank_you_assigned_to: Option<String>,
}

/// One item left behind.
#[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
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
    }

    #[test]
    fn the_fast_reader_sees_what_autoserde_sees() {
        let mut doc = genesis(&Id::random(), DocKind::Workspace).unwrap();
        doc.transact(|tx| {
            tx.put(ROOT, "name", "Maple Street")?;
            let (_, stock) = tx.get(ROOT, "stock")?.unwrap();
            tx.put(&stock, "brochure/dev", automerge::ScalarValue::counter(10))?;
            tx.increment(&stock, "brochure/dev", -3)?;
            let (_, settings) = tx.get(ROOT, "settings")?.unwrap();
            tx.put(&settings, "weekly_minutes", 240_i64)?;
            tx.put(&settings, "ratio", 0.5_f64)?;
            tx.put(&settings, "on", true)?;
            let list = tx.put_object(&settings, "list", ObjType::List)?;
            tx.insert(&list, 0, "a")?;
            let inner = tx.insert_object(&list, 1, ObjType::Map)?;
            tx.put(&inner, "qty", 2_u64)?;
            let text = tx.put_object(&settings, "text", ObjType::Text)?;
            tx.splice_text(&text, 0, 0, "hello")?;
            Ok::<_, automerge::AutomergeError>(())
        })
        .unwrap();
        let slow = serde_json::to_value(automerge::AutoSerde::from(&doc)).unwrap();
        assert_eq!(to_json(&doc, &ROOT), slow);
        assert_eq!(slow["stock"]["brochure/dev"], 7);
        let acts: Option<FollowUpDoc> = read_entry(&doc, "followups", "missing");
        assert!(acts.is_none());
    }
}
