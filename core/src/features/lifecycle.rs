//! A relationship over time: stages, stay-in-touch cadence and the "losing touch" list,
//! locations and "nearby" for planning a round of drop-bys, archive and delete.
//!
//! The delete rule: deleting sets `deleted: true` in the document and nothing ever clears it,
//! so a concurrent edit on another device cannot bring a deleted contact back (no
//! resurrection); its history (activities, referrals) keeps its id. Archive is an ordinary flag
//! that hides the thing from lists and can be undone; the last writer wins.

use automerge::transaction::Transactable;
use automerge::ROOT;
use rusqlite::{params, Connection};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::{check_cadence, check_location};
use crate::documents::DocKind;
use crate::model::{Contact, LosingTouch, Nearby, Organization, Stage};
use crate::read::resolve::{resolve_contact, resolve_org};
use crate::read::rows::{contact_by_id, contact_row, org_by_id, CONTACT_SELECT};
use crate::storage::workspace::{Device, Ws};
use crate::store::{change_doc, Store};

const DAY_MS: i64 = 24 * 3600 * 1000;
const EARTH_RADIUS_KM: f64 = 6371.0;

impl Store {
    /// Moves a contact to a stage by hand.
    pub fn set_stage(&self, contact: &str, stage: Stage) -> Result<Contact> {
        self.edit_contact(contact, |t| {
            t.put(ROOT, "stage", stage.as_str())?;
            Ok(())
        })
    }

    /// Sets how often to be in touch with a contact, in days.
    pub fn set_cadence(&self, contact: &str, days: u32) -> Result<Contact> {
        check_cadence(days)?;
        self.edit_contact(contact, |t| {
            t.put(ROOT, "cadence_days", i64::from(days))?;
            Ok(())
        })
    }

    /// Archives (hides) or unarchives a contact.
    pub fn archive_contact(&self, contact: &str, archived: bool) -> Result<Contact> {
        self.edit_contact(contact, |t| {
            t.put(ROOT, "archived", archived)?;
            Ok(())
        })
    }

    /// Deletes a contact for good, on every device (see the module docs for the rule).
    pub fn delete_contact(&self, contact: &str) -> Result<Contact> {
        self.write(|tx, ws, me| {
            let c = find_contact(tx, ws, contact)?;
            change_doc(tx, ws, me, &doc_id(&c.id)?, DocKind::Contact, |t| {
                t.put(ROOT, "deleted", true)?;
                Ok(())
            })?;
            Ok(c)
        })
    }

    /// Archives (hides) or unarchives an organization.
    pub fn archive_org(&self, org: &str, archived: bool) -> Result<Organization> {
        self.edit_org(org, |t| {
            t.put(ROOT, "archived", archived)?;
            Ok(())
        })
    }

    /// Deletes an organization for good, on every device.
    pub fn delete_org(&self, org: &str) -> Result<Organization> {
        self.write(|tx, ws, me| {
            let o = find_org(tx, ws, org)?;
            change_doc(tx, ws, me, &doc_id(&o.id)?, DocKind::Organization, |t| {
                t.put(ROOT, "deleted", true)?;
                Ok(())
            })?;
            Ok(o)
        })
    }

    /// Sets an organization's location (degrees).
    pub fn set_org_location(&self, org: &str, lat: f64, lon: f64) -> Result<Organization> {
        check_location(lat, lon)?;
        self.edit_org(org, |t| {
            t.put(ROOT, "lat", lat)?;
            t.put(ROOT, "lon", lon)?;
            Ok(())
        })
    }

    /// Contacts past their cadence, furthest past first (dormant and archived ones left out).
    /// Any logged activity with a contact resets its clock.
    pub fn losing_touch(&self) -> Result<Vec<LosingTouch>> {
        let now = time::now_ms();
        self.read(|c, ws| {
            let mut st = c.prepare(&format!(
                "{CONTACT_SELECT} WHERE c.ws = ?1 AND c.archived = 0 AND c.stage != 'dormant'"
            ))?;
            let contacts: Vec<Contact> = st
                .query_map([ws.id.to_hex()], contact_row)?
                .collect::<rusqlite::Result<_>>()?;
            let mut out: Vec<LosingTouch> = contacts
                .into_iter()
                .map(|contact| {
                    let days = days_since_touch(&contact, now);
                    LosingTouch {
                        days_overdue: days - i64::from(contact.cadence_days),
                        days_since_touch: days,
                        contact,
                    }
                })
                .filter(|l| l.days_overdue > 0)
                .collect();
            out.sort_by(|a, b| {
                b.days_overdue
                    .cmp(&a.days_overdue)
                    .then_with(|| a.contact.name.cmp(&b.contact.name))
            });
            Ok(out)
        })
    }

