//! The regional referral exchange, on a store that acts on regions
//! ([`crate::Scope::Region`]): posting a need (one document each, its author the member whose
//! device signs it), listing the region's needs ranked against this member's own profile card
//! (the card of her current practice, on this device: nothing about the match leaves it).
//!
//! A need's free text is checked on the device before anything is written
//! ([`crate::model::check_need`]): a refusal stores nothing.

use automerge::transaction::Transactable;
use automerge::ROOT;
use rusqlite::{params, Connection, OptionalExtension};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::documents::DocKind;
use crate::model::{
    check_need, fit, Card, Need, NewPost, Post, PostFilter, DEFAULT_POST_DAYS, MAX_POST_DAYS,
    PART2_NOTICE,
};
use crate::read::members::MemberLookup;
use crate::storage::workspace::{get_meta, Scope, Ws};
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
            let card = own_card(tx)?;
            posts(tx, ws, &card)?
                .into_iter()
                .find(|p| p.id == id.to_hex())
                .ok_or_else(|| Error::invalid("the post was not kept; try again"))
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
    let names = MemberLookup::load(c, ws)?;
    let me = ws.member_id.to_hex();
    let now = time::now_ms();
    let mut st = c.prepare_cached(
        "SELECT id, author, need, created_ms, expires_ms, status FROM posts WHERE ws = ?1",
    )?;
    let rows = st.query_map(params![ws.id.to_hex()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, author, need, created, expires, status) = row?;
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
            replies: 0,
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
