//! The regional referral exchange, on a store that acts on regions
//! ([`crate::Scope::Region`]): posting a need (one document each, its author the member whose
//! device signs it), listing the region's needs ranked against this member's own profile card
//! (the card of her current practice, on this device: nothing about the match leaves it).
//!
//! A need's free text is checked on the device before anything is written
//! ([`crate::model::check_need`]): a refusal stores nothing.

use automerge::transaction::Transactable;
use automerge::{ReadDoc, ROOT};
use rusqlite::{params, Connection, OptionalExtension};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::documents::DocKind;
use crate::model::{
    check_need, check_text, fit, Card, ContactCategory, Fit, FollowUpKind, Need, NewContact,
    NewFollowUp, NewPost, NewReferral, Outcome, Post, PostFilter, ReferralDirection,
    ReferralStatus, Reply, ReplyInput, DEFAULT_POST_DAYS, MAX_POST_DAYS, PART2_NOTICE,
};
use crate::read::members::MemberLookup;
use crate::storage::workspace::{device, device_keys, get_meta, Scope, Ws};
use crate::store::{change_doc, Store};

impl Store {
    /// Posts a need to the current region, open for `expires_days` (7 by default, at most 30).
    /// Its text is refused, and nothing stored, when it names a contact or an organization
    /// this device knows (in any practice), or holds a date, a phone number, an email address
    /// or an identifying word; a substance-use need holds no text at all.
    pub fn post_need(&self, post: &NewPost) -> Result<Post> {
        self.in_region()?;
        let days = post.expires_days.unwrap_or(DEFAULT_POST_DAYS);
        if !(1..=MAX_POST_DAYS).contains(&days) {
            return Err(Error::invalid(format!(
                "a post stays open 1 to {MAX_POST_DAYS} days"
            )));
        }
        let mut need = post.need.clone();
        need.text = need
            .text
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        need.specialties.sort();
        need.specialties.dedup();
        need.modalities.sort();
        need.modalities.dedup();
        check_need(&need, &known_names(&self.lock())?)?;
        let json = serde_json::to_string(&need).expect("a need always serializes");
        let created = time::now_ms();
        let expires = created + i64::from(days) * 24 * 3600 * 1000;
        let id = Id::random();
        self.write(|tx, ws, me| {
            let author = ws.member_id.to_hex();
            change_doc(tx, ws, me, &id, DocKind::Post, |t| {
                t.put(ROOT, "author", author.as_str())?;
                t.put(ROOT, "need", json.as_str())?;
                t.put(ROOT, "created_ms", created)?;
                t.put(ROOT, "expires_ms", expires)?;
                t.put(ROOT, "status", "open")?;
                Ok(())
            })?;
            post_by_id(tx, ws, &own_card(tx)?, &id.to_hex())
        })
    }

    /// The current region's posts: open ones first, those that fit this member's card first
    /// among them, best fit first, then newest. `fits_me` keeps the open posts that fit;
    /// `mine` keeps this member's own.
    pub fn posts(&self, filter: PostFilter) -> Result<Vec<Post>> {
        self.in_region()?;
        self.read(|c, ws| {
            let card = own_card(c)?;
            Ok(posts(c, ws, &card)?
                .into_iter()
                .filter(|p| !filter.mine || p.mine)
                .filter(|p| !filter.fits_me || (p.fits && p.status == "open"))
                .collect())
        })
    }

