//! The regional referral exchange, on a store acting on regions (`Scope::Region`): posting a
//! need (`postNeed`), the region's posts ranked against this member's card (`posts`), one post
//! (`post`), replying (`reply`), the replies to one's own post (`replies`), closing it
//! (`closePost`); and, on the practice's store, recording the connections the region's posts
//! hold as referrals (`recordExchange`). Each method is one call of [`trellis_core::Store`],
//! converted like the rest (`convert.rs`); the closed lists a need picks from are in
//! `TrellisStore.choices()`.
//!
//! A browser cannot open a region's store yet: see docs/WEB.md, "Regions", for why a second
//! store on the worker's OPFS file is not safe and what the core is asked for.

use serde::Deserialize;
use trellis_core::{
    AgeBand, Fit, Language, Modality, Need, NewPost, Outcome, Panel, Payer, PostFilter, ReplyInput,
    Service, Specialty, Urgency, When,
};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, name_of, to_js};
use crate::error::{WebError, WebResult};
use crate::store::TrellisStore;

/// A need to post, as the page gives it: the core's kebab-case names; `payer` is a panel's
/// name or `"self-pay"`; `telehealth` a state's postal code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    /// The service.
    pub service: Service,
    /// The client's age band.
    pub age_band: AgeBand,
    /// What it is about.
    #[serde(default)]
    pub specialties: Vec<Specialty>,
    /// How it should be treated.
    #[serde(default)]
    pub modalities: Vec<Modality>,
    /// A panel's name, or `"self-pay"`.
    #[serde(default)]
    pub payer: Option<String>,
    /// In person, around this 3-digit ZIP.
    #[serde(default)]
    pub zip3: Option<String>,
    /// Or by telehealth, in this state.
    #[serde(default)]
    pub telehealth: Option<String>,
    /// The language of the sessions.
    #[serde(default)]
    pub language: Option<Language>,
    /// When in the week.
    #[serde(default)]
    pub when: Option<When>,
    /// How soon.
    pub urgency: Urgency,
    /// A short text (the core refuses an identifying one).
    #[serde(default)]
    pub text: Option<String>,
    /// Days it stays open (the core's default when left out).
    #[serde(default)]
    pub expires_days: Option<u32>,
}

impl TryFrom<NeedInput> for NewPost {
    type Error = WebError;

    fn try_from(n: NeedInput) -> WebResult<NewPost> {
        let payer = match n.payer.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) if p.eq_ignore_ascii_case("self-pay") => Some(Payer::SelfPay),
            Some(p) => Some(Payer::Panel(name_of::<Panel>(p, "payer")?)),
        };
        let telehealth = match n.telehealth.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(trellis_core::parse_state(s)?),
        };
        Ok(NewPost {
            need: Need {
                service: n.service,
                age_band: n.age_band,
                specialties: n.specialties,
                modalities: n.modalities,
                payer,
                zip3: n.zip3.filter(|z| !z.trim().is_empty()),
                telehealth,
                language: n.language,
                when: n.when,
                urgency: n.urgency,
                text: n.text.filter(|t| !t.trim().is_empty()),
            },
            expires_days: n.expires_days,
        })
    }
}

/// A reply, as the page gives it: `{fit: "yes" | "waitlist" | "no", weeks?, note?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyShape {
    /// Yes, waitlist or no.
    pub fit: Fit,
    /// Within about how many weeks.
    #[serde(default)]
    pub weeks: Option<u32>,
    /// A short note.
    #[serde(default)]
    pub note: Option<String>,
}

impl From<ReplyShape> for ReplyInput {
    fn from(r: ReplyShape) -> ReplyInput {
        ReplyInput {
            fit: r.fit,
            weeks: r.weeks,
            note: r.note.filter(|t| !t.trim().is_empty()),
        }
    }
}

/// Which posts to list: `{fits_me?, mine?}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterShape {
    /// Only the open posts that fit this member's card.
    #[serde(default)]
    pub fits_me: bool,
    /// Only this member's own posts.
    #[serde(default)]
    pub mine: bool,
}

#[wasm_bindgen]
impl TrellisStore {
    /// Posts a need to the current region (a region's store; see `NeedInput` in
    /// `exchange.rs`); returns the post. A refused text stores nothing (`invalid_input`, with
    /// the core's sentence); a substance-use need carries the Part 2 `notice`.
    #[wasm_bindgen(js_name = postNeed)]
    pub fn post_need(&self, need: JsValue) -> WebResult<JsValue> {
        let input: NeedInput = from_js(&need, "need")?;
        to_js(&self.store.post_need(&NewPost::try_from(input)?)?)
    }

    /// The current region's posts (`{fits_me?, mine?}`, or nothing for all), ranked against
    /// this member's card in her current practice: the ones that fit first.
    pub fn posts(&self, filter: JsValue) -> WebResult<JsValue> {
        let filter: FilterShape = if filter.is_undefined() || filter.is_null() {
            FilterShape::default()
        } else {
            from_js(&filter, "filter")?
        };
        to_js(&self.store.posts(PostFilter {
            fits_me: filter.fits_me,
            mine: filter.mine,
        })?)
    }

    /// One post, by id prefix.
    pub fn post(&self, query: &str) -> WebResult<JsValue> {
        to_js(&self.store.post(query)?)
    }

    /// Replies to a post (`{fit, weeks?, note?}`), sealed to its author's devices; returns the
    /// post.
    pub fn reply(&self, query: &str, reply: JsValue) -> WebResult<JsValue> {
        let input: ReplyShape = from_js(&reply, "reply")?;
        to_js(&self.store.reply(query, &input.into())?)
    }

    /// The replies to one of this member's posts, each with the responder's card.
    pub fn replies(&self, query: &str) -> WebResult<JsValue> {
        to_js(&self.store.replies(query)?)
    }

    /// Closes one of this member's posts: `outcome` is `"connected"` (with the member `with`,
    /// by name or id prefix), `"not-placed"` or `"withdrawn"`; returns the post.
    #[wasm_bindgen(js_name = closePost)]
    pub fn close_post(
        &self,
        query: &str,
        outcome: &str,
        with: Option<String>,
    ) -> WebResult<JsValue> {
        let outcome: Outcome = name_of(outcome, "outcome")?;
        to_js(&self.store.close_post(query, outcome, with.as_deref())?)
    }

    /// On the practice's store: records the connections the region's posts (`region`, a
    /// region's store on the same file) hold as referrals; returns how many it recorded.
    #[wasm_bindgen(js_name = recordExchange)]
    pub fn record_exchange(&self, region: &TrellisStore) -> WebResult<f64> {
        Ok(self.store.record_exchange(&region.store)? as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::from_json;

    #[test]
    fn a_need_reads_the_cores_names_and_a_payer_as_a_panel_or_self_pay() {
        let n: NeedInput = from_json(
            r#"{"service": "individual", "age_band": "26-64", "specialties": ["anxiety"],
                "payer": "self-pay", "telehealth": "or", "urgency": "soon", "text": ""}"#,
            "need",
        )
        .unwrap();
        let post = NewPost::try_from(n).unwrap();
        assert_eq!(post.need.payer, Some(Payer::SelfPay));
        assert_eq!(post.need.telehealth.as_deref(), Some("OR"));
        assert_eq!(post.need.text, None);
        let e = from_json::<NeedInput>(r#"{"service": "individual"}"#, "need").unwrap_err();
        assert_eq!(e.code, "invalid_input");
        let r: ReplyShape = from_json(r#"{"fit": "waitlist", "weeks": 3}"#, "reply").unwrap();
        assert_eq!(ReplyInput::from(r).weeks, Some(3));
    }
}
