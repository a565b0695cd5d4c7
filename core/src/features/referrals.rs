//! Referrals, with no client identity: that a source referred someone to the practice, or that
//! the practice referred someone to them, the day, a reason category, a status and a channel.
//! There is no field for who the client is, and the note carries the privacy hint.
//!
//! Referrals live in a practice ledger document per month. Recording the first referral
//! received from a contact moves the contact to the `referring` stage.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use rusqlite::{params, Connection, Row};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::{checked_name, optional_text};
use crate::documents::DocKind;
use crate::model::{
    Contact, NewReferral, Organization, Referral, ReferralChannel, ReferralDirection,
    ReferralStatus,
};
use crate::read::resolve::{resolve_contact, resolve_org};
use crate::storage::workspace::Ws;
use crate::store::{change_doc, Store};

use super::lifecycle::promote_to_referring;

/// A referral's partner: a contact (with its organization) or an organization.
enum Partner {
    Contact(Contact),
    Org(Organization),
}

impl Store {
    /// Records a referral received from, or sent to, a contact or organization.
    pub fn add_referral(&self, new: &NewReferral) -> Result<Referral> {
        self.add_referral_as(new, Id::random().to_hex())
    }

    /// [`Store::add_referral`] under a given id: recorded twice (by two devices that derive
    /// the same id), it is one referral.
    pub(crate) fn add_referral_as(&self, new: &NewReferral, id: String) -> Result<Referral> {
        let reason = checked_name(&new.reason)?;
        let note = optional_text(new.note.as_deref(), "note")?;
        let day = match &new.on {
            Some(d) => time::parse_day(d)?,
            None => time::day_of(time::now_ms()),
        };
        let day_s = day.to_string();
        let month = day_s[..7].to_string();
        self.write(|tx, ws, me| {
            let partner = resolve_partner(tx, ws, &new.partner)?;
            let (contact_id, org_id) = match &partner {
                Partner::Contact(c) => (Some(c.id.clone()), c.organization_id.clone()),
                Partner::Org(o) => (None, Some(o.id.clone())),
            };
            let reason_key = reason.to_lowercase();
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                let reasons = match t.get(ROOT, "reasons")? {
                    Some((_, o)) => o,
                    None => t.put_object(ROOT, "reasons", ObjType::Map)?,
                };
                if t.get(&reasons, reason_key.as_str())?.is_none() {
                    t.put(&reasons, reason_key.as_str(), reason.as_str())?;
                }
                Ok(())
            })?;
            let ledger = ws.keys.doc_ids(&ws.id).ledger(&month);
            change_doc(tx, ws, me, &ledger, DocKind::Ledger, |t| {
                let map = match t.get(ROOT, "referrals")? {
                    Some((_, o)) => o,
                    None => t.put_object(ROOT, "referrals", ObjType::Map)?,
                };
                let r = t.put_object(&map, id.as_str(), ObjType::Map)?;
                t.put(&r, "direction", new.direction.as_str())?;
                t.put(&r, "day", day_s.as_str())?;
                for (key, value) in [
                    ("contact_id", &contact_id),
                    ("org_id", &org_id),
                    ("note", &note),
                ] {
                    if let Some(v) = value {
                        t.put(&r, key, v.as_str())?;
                    }
                }
                t.put(&r, "reason", reason.as_str())?;
                let status = new.status.unwrap_or(ReferralStatus::Inquiry);
                t.put(&r, "status", status.as_str())?;
                let channel = new.channel.unwrap_or(ReferralChannel::Other);
                t.put(&r, "channel", channel.as_str())?;
                t.put(&r, "recorded_by", ws.member_id.to_hex())?;
                Ok(())
            })?;
            if let (ReferralDirection::Received, Partner::Contact(c)) = (new.direction, &partner) {
                promote_to_referring(tx, ws, me, c)?;
            }
            referral_by_id(tx, ws, &id)
        })
    }

    /// Referrals recorded between two days (inclusive; `YYYY-MM-DD`), newest first.
    pub fn referrals(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<Referral>> {
        let from = from
            .map(time::parse_day)
            .transpose()?
            .map(|d| d.to_string());
        let to = to.map(time::parse_day).transpose()?.map(|d| d.to_string());
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{SELECT} WHERE r.ws = ?1 AND r.day >= ?2 AND r.day <= ?3 ORDER BY r.day DESC, r.id"
            ))?;
            let rows = st.query_map(
                params![
                    ws.id.to_hex(),
                    from.unwrap_or_else(|| "0000-01-01".into()),
                    to.unwrap_or_else(|| "9999-12-31".into())
                ],
                row,
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The workspace's referral reason categories, as first written.
    pub fn referral_reasons(&self) -> Result<Vec<String>> {
        self.read(|c, ws| {
            let mut st = c.prepare("SELECT name FROM reasons WHERE ws = ?1 ORDER BY key")?;
            let rows = st.query_map([ws.id.to_hex()], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

/// A contact first; an organization when no contact matches.
fn resolve_partner(c: &Connection, ws: &Ws, q: &str) -> Result<Partner> {
    match resolve_contact(c, ws, q) {
        Ok(contact) => Ok(Partner::Contact(contact)),
        Err(Error::NotFound {
            candidates: near_contacts,
            ..
        }) => match resolve_org(c, ws, q) {
            Ok(org) => Ok(Partner::Org(org)),
            Err(Error::NotFound {
                candidates: near_orgs,
                ..
            }) => Err(Error::NotFound {
                what: "contact or organization",
                query: q.into(),
                candidates: near_contacts.into_iter().chain(near_orgs).collect(),
            }),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

const SELECT: &str = "SELECT r.id, r.direction, r.day, r.contact_id, c.name, r.org_id, o.name,
    r.reason, r.status, r.channel, r.note, coalesce(m.name, 'a member not synced yet')
  FROM referrals r
  LEFT JOIN contacts c ON c.ws = r.ws AND c.id = r.contact_id
  LEFT JOIN orgs o ON o.ws = r.ws AND o.id = r.org_id
  LEFT JOIN members m ON m.ws = r.ws AND m.id = r.recorded_by";

fn row(r: &Row) -> rusqlite::Result<Referral> {
    Ok(Referral {
        id: r.get(0)?,
        direction: ReferralDirection::parse(&r.get::<_, String>(1)?)
            .unwrap_or(ReferralDirection::Received),
        day: r.get(2)?,
        contact_id: r.get(3)?,
        contact: r.get(4)?,
        organization_id: r.get(5)?,
        organization: r.get(6)?,
        reason: r.get(7)?,
        status: ReferralStatus::parse(&r.get::<_, String>(8)?).unwrap_or(ReferralStatus::Inquiry),
        channel: ReferralChannel::parse(&r.get::<_, String>(9)?).unwrap_or(ReferralChannel::Other),
        note: r.get(10)?,
        recorded_by: r.get(11)?,
    })
}

fn referral_by_id(c: &Connection, ws: &Ws, id: &str) -> Result<Referral> {
    Ok(c.query_row(
        &format!("{SELECT} WHERE r.ws = ?1 AND r.id = ?2"),
        params![ws.id.to_hex(), id],
        row,
    )?)
}