    /// The post whose id starts with `query`.
    pub fn post(&self, query: &str) -> Result<Post> {
        let q = query.trim().to_lowercase();
        let all = self.posts(PostFilter::default())?;
        let hits: Vec<&Post> = all
            .iter()
            .filter(|p| !q.is_empty() && p.id.starts_with(&q))
            .collect();
        match hits.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::NotFound {
                what: "post",
                query: query.into(),
                candidates: Vec::new(),
            }),
            many => Err(Error::Ambiguous {
                what: "post",
                query: query.into(),
                candidates: many.iter().map(|p| p.id[..8].to_string()).collect(),
            }),
        }
    }

    /// Replies to an open post of a colleague: yes, waitlist (within `weeks`) or no, with a
    /// short note (checked as a post's text is), and this member's card from her current
    /// practice, all sealed to each device of the post's author as the region's verified
    /// roster names them: the relay and the other members see only that she replied. A second
    /// reply replaces the first.
    pub fn reply(&self, query: &str, input: &ReplyInput) -> Result<Post> {
        let post = self.post(query)?;
        if post.mine {
            return Err(Error::invalid("this is your own post"));
        }
        if post.status != "open" {
            return Err(Error::invalid(format!(
                "this post is {}; only an open post takes replies",
                post.status
            )));
        }
        let weeks = match (input.fit, input.weeks) {
            (Fit::Waitlist, Some(w)) if (1..=104).contains(&w) => Some(w),
            (Fit::Waitlist, _) => {
                return Err(Error::invalid(
                    "say within how many weeks (1 to 104) a waitlist would reach them",
                ))
            }
            (Fit::Yes, Some(w)) if (1..=104).contains(&w) => Some(w),
            (Fit::Yes, None) => None,
            (Fit::Yes, Some(_)) => return Err(Error::invalid("weeks go from 1 to 104")),
            (Fit::No, _) => None,
        };
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let (card, name) = {
            let conn = self.lock();
            if let Some(n) = &note {
                check_text(n, &known_names(&conn)?)?;
            }
            (own_card(&conn)?, device(&conn)?.name)
        };
        let ws = crate::storage::workspace::current_ws(&self.lock(), self.scope)?;
        let post_id: Id = post
            .id
            .parse()
            .map_err(|_| Error::invalid("a post id in this store is damaged"))?;
        let author: Id = post
            .author_id
            .parse()
            .map_err(|_| Error::invalid("a member id in this store is damaged"))?;
        let content = serde_json::to_vec(&serde_json::json!({
            "fit": input.fit,
            "weeks": weeks,
            "note": note,
            "name": name,
            "card": card,
        }))
        .expect("a reply always serializes");
        let roster = self.held_roster(&ws.id)?;
        let mut sealed = serde_json::Map::new();
        for (id, d) in roster.active_devices().filter(|(_, d)| d.member == author) {
            let b64 = crate::crypto::seal_reply_for(&d.box_key, &ws.id, &post_id, &content)?;
            sealed.insert(id.to_hex(), serde_json::Value::String(b64));
        }
        if sealed.is_empty() {
            return Err(Error::Conflict(
                "the post's author has no device in the region any more".into(),
            ));
        }
        let sealed = serde_json::Value::Object(sealed).to_string();
        self.write(|tx, ws, me| {
            let member = ws.member_id.to_hex();
            change_doc(tx, ws, me, &post_id, DocKind::Post, |t| {
                let replies = match t.get(ROOT, "replies")? {
                    Some((_, o)) => o,
                    None => t.put_object(ROOT, "replies", automerge::ObjType::Map)?,
                };
                let entry = match t.get(&replies, member.as_str())? {
                    Some((_, o)) => o,
                    None => t.put_object(&replies, member.as_str(), automerge::ObjType::Map)?,
                };
                t.put(&entry, "author", member.as_str())?;
                t.put(&entry, "at_ms", time::now_ms())?;
                t.put(&entry, "sealed", sealed.as_str())?;
                Ok(())
            })?;
            post_by_id(tx, ws, &own_card(tx)?, &post.id)
        })
    }

    /// The replies to one of this member's posts, opened with this device's key: yes first,
    /// then waitlists, then the rest, each with the responder's card.
    pub fn replies(&self, query: &str) -> Result<Vec<Reply>> {
        let post = self.post(query)?;
        if !post.mine {
            return Err(Error::invalid(
                "replies are sealed to the devices of the post's author; this is a colleague's post",
            ));
        }
        let conn = self.lock();
        let ws = crate::storage::workspace::current_ws(&conn, self.scope)?;
        let me = device(&conn)?.id;
        let keys = device_keys(&conn)?;
        let post_id: Id = post
            .id
            .parse()
            .map_err(|_| Error::invalid("a post id in this store is damaged"))?;
        let doc = automerge::Automerge::load(&crate::storage::docstore::stored_bytes(
            &conn,
            &ws.id.to_hex(),
            &post.id,
        )?)?;
        let read: crate::documents::PostDoc = crate::documents::read(&doc);
        let names = MemberLookup::load(&conn, &ws)?;
        let mut out = Vec::new();
        for (member, r) in &read.replies {
            if r.author != *member {
                continue;
            }
            let Some(b64) = serde_json::from_str::<serde_json::Value>(&r.sealed)
                .ok()
                .and_then(|v| v.get(&me).and_then(|s| s.as_str()).map(str::to_string))
            else {
                continue;
            };
            let Ok(plain) = keys.unseal_reply(&b64, &ws.id, &post_id) else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&plain) else {
                continue;
            };
            let Ok(fit) = serde_json::from_value::<Fit>(v["fit"].clone()) else {
                continue;
            };
            out.push(Reply {
                member_id: member.clone(),
                member: names
                    .name_of(member)
                    .or_else(|| v["name"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "a member not synced yet".into()),
                fit,
                weeks: v["weeks"].as_u64().and_then(|w| u32::try_from(w).ok()),
                note: v["note"].as_str().map(str::to_string),
                card: serde_json::from_value(v["card"].clone()).unwrap_or_default(),
                at: time::format_ms(r.at_ms),
            });
        }
        out.sort_by(|a, b| a.fit.cmp(&b.fit).then(a.at.cmp(&b.at)));
        Ok(out)
    }

    /// Closes one of this member's posts: connected (with the member, by name or id prefix,
    /// the client was connected with), not placed, or withdrawn. Responders see the outcome;
    /// [`Store::record_exchange`] then counts a connection in both practices.
    pub fn close_post(&self, query: &str, outcome: Outcome, with: Option<&str>) -> Result<Post> {
        let post = self.post(query)?;
        if !post.mine {
            return Err(Error::invalid("only the author of a post closes it"));
        }
        if !matches!(post.status.as_str(), "open" | "expired") {
            return Err(Error::invalid(format!(
                "this post is {} already",
                post.status
            )));
        }
        let post_id: Id = post
            .id
            .parse()
            .map_err(|_| Error::invalid("a post id in this store is damaged"))?;
        self.write(|tx, ws, me| {
            let with_id = match (outcome, with) {
                (Outcome::Connected, Some(q)) => {
                    let id = MemberLookup::load(tx, ws)?.resolve_member(q)?;
                    if id == ws.member_id.to_hex() {
                        return Err(Error::invalid(
                            "connect the client with a colleague, not yourself",
                        ));
                    }
                    Some(id)
                }
                (Outcome::Connected, None) => {
                    return Err(Error::invalid(
                        "say whom the client was connected with: --with MEMBER",
                    ))
                }
                (_, Some(_)) => {
                    return Err(Error::invalid(
                        "--with goes only with the outcome connected",
                    ))
                }
                (_, None) => None,
            };
            change_doc(tx, ws, me, &post_id, DocKind::Post, |t| {
                t.put(ROOT, "status", outcome.as_str())?;
                if let Some(m) = &with_id {
                    t.put(ROOT, "closed_with", m.as_str())?;
                }
                Ok(())
            })?;
            post_by_id(tx, ws, &own_card(tx)?, &post.id)
        })
    }

    /// On a region's store: [`Store::record_exchange`] in this member's current practice,
    /// through the same connection (0 without a practice). Every sync of a region does it.
    pub(crate) fn record_in_practice(&self) -> Result<u64> {
        let practice = self.with_scope(Scope::Practice);
        let current = crate::storage::workspace::current_ws(&practice.lock(), Scope::Practice);
        match current {
            Ok(_) => practice.record_exchange(self),
            Err(Error::NoWorkspace | Error::AwaitingKeys) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// On a store of the practice: records in it the connections `region` (a store of the
    /// region on the same device) holds that involve this member and that it has not recorded
    /// yet: a post of hers closed as connected is a referral sent to that colleague (and a
    /// thank-you due in two days); a colleague's post closed as connected with her is a
    /// referral received. The colleague becomes a contact (a therapist) when she is none yet.
    /// Each referral's id comes from the post, so her other devices record the same one.
    /// Returns how many it recorded. A region's [`Store::sync`] does it on its own; call it
    /// after [`Store::close_post`] to record a connection before the next sync.
    pub fn record_exchange(&self, region: &Store) -> Result<u64> {
        if self.scope != Scope::Practice || region.scope != Scope::Region {
            return Err(Error::invalid(
                "record_exchange runs on a practice's store, given the region's",
            ));
        }
        let region_ws = match crate::storage::workspace::current_ws(&region.lock(), Scope::Region) {
            Ok(ws) => ws,
            Err(Error::NoRegion | Error::AwaitingKeys) => return Ok(0),
            Err(e) => return Err(e),
        };
        let me = region_ws.member_id.to_hex();
        let mut recorded = 0;
        for p in region.posts(PostFilter::default())? {
            if p.status != Outcome::Connected.as_str() {
                continue;
            }
            let (direction, partner) = match (&p.closed_with_id, &p.closed_with) {
                (Some(_), Some(name)) if p.mine => (ReferralDirection::Sent, name.clone()),
                (Some(id), _) if *id == me => (ReferralDirection::Received, p.author.clone()),
                _ => continue,
            };
            let referral_id = crate::documents::derive_id(&[
                b"trellis/exchange-referral",
                p.id.as_bytes(),
                direction.as_str().as_bytes(),
            ])
            .to_hex();
            let known: bool = self.read(|c, ws| {
                Ok(c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM referrals WHERE ws = ?1 AND id = ?2)",
                    params![ws.id.to_hex(), referral_id],
                    |r| r.get(0),
                )?)
            })?;
            if known {
                continue;
            }
            let contact = match self
                .contacts()?
                .into_iter()
                .find(|c| c.name.eq_ignore_ascii_case(&partner))
            {
                Some(c) => c,
                None => self.add_contact(&NewContact {
                    name: partner.clone(),
                    category: Some(ContactCategory::Therapist),
                    ..Default::default()
                })?,
            };
            let reason = p
                .need
                .specialties
                .first()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| p.need.service.as_str().to_string());
            self.add_referral_as(
                &NewReferral {
                    direction,
                    partner: contact.id.clone(),
                    reason,
                    status: Some(ReferralStatus::Scheduled),
                    channel: None,
                    on: None,
                    note: Some("Connected through the regional referral exchange.".into()),
                },
                referral_id,
            )?;
            if direction == ReferralDirection::Sent {
                self.add_followup(&NewFollowUp {
                    kind: Some(FollowUpKind::ThankYou),
                    contact: Some(contact.id.clone()),
                    organization: None,
                    due: Some(time::format_ms(time::now_ms() + 2 * 24 * 3600 * 1000)),
                    note: Some("Thank her for taking the referral from the exchange.".into()),
                })?;
            }
            recorded += 1;
        }
        Ok(recorded)
    }

    fn in_region(&self) -> Result<()> {
        match self.scope {
            Scope::Region => Ok(()),
            Scope::Practice => Err(Error::invalid(
                "needs are posted to a region, not to a practice: use `trellis exchange ...`",
            )),
        }
    }
}