    /// Organizations with a location within `within_km` of a point, nearest first, with the
    /// days since the last visit there.
    pub fn nearby(&self, lat: f64, lon: f64, within_km: f64) -> Result<Vec<Nearby>> {
        check_location(lat, lon)?;
        if within_km.is_nan() || within_km <= 0.0 {
            return Err(Error::invalid("the distance must be more than 0 km"));
        }
        let now = time::now_ms();
        let orgs = self.organizations()?;
        self.read(|c, ws| {
            let mut out = Vec::new();
            for org in orgs {
                let (Some(olat), Some(olon)) = (org.lat, org.lon) else {
                    continue;
                };
                let distance_km = haversine_km(lat, lon, olat, olon);
                if distance_km > within_km {
                    continue;
                }
                let last: Option<i64> = c.query_row(
                    "SELECT max(at_ms) FROM activities WHERE ws = ?1 AND org_id = ?2",
                    params![ws.id.to_hex(), org.id],
                    |r| r.get(0),
                )?;
                out.push(Nearby {
                    organization: org,
                    distance_km: (distance_km * 100.0).round() / 100.0,
                    days_since_visit: last.map(|ms| (now - ms).max(0) / DAY_MS),
                });
            }
            out.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
            Ok(out)
        })
    }

    fn edit_contact(
        &self,
        query: &str,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<()>,
    ) -> Result<Contact> {
        self.write(|tx, ws, me| {
            let c = find_contact(tx, ws, query)?;
            change_doc(tx, ws, me, &doc_id(&c.id)?, DocKind::Contact, f)?;
            contact_by_id(tx, ws, &c.id)
        })
    }

    fn edit_org(
        &self,
        query: &str,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<()>,
    ) -> Result<Organization> {
        self.write(|tx, ws, me| {
            let o = find_org(tx, ws, query)?;
            change_doc(tx, ws, me, &doc_id(&o.id)?, DocKind::Organization, f)?;
            org_by_id(tx, ws, &o.id)
        })
    }
}

/// Moves a contact to `referring` if it is at an earlier stage (a first referral from them).
pub(crate) fn promote_to_referring(
    tx: &crate::storage::docstore::Tx,
    ws: &Ws,
    me: &Device,
    contact: &Contact,
) -> Result<()> {
    if contact.stage.before_referring() {
        change_doc(tx, ws, me, &doc_id(&contact.id)?, DocKind::Contact, |t| {
            t.put(ROOT, "stage", Stage::Referring.as_str())?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Days since the contact's last touch, or since it was added when never touched.
pub(crate) fn days_since_touch(c: &Contact, now: i64) -> i64 {
    let since = c
        .last_touch_at
        .as_deref()
        .or(Some(c.created_at.as_str()))
        .and_then(|t| time::parse_rfc3339(t).ok())
        .unwrap_or(now);
    (now - since).max(0) / DAY_MS
}

// Archived contacts and organizations can still be named (to unarchive or delete them).
fn find_contact(c: &Connection, ws: &Ws, q: &str) -> Result<Contact> {
    resolve_contact(c, ws, q)
}

fn find_org(c: &Connection, ws: &Ws, q: &str) -> Result<Organization> {
    resolve_org(c, ws, q)
}

fn doc_id(id: &str) -> Result<Id> {
    id.parse()
        .map_err(|_| Error::invalid("a record in this store has a damaged id"))
}

/// Great-circle distance in kilometres.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::haversine_km;

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Portland, OR to Seattle, WA: about 233 km.
        let d = haversine_km(45.5152, -122.6784, 47.6062, -122.3321);
        assert!((d - 233.0).abs() < 3.0, "{d}");
        assert!(haversine_km(1.0, 1.0, 1.0, 1.0) < 1e-9);
    }
}
