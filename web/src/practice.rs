//! The practice's work beyond records: follow-ups, referrals, goals and reports, leave-behind
//! stock, pitches, and the closed lists a form offers (kinds, categories, stages, a profile
//! card's vocabularies). Each method is one call of [`trellis_core::Store`], converted like the
//! rest (`convert.rs`).

use serde::Serialize;
use trellis_core::{
    ActivityKind, AgeBand, ContactCategory, Credential, Fit, FollowUpFilter, FollowUpKind,
    Language, Modality, OrgKind, Outcome, Panel, Population, ReferralChannel, ReferralDirection,
    ReferralStatus, Service, Specialty, Stage, Urgency, When, MAX_POST_TEXT_CHARS,
    NOTE_PRIVACY_HINT, PART2_NOTICE, US_STATES,
};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, name_of, to_js, FollowUpInput, ReferralInput};
use crate::error::{WebError, WebResult};
use crate::store::TrellisStore;

/// The closed lists a form offers, as the core names them, and the hint every note field shows.
#[derive(Debug, Serialize)]
struct Choices {
    org_kinds: &'static [OrgKind],
    contact_categories: &'static [ContactCategory],
    stages: &'static [Stage],
    activity_kinds: &'static [ActivityKind],
    followup_kinds: &'static [FollowUpKind],
    referral_directions: &'static [ReferralDirection],
    referral_statuses: &'static [ReferralStatus],
    referral_channels: &'static [ReferralChannel],
    specialties: &'static [Specialty],
    populations: &'static [Population],
    age_bands: &'static [AgeBand],
    modalities: &'static [Modality],
    panels: &'static [Panel],
    languages: &'static [Language],
    credentials: &'static [Credential],
    us_states: &'static [&'static str],
    note_privacy_hint: &'static str,
    services: &'static [Service],
    urgencies: &'static [Urgency],
    whens: &'static [When],
    fits: &'static [Fit],
    outcomes: &'static [Outcome],
    part2_notice: &'static str,
    max_post_text_chars: usize,
}

/// A member of the practice as (id, name).
#[derive(Debug, Serialize)]
struct Member {
    id: String,
    name: String,
}

#[wasm_bindgen]
impl TrellisStore {
    /// The closed lists of names a form offers (`org_kinds`, `contact_categories`, `stages`,
    /// `activity_kinds`, `followup_kinds`, `referral_directions`, `referral_statuses`,
    /// `referral_channels`; for a profile card `specialties`, `populations`, `age_bands`,
    /// `modalities`, `panels`, `languages`, `credentials` and `us_states`, the telehealth
    /// states as postal codes; for the exchange's needs `services`, `urgencies`, `whens`, and
    /// for replies and closing `fits` and `outcomes`) in display order, `note_privacy_hint`,
    /// the sentence shown by every note field, `part2_notice`, the notice a substance-use need
    /// carries, and `max_post_text_chars`, the longest text of a need.
    pub fn choices() -> WebResult<JsValue> {
        to_js(&Choices {
            org_kinds: OrgKind::ALL,
            contact_categories: ContactCategory::ALL,
            stages: Stage::ALL,
            activity_kinds: ActivityKind::ALL,
            followup_kinds: FollowUpKind::ALL,
            referral_directions: ReferralDirection::ALL,
            referral_statuses: ReferralStatus::ALL,
            referral_channels: ReferralChannel::ALL,
            specialties: Specialty::ALL,
            populations: Population::ALL,
            age_bands: AgeBand::ALL,
            modalities: Modality::ALL,
            panels: Panel::ALL,
            languages: Language::ALL,
            credentials: Credential::ALL,
            us_states: US_STATES,
            note_privacy_hint: NOTE_PRIVACY_HINT,
            services: Service::ALL,
            urgencies: Urgency::ALL,
            whens: When::ALL,
            fits: Fit::ALL,
            outcomes: Outcome::ALL,
            part2_notice: PART2_NOTICE,
            max_post_text_chars: MAX_POST_TEXT_CHARS,
        })
    }

    /// Follow-ups: `filter` is `"due"` (within a day or overdue; Today), `"open"`,
    /// `"overdue"` or `"all"`.
    pub fn followups(&self, filter: &str) -> WebResult<JsValue> {
        let filter = match filter {
            "due" => FollowUpFilter::Due,
            "open" => FollowUpFilter::Open,
            "overdue" => FollowUpFilter::Overdue,
            "all" => FollowUpFilter::All,
            _ => {
                return Err(WebError::invalid(
                    "a follow-up filter is \"due\", \"open\", \"overdue\" or \"all\"",
                ))
            }
        };
        to_js(&self.store.followups(filter)?)
    }

    /// Adds a follow-up (`{kind?, contact?, organization?, due?, note?}`).
    #[wasm_bindgen(js_name = addFollowup)]
    pub fn add_followup(&self, followup: JsValue) -> WebResult<JsValue> {
        let input: FollowUpInput = from_js(&followup, "follow-up")?;
        to_js(&self.store.add_followup(&input.into())?)
    }