/// The names of every contact and organization this device knows, in any practice, lower
/// case: a post's text may hold none of them.
fn known_names(c: &Connection) -> Result<Vec<String>> {
    let mut st =
        c.prepare("SELECT lower(name) FROM contacts UNION SELECT lower(name) FROM orgs")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// This device's member's card in its current practice (empty without one).
fn own_card(c: &Connection) -> Result<Card> {
    let Some(practice) = get_meta(c, Scope::Practice.current_key())? else {
        return Ok(Card::default());
    };
    let json: Option<String> = c
        .query_row(
            "SELECT card FROM cards WHERE ws = ?1
               AND member_id = (SELECT member_id FROM workspaces WHERE id = ?1)",
            [&practice],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

fn posts(c: &Connection, ws: &Ws, card: &Card) -> Result<Vec<Post>> {
    posts_where(c, ws, card, None)
}

/// One post, by its full id (without reading the others).
fn post_by_id(c: &Connection, ws: &Ws, card: &Card, id: &str) -> Result<Post> {
    posts_where(c, ws, card, Some(id))?
        .pop()
        .ok_or_else(|| Error::invalid("the post was not kept; try again"))
}

fn posts_where(c: &Connection, ws: &Ws, card: &Card, only: Option<&str>) -> Result<Vec<Post>> {
    let names = MemberLookup::load(c, ws)?;
    let me = ws.member_id.to_hex();
    let now = time::now_ms();
    let mut st = c.prepare_cached(
        "SELECT id, author, need, created_ms, expires_ms, status, replies, closed_with
         FROM posts WHERE ws = ?1 AND (?2 IS NULL OR id = ?2)",
    )?;
    let rows = st.query_map(params![ws.id.to_hex(), only], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, author, need, created, expires, status, replies, closed_with) = row?;
        let Ok(need) = serde_json::from_str::<Need>(&need) else {
            continue;
        };
        let status = if status == "open" && expires <= now {
            "expired".to_string()
        } else {
            status
        };
        let (fits, score) = fit(&need, card);
        out.push(Post {
            author: names
                .name_of(&author)
                .unwrap_or_else(|| "a member not synced yet".into()),
            mine: author == me,
            author_id: author,
            notice: need.is_substance_use().then(|| PART2_NOTICE.to_string()),
            need,
            status,
            posted_at: time::format_ms(created),
            expires_at: time::format_ms(expires),
            fits,
            score,
            replies: u64::try_from(replies).unwrap_or(0),
            closed_with: closed_with.as_deref().map(|m| {
                names
                    .name_of(m)
                    .unwrap_or_else(|| "a member not synced yet".into())
            }),
            closed_with_id: closed_with,
            id,
        });
    }
    out.sort_by(|a, b| {
        (b.status == "open")
            .cmp(&(a.status == "open"))
            .then(b.fits.cmp(&a.fits))
            .then(b.score.cmp(&a.score))
            .then(b.posted_at.cmp(&a.posted_at))
    });
    Ok(out)
}
