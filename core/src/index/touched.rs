//! Which index rows a change touched: the entries of a logbook or ledger found in a change's
//! patches or its own operations, or the whole document.

use std::collections::BTreeSet;

use automerge::{Automerge, Patch, PatchAction, Prop, ReadDoc, ROOT};

use crate::documents::DocKind;

use super::ENTRY_SECTIONS;

/// Which index rows a change can have affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Touched {
    /// Anything: rewrite every row of the document.
    All,
    /// Only these entries, as (section, key): e.g. ("activities", activity id).
    Entries(BTreeSet<(String, String)>),
}

/// The entries a change touched, from the patches automerge logged while applying it. Anything
/// outside an entry (a new container, a field at the root, another kind of document) means
/// [`Touched::All`].
pub(crate) fn touched(kind: Option<DocKind>, patches: &[Patch]) -> Touched {
    if !matches!(kind, Some(DocKind::Logbook | DocKind::Ledger)) {
        return Touched::All;
    }
    let mut entries = BTreeSet::new();
    for patch in patches {
        let section = match patch.path.first() {
            Some((_, Prop::Map(section))) if ENTRY_SECTIONS.contains(&section.as_str()) => section,
            _ => return Touched::All,
        };
        let key = match (patch.path.get(1), &patch.action) {
            (Some((_, Prop::Map(key))), _) => key.clone(),
            (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => key.clone(),
            (
                None,
                PatchAction::Increment {
                    prop: Prop::Map(key),
                    ..
                },
            )
            | (
                None,
                PatchAction::Conflict {
                    prop: Prop::Map(key),
                },
            ) => key.clone(),
            _ => return Touched::All,
        };
        entries.insert((section.clone(), key));
    }
    Touched::Entries(entries)
}

/// The entries one local change touched, read from the change's own operations: an operation
/// on a section map names its entry, and an operation on an object the same change created
/// belongs to that object's entry. Cheaper than building patches (which looks up every
/// object's path in the document), and enough for adding entries. `None` when the change
/// edits an object made earlier (then ask [`touched`] with the patches).
pub(crate) fn touched_by_change(
    doc: &Automerge,
    kind: Option<DocKind>,
    change: &automerge::Change,
) -> Option<Touched> {
    use automerge::legacy::{Key, ObjectId, OpType};
    if !matches!(kind, Some(DocKind::Logbook | DocKind::Ledger)) {
        return Some(Touched::All);
    }
    let sections: Vec<(String, &str)> = ENTRY_SECTIONS
        .iter()
        .filter_map(|s| Some((doc.get(ROOT, *s).ok()??.1.to_string(), *s)))
        .collect();
    let expanded = change.decode();
    let mut created: std::collections::HashMap<String, (String, String)> = Default::default();
    let mut entries = BTreeSet::new();
    for (i, op) in expanded.operations.iter().enumerate() {
        let obj = match &op.obj {
            ObjectId::Root => return Some(Touched::All),
            ObjectId::Id(id) => id.to_string(),
        };
        let entry = match sections.iter().find(|(id, _)| *id == obj) {
            Some((_, section)) => match &op.key {
                Key::Map(key) => (section.to_string(), key.to_string()),
                Key::Seq(_) => return Some(Touched::All),
            },
            None => created.get(&obj)?.clone(),
        };
        if let OpType::Make(_) = op.action {
            let op_id = format!(
                "{}@{}",
                expanded.start_op.get() + i as u64,
                expanded.actor_id
            );
            created.insert(op_id, entry.clone());
        }
        entries.insert(entry);
    }
    Some(Touched::Entries(entries))
}
