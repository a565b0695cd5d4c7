//! What a practice keeps in its workspace document: goals, the leave-behind catalog and its
//! stock, elevator pitches per contact category, and memberships.
//!
//! Stock is counted with automerge Counters, one per item and device (`"item/device_id"`), and
//! the stock of an item is their sum. Only one device ever writes a given counter, so no two
//! devices create the same one concurrently (which would lose one side), and concurrent use on
//! two offline phones adds up: 20 brochures, 3 used on one phone and 5 on the other, is 12.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, ROOT};
use rusqlite::{params, Connection, OptionalExtension};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::non_empty;
use crate::base::validate::{check_len, checked_name, MAX_TEXT_BYTES};
use crate::documents::{self, DocKind};
use crate::model::{ContactCategory, Membership, Settings, StockItem};
use crate::read::resolve::resolve_org;
use crate::storage::workspace::{Device, Ws};
use crate::store::{change_doc, change_doc_after, Store};

/// Stock at or below which an item is low, unless set.
pub const DEFAULT_LOW_AT: i64 = 5;

impl Store {
    /// The workspace's goals.
    pub fn settings(&self) -> Result<Settings> {
        self.read(settings)
    }

    /// Changes the goals given; the others stay.
    pub fn set_goals(
        &self,
        minutes_per_week: Option<u32>,
        new_connections_per_month: Option<u32>,
        thank_you_hours: Option<u32>,
    ) -> Result<Settings> {
        for v in [minutes_per_week, new_connections_per_month, thank_you_hours]
            .into_iter()
            .flatten()
        {
            if v > 100_000 {
                return Err(Error::invalid("a goal must be at most 100000"));
            }
        }
        self.write(|tx, ws, me| {
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                let s = map(t, "settings")?;
                for (key, value) in [
                    ("minutes_per_week", minutes_per_week),
                    ("new_connections_per_month", new_connections_per_month),
                    ("thank_you_hours", thank_you_hours),
                ] {
                    if let Some(v) = value {
                        t.put(&s, key, i64::from(v))?;
                    }
                }
                Ok(())
            })?;
            settings(tx, ws)
        })
    }

    /// Restocks a leave-behind item (adding it to the catalog if new): `qty` more on hand.
    pub fn restock(&self, item: &str, qty: u32) -> Result<StockItem> {
        let name = checked_name(item)?;
        if qty == 0 {
            return Err(Error::invalid("restock at least 1"));
        }
        self.write(|tx, ws, me| {
            let key = item_key(&name);
            let start = counter_start(ws, &key, me)?;
            change_doc_after(tx, ws, me, &ws.id, DocKind::Workspace, &[start], |t| {
                let catalog = map(t, "catalog")?;
                if t.get(&catalog, key.as_str())?.is_none() {
                    let entry = t.put_object(&catalog, key.as_str(), ObjType::Map)?;
                    t.put(&entry, "name", name.as_str())?;
                    t.put(&entry, "low_at", DEFAULT_LOW_AT)?;
                }
                bump(t, &key, me, i64::from(qty))
            })?;
            stock_item(tx, ws, &key)?.ok_or_else(|| Error::invalid("the item was not recorded"))
        })
    }

    /// Sets the stock level at or below which an item is reported low.
    pub fn set_low_stock(&self, item: &str, low_at: u32) -> Result<StockItem> {
        let key = item_key(item);
        self.write(|tx, ws, me| {
            stock_item(tx, ws, &key)?.ok_or_else(|| not_in_catalog(item))?;
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                let catalog = map(t, "catalog")?;
                let (_, entry) = t
                    .get(&catalog, key.as_str())?
                    .ok_or_else(|| not_in_catalog(item))?;
                t.put(&entry, "low_at", i64::from(low_at))?;
                Ok(())
            })?;
            stock_item(tx, ws, &key)?.ok_or_else(|| not_in_catalog(item))
        })
    }

    /// The leave-behind catalog with stock, by name.
    pub fn stock(&self) -> Result<Vec<StockItem>> {
        self.read(|c, ws| {
            let mut st = c.prepare(
                "SELECT item, name, stock, low_at FROM catalog WHERE ws = ?1 ORDER BY name COLLATE NOCASE",
            )?;
            let rows = st.query_map([ws.id.to_hex()], stock_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Sets the elevator pitch for a contact category (what I offer a pediatrician vs a school
    /// counselor). An empty text removes it.
    pub fn set_pitch(&self, category: ContactCategory, text: &str) -> Result<Option<String>> {
        let text = text.trim().to_string();
        check_len(&text, MAX_TEXT_BYTES, "pitch")?;
        self.write(|tx, ws, me| {
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                let pitches = map(t, "pitches")?;
                if text.is_empty() {
                    if t.get(&pitches, category.as_str())?.is_some() {
                        t.delete(&pitches, category.as_str())?;
                    }
                } else {
                    t.put(&pitches, category.as_str(), text.as_str())?;
                }
                Ok(())
            })?;
            pitch(tx, ws, category)
        })
    }

    /// The elevator pitch for a contact category, if one is set.
    pub fn pitch(&self, category: ContactCategory) -> Result<Option<String>> {
        self.read(|c, ws| pitch(c, ws, category))
    }

    /// Records that this member belongs to a community or professional organization.
    pub fn add_membership(
        &self,
        org: &str,
        role: &str,
        renews: Option<&str>,
    ) -> Result<Membership> {
        let role = non_empty(role, "role")?;
        let renews = renews
            .map(time::parse_day)
            .transpose()?
            .map(|d| d.to_string());
        let id = Id::random().to_hex();
        self.write(|tx, ws, me| {
            let org = resolve_org(tx, ws, org)?;
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                let ms = map(t, "memberships")?;
                let m = t.put_object(&ms, id.as_str(), ObjType::Map)?;
                t.put(&m, "org_id", org.id.as_str())?;
                t.put(&m, "member_id", ws.member_id.to_hex())?;
                t.put(&m, "role", role.as_str())?;
                if let Some(r) = &renews {
                    t.put(&m, "renews", r.as_str())?;
                }
                Ok(())
            })?;
            memberships(tx, ws)?
                .into_iter()
                .find(|m| m.id == id)
                .ok_or_else(|| Error::invalid("the membership was not recorded"))
        })
    }

    /// Memberships of everyone in the practice, by renewal date.
    pub fn memberships(&self) -> Result<Vec<Membership>> {
        self.read(memberships)
    }

    /// The practice's members as (id, name), by name.
    pub fn members(&self) -> Result<Vec<(String, String)>> {
        self.read(|c, ws| {
            let mut st =
                c.prepare("SELECT id, name FROM members WHERE ws = ?1 ORDER BY name, id")?;
            let rows = st.query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

/// Takes what was left behind out of stock, for the items in the catalog. Call inside the
/// transaction that logs the activity.
pub(crate) fn use_stock(
    tx: &crate::storage::docstore::Tx,
    ws: &Ws,
    me: &Device,
    items: &[(String, u32)],
) -> Result<()> {
    let known: Vec<(String, i64)> = items
        .iter()
        .map(|(name, qty)| (item_key(name), i64::from(*qty)))
        .filter(|(key, _)| matches!(stock_item(tx, ws, key), Ok(Some(_))))
        .collect();
    if known.is_empty() {
        return Ok(());
    }
    let starts = known
        .iter()
        .map(|(key, _)| counter_start(ws, key, me))
        .collect::<Result<Vec<_>>>()?;
    change_doc_after(tx, ws, me, &ws.id, DocKind::Workspace, &starts, |t| {
        for (key, qty) in &known {
            bump(t, key, me, -qty)?;
        }
        Ok(())
    })
}

/// The change that starts this device's counter for an item, the same wherever it is made
/// ([`documents::counter_start`]).
fn counter_start(ws: &Ws, key: &str, me: &Device) -> Result<automerge::Change> {
    Ok(documents::counter_start(
        &ws.id,
        DocKind::Workspace,
        "stock",
        &format!("{key}/{}", me.id),
    )?)
}

/// Adds `delta` to this device's counter for an item.
fn bump(
    t: &mut automerge::transaction::Transaction<'_>,
    key: &str,
    me: &Device,
    delta: i64,
) -> Result<()> {
    let stock = map(t, "stock")?;
    let counter = format!("{key}/{}", me.id);
    if t.get(&stock, counter.as_str())?.is_some() {
        t.increment(&stock, counter.as_str(), delta)?;
    } else {
        t.put(&stock, counter.as_str(), ScalarValue::counter(delta))?;
    }
    Ok(())
}

fn map(t: &mut automerge::transaction::Transaction<'_>, key: &str) -> Result<ObjId> {
    Ok(match t.get(ROOT, key)? {
        Some((_, o)) => o,
        None => t.put_object(ROOT, key, ObjType::Map)?,
    })
}

/// The catalog key of an item name: trimmed, lowercase, no `/`.
pub(crate) fn item_key(name: &str) -> String {
    name.trim().to_lowercase().replace('/', "-")
}

fn not_in_catalog(item: &str) -> Error {
    Error::NotFound {
        what: "leave-behind item",
        query: item.into(),
        candidates: vec![],
    }
}

pub(crate) fn settings(c: &Connection, ws: &Ws) -> Result<Settings> {
    let mut s = Settings::default();
    let mut st = c.prepare_cached("SELECT key, value FROM settings WHERE ws = ?1")?;
    let rows = st.query_map([ws.id.to_hex()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (key, value) = row?;
        let v = u32::try_from(value).unwrap_or(0);
        match key.as_str() {
            "minutes_per_week" => s.minutes_per_week = v,
            "new_connections_per_month" => s.new_connections_per_month = v,
            "thank_you_hours" => s.thank_you_hours = v,
            _ => {}
        }
    }
    Ok(s)
}

fn stock_row(r: &rusqlite::Row) -> rusqlite::Result<StockItem> {
    let stock: i64 = r.get(2)?;
    let low_at: i64 = r.get(3)?;
    Ok(StockItem {
        item: r.get(0)?,
        name: r.get(1)?,
        stock,
        low_at,
        low: stock <= low_at,
    })
}

fn stock_item(c: &Connection, ws: &Ws, key: &str) -> Result<Option<StockItem>> {
    Ok(c.query_row(
        "SELECT item, name, stock, low_at FROM catalog WHERE ws = ?1 AND item = ?2",
        params![ws.id.to_hex(), key],
        stock_row,
    )
    .optional()?)
}

pub(crate) fn pitch(c: &Connection, ws: &Ws, category: ContactCategory) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT text FROM pitches WHERE ws = ?1 AND category = ?2",
        params![ws.id.to_hex(), category.as_str()],
        |r| r.get(0),
    )
    .optional()?)
}

fn memberships(c: &Connection, ws: &Ws) -> Result<Vec<Membership>> {
    let mut st = c.prepare(
        "SELECT ms.id, ms.org_id, coalesce(o.name, 'an organization not synced yet'),
                coalesce(m.name, 'a member not synced yet'), ms.role, ms.renews
         FROM memberships ms
         LEFT JOIN orgs o ON o.ws = ms.ws AND o.id = ms.org_id
         LEFT JOIN members m ON m.ws = ms.ws AND m.id = ms.member_id
         WHERE ms.ws = ?1 ORDER BY ms.renews IS NULL, ms.renews, o.name",
    )?;
    let rows = st.query_map([ws.id.to_hex()], |r| {
        Ok(Membership {
            id: r.get(0)?,
            organization_id: r.get(1)?,
            organization: r.get(2)?,
            member: r.get(3)?,
            role: r.get(4)?,
            renews: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
