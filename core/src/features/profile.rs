//! Profile cards: each member keeps her own card in the practice's workspace document
//! (the card's JSON under the root key `card:<member id>`), colleagues read it from the index,
//! and it goes out as a vCard 4.0 to hand over at a drop-by.
//!
//! A card is written whole (the last write of her devices wins) and only by its member: a
//! change that writes another member's `card:` key is set aside as `wrong_author`
//! (`crate::sync::verify`).

use automerge::transaction::Transactable;
use automerge::ROOT;
use calcard::vcard::{VCard, VCardEntry, VCardProperty, VCardValue, VCardVersion};
use rusqlite::{params, Connection, OptionalExtension};

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::check_len;
use crate::documents::DocKind;
use crate::model::{
    parse_state, parse_zip3, Card, CardUpdate, Openings, Profile, OPENINGS_FRESH_DAYS,
};
use crate::read::members::MemberLookup;
use crate::storage::workspace::Ws;
use crate::store::{change_doc, Store};

/// The longest pitch, in bytes: a few sentences said in a corridor.
pub const MAX_PITCH_BYTES: usize = 600;

impl Store {
    /// Changes this member's card: each field given replaces hers, the others stay. Setting
    /// the openings confirms them as of now. Nothing is stored when any field is refused.
    pub fn set_profile(&self, update: &CardUpdate) -> Result<Profile> {
        if let Some(Openings::Waitlist { weeks }) = update.openings {
            if !(1..=104).contains(&weeks) {
                return Err(Error::invalid("a waitlist is 1 to 104 weeks"));
            }
        }
        if let Some(Some(f)) = update.self_pay {
            if f.min > f.max || f.max > 10_000 {
                return Err(Error::invalid(
                    "a self-pay range goes from its lowest fee to its highest, at most 10000",
                ));
            }
        }
        let telehealth = update
            .telehealth
            .as_ref()
            .map(|states| {
                states
                    .iter()
                    .map(|s| parse_state(s))
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        let zip3 = match &update.zip3 {
            Some(Some(z)) => Some(Some(parse_zip3(z)?)),
            other => other.clone(),
        };
        let pitch = match &update.pitch {
            Some(Some(p)) => {
                let p = p.trim().to_string();
                check_len(&p, MAX_PITCH_BYTES, "pitch")?;
                Some((!p.is_empty()).then_some(p))
            }
            other => other.clone(),
        };
        self.write(|tx, ws, me| {
            let mut card = card_of(tx, ws, &ws.member_id.to_hex())?.unwrap_or_default();
            apply(
                &mut card,
                update,
                telehealth.clone(),
                zip3.clone(),
                pitch.clone(),
            );
            let json = serde_json::to_string(&card).expect("a card always serializes");
            let member = ws.member_id.to_hex();
            let key = crate::documents::card_key(&member);
            change_doc(tx, ws, me, &ws.id, DocKind::Workspace, |t| {
                t.put(ROOT, key.as_str(), json.as_str())?;
                Ok(())
            })?;
            profile(tx, ws, &member)?
                .ok_or_else(|| Error::invalid("the card was not kept; try again"))
        })
    }

    /// The card of `member` (a name or id prefix), or this member's own with `None`. A member
    /// who has not written one has an empty card.
    pub fn profile(&self, member: Option<&str>) -> Result<Profile> {
        self.read(|c, ws| {
            let id = match member {
                Some(q) => MemberLookup::load(c, ws)?.resolve_member(q)?,
                None => ws.member_id.to_hex(),
            };
            match profile(c, ws, &id)? {
                Some(p) => Ok(p),
                None => Ok(empty_profile(c, ws, &id)?),
            }
        })
    }

    /// Every card the practice's members wrote, by name.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        self.read(|c, ws| {
            let ids: Vec<String> = {
                let mut st = c.prepare("SELECT member_id FROM cards WHERE ws = ?1")?;
                let rows = st.query_map([ws.id.to_hex()], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut all = Vec::new();
            for id in ids {
                all.extend(profile(c, ws, &id)?);
            }
            all.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(all)
        })
    }

    /// The card of `member` (or this member's) as a vCard 4.0: her name, credentials, pitch,
    /// languages, and the rest as `X-TRELLIS-*` properties, to hand a referral source.
    pub fn profile_vcard(&self, member: Option<&str>) -> Result<String> {
        Ok(vcard(&self.profile(member)?))
    }
}

fn apply(
    card: &mut Card,
    u: &CardUpdate,
    telehealth: Option<Vec<String>>,
    zip3: Option<Option<String>>,
    pitch: Option<Option<String>>,
) {
    fn set<T: Clone + Ord>(to: &mut Vec<T>, from: &Option<Vec<T>>) {
        if let Some(v) = from {
            let mut v = v.clone();
            v.sort();
            v.dedup();
            *to = v;
        }
    }
    set(&mut card.specialties, &u.specialties);
    set(&mut card.populations, &u.populations);
    set(&mut card.age_bands, &u.age_bands);
    set(&mut card.modalities, &u.modalities);
    set(&mut card.panels, &u.panels);
    set(&mut card.languages, &u.languages);
    set(&mut card.credentials, &u.credentials);
    set(&mut card.telehealth, &telehealth);
    if let Some(fee) = u.self_pay {
        card.self_pay = fee;
    }
    if let Some(z) = zip3 {
        card.zip3 = z;
    }
    if let Some(p) = pitch {
        card.pitch = p;
    }
    if let Some(o) = u.openings {
        card.openings = Some(o);
        card.openings_confirmed_at = Some(time::now_rfc3339());
    }
}

/// The card indexed for `member`, if she wrote one.
fn card_of(c: &Connection, ws: &Ws, member: &str) -> Result<Option<Card>> {
    let json: Option<String> = c
        .prepare_cached("SELECT card FROM cards WHERE ws = ?1 AND member_id = ?2")?
        .query_row(params![ws.id.to_hex(), member], |r| r.get(0))
        .optional()?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

fn profile(c: &Connection, ws: &Ws, member: &str) -> Result<Option<Profile>> {
    let Some(card) = card_of(c, ws, member)? else {
        return Ok(None);
    };
    let mut p = empty_profile(c, ws, member)?;
    p.openings_stale = stale(card.openings_confirmed_at.as_deref());
    p.card = card;
    Ok(Some(p))
}

fn empty_profile(c: &Connection, ws: &Ws, member: &str) -> Result<Profile> {
    let name = MemberLookup::load(c, ws)?
        .name_of(member)
        .unwrap_or_else(|| "a member not synced yet".into());
    Ok(Profile {
        member_id: member.to_string(),
        name,
        mine: member == ws.member_id.to_hex(),
        card: Card::default(),
        openings_stale: true,
    })
}

/// Whether openings confirmed at `at` (RFC 3339) are more than [`OPENINGS_FRESH_DAYS`] old.
fn stale(at: Option<&str>) -> bool {
    let Some(at) = at.and_then(|a| a.parse::<jiff::Timestamp>().ok()) else {
        return true;
    };
    let age = jiff::Timestamp::now().as_second() - at.as_second();
    age > OPENINGS_FRESH_DAYS * 24 * 3600
}

fn vcard(p: &Profile) -> String {
    let text = |prop: VCardProperty, v: &str| VCardEntry::new(prop).with_value(v.to_string());
    let x =
        |name: &str, v: String| VCardEntry::new(VCardProperty::Other(name.into())).with_value(v);
    let c = &p.card;
    let mut e = vec![
        text(VCardProperty::Fn, &p.name),
        VCardEntry::new(VCardProperty::N).with_values(vec![
            VCardValue::Text(String::new()),
            VCardValue::Text(p.name.clone()),
        ]),
    ];
    if !c.credentials.is_empty() {
        let creds: Vec<String> = c
            .credentials
            .iter()
            .map(|v| v.as_str().to_ascii_uppercase())
            .collect();
        e.push(text(VCardProperty::Title, &creds.join(", ")));
    }
    if let Some(pitch) = &c.pitch {
        e.push(text(VCardProperty::Note, pitch));
    }
    for l in &c.languages {
        e.push(text(VCardProperty::Lang, l.as_str()));
    }
    let mut add = |name: &str, items: Vec<&str>| {
        if !items.is_empty() {
            e.push(
                VCardEntry::new(VCardProperty::Other(name.into())).with_values(
                    items
                        .into_iter()
                        .map(|i| VCardValue::Text(i.to_string()))
                        .collect(),
                ),
            );
        }
    };
    add(
        "X-TRELLIS-SPECIALTIES",
        c.specialties.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "X-TRELLIS-POPULATIONS",
        c.populations.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "X-TRELLIS-AGE-BANDS",
        c.age_bands.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "X-TRELLIS-MODALITIES",
        c.modalities.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "X-TRELLIS-PANELS",
        c.panels.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "X-TRELLIS-TELEHEALTH",
        c.telehealth.iter().map(String::as_str).collect(),
    );
    if let Some(z) = &c.zip3 {
        e.push(x("X-TRELLIS-ZIP3", z.clone()));
    }
    if let Some(f) = c.self_pay {
        e.push(x("X-TRELLIS-SELF-PAY", format!("{}-{}", f.min, f.max)));
    }
    if let Some(o) = c.openings {
        e.push(x("X-TRELLIS-OPENINGS", o.as_text()));
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = VCard { entries: e }.write_to(&mut out, VCardVersion::V4_0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_older_than_thirty_days_need_confirming() {
        let now = jiff::Timestamp::now();
        let days = |d: i64| (now - jiff::SignedDuration::from_hours(24 * d)).to_string();
        assert!(!stale(Some(&days(29))));
        assert!(stale(Some(&days(31))));
        assert!(stale(None));
        assert!(stale(Some("not a date")));
    }
}