    /// Marks a follow-up done; returns it.
    #[wasm_bindgen(js_name = completeFollowup)]
    pub fn complete_followup(&self, id: &str) -> WebResult<JsValue> {
        to_js(&self.store.complete_followup(id)?)
    }

    /// Moves a follow-up's due time to `until` (RFC 3339 or `YYYY-MM-DD`); returns it.
    #[wasm_bindgen(js_name = snoozeFollowup)]
    pub fn snooze_followup(&self, id: &str, until: &str) -> WebResult<JsValue> {
        to_js(&self.store.snooze_followup(id, until)?)
    }

    /// Assigns a follow-up to a member (by name or id prefix); returns it.
    #[wasm_bindgen(js_name = reassignFollowup)]
    pub fn reassign_followup(&self, id: &str, member: &str) -> WebResult<JsValue> {
        to_js(&self.store.reassign_followup(id, member)?)
    }

    /// The practice's members as `{id, name}`, by name (from the practice's own document; the
    /// relay's roster, with devices, is `roster()`).
    pub fn members(&self) -> WebResult<JsValue> {
        let members: Vec<Member> = self
            .store
            .members()?
            .into_iter()
            .map(|(id, name)| Member { id, name })
            .collect();
        to_js(&members)
    }

    /// Records a referral (`{direction, partner, reason, status?, channel?, on?, note?}`).
    #[wasm_bindgen(js_name = addReferral)]
    pub fn add_referral(&self, referral: JsValue) -> WebResult<JsValue> {
        let input: ReferralInput = from_js(&referral, "referral")?;
        to_js(&self.store.add_referral(&input.into())?)
    }

    /// Referrals between two days (`YYYY-MM-DD`, either `null` for open), newest first.
    pub fn referrals(&self, from: Option<String>, to: Option<String>) -> WebResult<JsValue> {
        to_js(&self.store.referrals(from.as_deref(), to.as_deref())?)
    }

    /// The practice's referral reasons, for a form's suggestions.
    #[wasm_bindgen(js_name = referralReasons)]
    pub fn referral_reasons(&self) -> WebResult<JsValue> {
        to_js(&self.store.referral_reasons()?)
    }

    /// The practice's goals.
    pub fn settings(&self) -> WebResult<JsValue> {
        to_js(&self.store.settings()?)
    }

    /// Changes the goals given (`null` keeps one); returns them all.
    #[wasm_bindgen(js_name = setGoals)]
    pub fn set_goals(
        &self,
        minutes_per_week: Option<u32>,
        new_connections_per_month: Option<u32>,
        thank_you_hours: Option<u32>,
    ) -> WebResult<JsValue> {
        to_js(&self.store.set_goals(
            minutes_per_week,
            new_connections_per_month,
            thank_you_hours,
        )?)
    }

    /// Networking minutes week by week between two days (`YYYY-MM-DD`, inclusive; default:
    /// this week), against the weekly goal.
    #[wasm_bindgen(js_name = timeReport)]
    pub fn time_report(&self, from: Option<String>, to: Option<String>) -> WebResult<JsValue> {
        to_js(&self.store.time_report(from.as_deref(), to.as_deref())?)
    }

    /// New connections made in a month (`YYYY-MM`, default this one), against the goal.
    #[wasm_bindgen(js_name = connectionsReport)]
    pub fn connections_report(&self, month: Option<String>) -> WebResult<JsValue> {
        to_js(&self.store.connections_report(month.as_deref())?)
    }

    /// Referrals received and sent between two days, by source, category and reason.
    #[wasm_bindgen(js_name = referralReport)]
    pub fn referral_report(&self, from: Option<String>, to: Option<String>) -> WebResult<JsValue> {
        to_js(&self.store.referral_report(from.as_deref(), to.as_deref())?)
    }

    /// Referrals received and sent per partner, most exchanged first.
    #[wasm_bindgen(js_name = reciprocityReport)]
    pub fn reciprocity_report(
        &self,
        from: Option<String>,
        to: Option<String>,
    ) -> WebResult<JsValue> {
        to_js(
            &self
                .store
                .reciprocity_report(from.as_deref(), to.as_deref())?,
        )
    }

    /// The leave-behind items and their stock.
    pub fn stock(&self) -> WebResult<JsValue> {
        to_js(&self.store.stock()?)
    }

    /// Adds `qty` of a leave-behind item (new items join the catalog); returns the item.
    pub fn restock(&self, item: &str, qty: u32) -> WebResult<JsValue> {
        to_js(&self.store.restock(item, qty)?)
    }

    /// The elevator pitch for a contact category (`null` if none).
    pub fn pitch(&self, category: &str) -> WebResult<Option<String>> {
        let category: ContactCategory = name_of(category, "category")?;
        Ok(self.store.pitch(category)?)
    }

    /// Sets the pitch for a contact category; returns the one it replaced.
    #[wasm_bindgen(js_name = setPitch)]
    pub fn set_pitch(&self, category: &str, text: &str) -> WebResult<Option<String>> {
        let category: ContactCategory = name_of(category, "category")?;
        Ok(self.store.set_pitch(category, text)?)
    }
}
