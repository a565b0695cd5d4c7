//! JavaScript values to and from the core's types.
//!
//! Records go out in the core's serde shape (snake_case fields, kebab-case names of kinds,
//! RFC 3339 times: the JSON `trellis --json` prints) and come in as plain objects of the input
//! shapes below, which restate the core's `New*` inputs (and its `CardUpdate`) field for field
//! (the core's input types have no serde, as it knows nothing of JavaScript). Unknown fields are refused, so a typo is
//! an `invalid_input` error instead of a value silently left out. Nothing is computed here.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use trellis_core::{
    ActivityKind, AgeBand, CardUpdate, ContactCategory, ContactChanges, Credential, FeeRange,
    FollowUpKind, Language, LeftBehind, Modality, NewActivity, NewContact, NewFollowUp, NewOrg,
    NewReferral, Openings, OrgChanges, OrgKind, Panel, Population, ReferralChannel,
    ReferralDirection, ReferralStatus, Specialty, Stage,
};
use wasm_bindgen::JsValue;

use crate::error::{WebError, WebResult};

/// An organization to add: the input of `TrellisStore.addOrg`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    /// Name.
    pub name: String,
    /// Kind, e.g. `"school"` (`other` when left out).
    #[serde(default)]
    pub kind: Option<OrgKind>,
    /// Street address.
    #[serde(default)]
    pub address: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Website.
    #[serde(default)]
    pub website: Option<String>,
    /// `[latitude, longitude]` in degrees.
    #[serde(default)]
    pub location: Option<(f64, f64)>,
}

impl From<OrgInput> for NewOrg {
    fn from(o: OrgInput) -> Self {
        NewOrg {
            name: o.name,
            kind: o.kind,
            address: o.address,
            phone: o.phone,
            website: o.website,
            location: o.location,
        }
    }
}

/// A contact to add: the input of `TrellisStore.addContact`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Name.
    pub name: String,
    /// Organization, by name or id prefix.
    #[serde(default)]
    pub organization: Option<String>,
    /// Role or title.
    #[serde(default)]
    pub role: Option<String>,
    /// Category, e.g. `"school-counselor"` (`other` when left out).
    #[serde(default)]
    pub category: Option<ContactCategory>,
    /// Stage (`prospect` when left out).
    #[serde(default)]
    pub stage: Option<Stage>,
    /// Cadence in days (the category's default when left out).
    #[serde(default)]
    pub cadence_days: Option<u32>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Their population's needs.
    #[serde(default)]
    pub needs: Option<String>,
    /// How we can help them.
    #[serde(default)]
    pub how_we_help: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<ContactInput> for NewContact {
    fn from(c: ContactInput) -> Self {
        NewContact {
            name: c.name,
            organization: c.organization,
            role: c.role,
            category: c.category,
            stage: c.stage,
            cadence_days: c.cadence_days,
            phones: c.phones,
            emails: c.emails,
            needs: c.needs,
            how_we_help: c.how_we_help,
            tags: c.tags,
        }
    }
}

/// What to change in a contact: the input of `TrellisStore.updateContact`. A field left out
/// stays; an empty text clears one; a list given replaces the list.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactChangesInput {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// Organization, by name or id prefix (`""` for none).
    #[serde(default)]
    pub organization: Option<String>,
    /// Role or title.
    #[serde(default)]
    pub role: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<ContactCategory>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Option<Vec<String>>,
    /// Their population's needs.
    #[serde(default)]
    pub needs: Option<String>,
    /// How we can help them.
    #[serde(default)]
    pub how_we_help: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl From<ContactChangesInput> for ContactChanges {
    fn from(c: ContactChangesInput) -> Self {
        ContactChanges {
            name: c.name,
            organization: c.organization,
            role: c.role,
            category: c.category,
            phones: c.phones,
            emails: c.emails,
            needs: c.needs,
            how_we_help: c.how_we_help,
            tags: c.tags,
        }
    }
}

/// What to change in an organization: the input of `TrellisStore.updateOrg`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgChangesInput {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<OrgKind>,
    /// Street address.
    #[serde(default)]
    pub address: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Website.
    #[serde(default)]
    pub website: Option<String>,
}

impl From<OrgChangesInput> for OrgChanges {
    fn from(o: OrgChangesInput) -> Self {
        OrgChanges {
            name: o.name,
            kind: o.kind,
            address: o.address,
            phone: o.phone,
            website: o.website,
        }
    }
}

/// An activity to log: the input of `TrellisStore.logActivity`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// Kind, e.g. `"drop-by"` (a drop-by when left out).
    #[serde(default)]
    pub kind: Option<ActivityKind>,
    /// Organization, by name or id prefix.
    #[serde(default)]
    pub organization: Option<String>,
    /// Contacts met, by name or id prefix.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Minutes spent.
    #[serde(default)]
    pub minutes: u32,
    /// Note (no client details).
    #[serde(default)]
    pub note: Option<String>,
    /// What was left behind, as `{item, qty}`.
    #[serde(default)]
    pub left_behind: Vec<LeftBehind>,
    /// When it happened, RFC 3339 (now when left out).
    #[serde(default)]
    pub at: Option<String>,
    /// For talks and workshops: the audience.
    #[serde(default)]
    pub audience: Option<String>,
    /// For talks and workshops: how many attended.
    #[serde(default)]
    pub attendance: Option<u32>,
}

impl From<ActivityInput> for NewActivity {
    fn from(a: ActivityInput) -> Self {
        NewActivity {
            kind: a.kind,
            organization: a.organization,
            contacts: a.contacts,
            minutes: a.minutes,
            note: a.note,
            left_behind: a.left_behind,
            at: a.at,
            audience: a.audience,
            attendance: a.attendance,
        }
    }
}

/// A follow-up to add: the input of `TrellisStore.addFollowup`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// Kind, e.g. `"thank-you"` (`check-in` when left out).
    #[serde(default)]
    pub kind: Option<FollowUpKind>,
    /// Contact, by name or id prefix.
    #[serde(default)]
    pub contact: Option<String>,
    /// Organization, by name or id prefix.
    #[serde(default)]
    pub organization: Option<String>,
    /// Due, RFC 3339 or `YYYY-MM-DD` (in a week when left out).
    #[serde(default)]
    pub due: Option<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

impl From<FollowUpInput> for NewFollowUp {
    fn from(f: FollowUpInput) -> Self {
        NewFollowUp {
            kind: f.kind,
            contact: f.contact,
            organization: f.organization,
            due: f.due,
            note: f.note,
        }
    }
}

/// A referral to record: the input of `TrellisStore.addReferral`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    /// `"received"` or `"sent"`.
    pub direction: ReferralDirection,
    /// The partner: a contact or organization, by name or id prefix.
    pub partner: String,
    /// Reason category; added to the practice's list if new.
    pub reason: String,
    /// Status (`inquiry` when left out).
    #[serde(default)]
    pub status: Option<ReferralStatus>,
    /// Channel (`other` when left out).
    #[serde(default)]
    pub channel: Option<ReferralChannel>,
    /// Day, `YYYY-MM-DD` (today when left out).
    #[serde(default)]
    pub on: Option<String>,
    /// Note (no client details).
    #[serde(default)]
    pub note: Option<String>,
}

impl From<ReferralInput> for NewReferral {
    fn from(r: ReferralInput) -> Self {
        NewReferral {
            direction: r.direction,
            partner: r.partner,
            reason: r.reason,
            status: r.status,
            channel: r.channel,
            on: r.on,
            note: r.note,
        }
    }
}

/// What to change in this member's profile card: the input of `TrellisStore.setProfile`, field
/// for field the core's `CardUpdate`. A field left out (or `null`, for a list or the openings)
/// stays; a list given replaces the card's (`[]` empties it); `self_pay`, `zip3` and `pitch`
/// set with a value and clear with `null`. Values are the card's own shapes: kebab-case names
/// of the closed lists, states as postal codes, `self_pay` as `{min, max}`, `openings` as
/// `{status: "accepting" | "waitlist" | "full", weeks?}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// What she treats.
    #[serde(default)]
    pub specialties: Option<Vec<Specialty>>,
    /// Who she sees.
    #[serde(default)]
    pub populations: Option<Vec<Population>>,
    /// The ages she sees.
    #[serde(default)]
    pub age_bands: Option<Vec<AgeBand>>,
    /// How she works.
    #[serde(default)]
    pub modalities: Option<Vec<Modality>>,
    /// Insurance panels.
    #[serde(default)]
    pub panels: Option<Vec<Panel>>,
    /// The self-pay range (`null` clears it).
    #[serde(default, deserialize_with = "given")]
    pub self_pay: Option<Option<FeeRange>>,
    /// Languages.
    #[serde(default)]
    pub languages: Option<Vec<Language>>,
    /// The first three digits of the ZIP code (`null` clears it).
    #[serde(default, deserialize_with = "given")]
    pub zip3: Option<Option<String>>,
    /// Telehealth states, as postal codes.
    #[serde(default)]
    pub telehealth: Option<Vec<String>>,
    /// Licenses and degrees.
    #[serde(default)]
    pub credentials: Option<Vec<Credential>>,
    /// Whether she takes new clients; giving it confirms it as of now.
    #[serde(default)]
    pub openings: Option<Openings>,
    /// The pitch (`null`, or blank, clears it).
    #[serde(default, deserialize_with = "given")]
    pub pitch: Option<Option<String>>,
}

/// A field that was given, `null` included: `Some(None)` for `null`, where a field left out is
/// `None` (its `#[serde(default)]`).
fn given<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl TryFrom<CardInput> for CardUpdate {
    type Error = WebError;

    /// The openings and the fee range go through the core's own parsers, as the CLI's do: the
    /// ranges they hold (a waitlist of 1 to 104 weeks; MIN ≤ MAX ≤ 10000) are the core's, and
    /// the card's serde shapes alone do not check them.
    fn try_from(c: CardInput) -> WebResult<CardUpdate> {
        let openings = c
            .openings
            .map(|o| Openings::parse(&o.as_text()))
            .transpose()?;
        let self_pay = match c.self_pay {
            Some(Some(f)) => Some(Some(FeeRange::parse(&format!("{}-{}", f.min, f.max))?)),
            other => other,
        };
        Ok(CardUpdate {
            specialties: c.specialties,
            populations: c.populations,
            age_bands: c.age_bands,
            modalities: c.modalities,
            panels: c.panels,
            self_pay,
            languages: c.languages,
            zip3: c.zip3,
            telehealth: c.telehealth,
            credentials: c.credentials,
            openings,
            pitch: c.pitch,
        })
    }
}

/// Reads one of the core's named values (a stage, a category, a filter...) from its name as
/// the CLI spells it (`"school-counselor"`); `what` names it in the error.
pub fn name_of<T: DeserializeOwned>(name: &str, what: &str) -> WebResult<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|e| {
        WebError::invalid(format!(
            "the {what} is not valid: {}",
            without_quoted_values(&e.to_string())
        ))
    })
}

/// Reads a plain JavaScript object as `T` (`what` names it in the error).
pub fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> WebResult<T> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| WebError::invalid(format!("the {what} is not a plain object")))?;
    from_json(&json, what)
}

/// Reads JSON text as `T`. The error names what is wrong (a missing or unknown field, a wrong
/// type) but not the value the caller gave, which may be a person's name.
pub fn from_json<T: DeserializeOwned>(json: &str, what: &str) -> WebResult<T> {
    serde_json::from_str(json).map_err(|e| {
        WebError::invalid(format!(
            "the {what} is not valid: {}",
            without_quoted_values(&e.to_string())
        ))
    })
}

/// A record (or list of them) as a plain JavaScript value.
pub fn to_js<T: Serialize>(value: &T) -> WebResult<JsValue> {
    let json = serde_json::to_string(value)
        .map_err(|e| WebError::invalid(format!("a result could not be encoded: {e}")))?;
    js_sys::JSON::parse(&json).map_err(|_| WebError::invalid("a result could not be decoded"))
}

/// serde's message with every value the caller gave elided: double-quoted ones (`invalid type:
/// string "..."`) and the name after `unknown variant` (the accepted names after it stay).
fn without_quoted_values(message: &str) -> String {
    const UNKNOWN: &str = "unknown variant `";
    let elided;
    let message = match message.find(UNKNOWN) {
        Some(at) => {
            let rest = &message[at + UNKNOWN.len()..];
            let end = rest.find('`').map_or(rest.len(), |e| e + 1);
            elided = format!("{}{UNKNOWN}…`{}", &message[..at], &rest[end..]);
            elided.as_str()
        }
        None => message,
    };
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_the_cores_names_and_refuse_unknown_fields_without_echoing_values() {
        let org: OrgInput = from_json(
            r#"{"name": "Lincoln Middle School", "kind": "school", "location": [45.5, -122.6]}"#,
            "organization",
        )
        .unwrap();
        let org = NewOrg::from(org);
        assert_eq!(org.kind, Some(OrgKind::School));
        assert_eq!(org.location, Some((45.5, -122.6)));

        let a: ActivityInput = from_json(
            r#"{"organization": "Lincoln", "contacts": ["Rosa"], "minutes": 20,
                "left_behind": [{"item": "brochure", "qty": 10}], "note": "parent night"}"#,
            "activity",
        )
        .unwrap();
        let a = NewActivity::from(a);
        assert_eq!(a.kind, None, "a drop-by, as the core decides");
        assert_eq!(a.left_behind[0].qty, 10);

        let e = from_json::<ContactInput>(r#"{"name": "Rosa", "organisation": "x"}"#, "contact")
            .unwrap_err();
        assert_eq!(e.code, "invalid_input");
        assert!(e.message.contains("organisation"), "{}", e.message);
        let e = from_json::<ContactInput>(
            r#"{"name": "Rosa", "cadence_days": "Rosa Jimenez"}"#,
            "contact",
        )
        .unwrap_err();
        assert!(!e.message.contains("Jimenez"), "{}", e.message);
        let e = from_json::<OrgInput>(r#"{"name": "x", "kind": "Rosa Jimenez"}"#, "organization")
            .unwrap_err();
        assert!(!e.message.contains("Jimenez"), "{}", e.message);
        assert!(
            e.message.contains("school"),
            "the kinds are listed: {}",
            e.message
        );
    }

    #[test]
    fn names_follow_the_clis_spelling_and_referrals_need_their_direction() {
        let stage: Stage = name_of("connected", "stage").unwrap();
        assert_eq!(stage, Stage::Connected);
        let e = name_of::<Stage>("Rosa Jimenez", "stage").unwrap_err();
        assert_eq!(e.code, "invalid_input");
        assert!(!e.message.contains("Jimenez"), "{}", e.message);
        let kind: FollowUpKind = name_of("thank-you", "kind").unwrap();
        let f = FollowUpInput {
            kind: Some(kind),
            ..Default::default()
        };
        assert_eq!(NewFollowUp::from(f).kind, Some(FollowUpKind::ThankYou));

        let r: ReferralInput = from_json(
            r#"{"direction": "received", "partner": "Rosa", "reason": "anxiety"}"#,
            "referral",
        )
        .unwrap();
        assert_eq!(NewReferral::from(r).direction, ReferralDirection::Received);
        let e = from_json::<ReferralInput>(r#"{"partner": "Rosa", "reason": "x"}"#, "referral")
            .unwrap_err();
        assert!(e.message.contains("direction"), "{}", e.message);
    }

    #[test]
    fn a_card_keeps_what_is_left_out_clears_with_null_and_refuses_what_the_cli_refuses() {
        let card = |json: &str| -> WebResult<CardUpdate> {
            CardUpdate::try_from(from_json::<CardInput>(json, "card")?)
        };
        let u = card(
            r#"{"specialties": ["anxiety", "trauma-ptsd"], "age_bands": ["13-17"],
                "languages": ["es"], "self_pay": {"min": 80, "max": 150}, "zip3": null,
                "openings": {"status": "waitlist", "weeks": 3}}"#,
        )
        .unwrap();
        assert_eq!(
            u.specialties,
            Some(vec![Specialty::Anxiety, Specialty::TraumaPtsd])
        );
        assert_eq!(u.age_bands, Some(vec![AgeBand::Teen]));
        assert_eq!(u.self_pay, Some(Some(FeeRange { min: 80, max: 150 })));
        assert_eq!(u.zip3, Some(None), "null clears");
        assert_eq!(u.pitch, None, "left out stays");
        assert_eq!(u.panels, None);
        assert_eq!(u.openings, Some(Openings::Waitlist { weeks: 3 }));
        assert_eq!(card(r#"{"panels": []}"#).unwrap().panels, Some(vec![]));
        assert_eq!(card(r#"{"self_pay": null}"#).unwrap().self_pay, Some(None));
        assert_eq!(card("{}").unwrap(), CardUpdate::default());

        for bad in [
            r#"{"zip": "010"}"#,
            r#"{"specialties": ["Rosa Jimenez"]}"#,
            r#"{"openings": {"status": "waitlist", "weeks": 0}}"#,
            r#"{"openings": {"status": "maybe"}}"#,
            r#"{"self_pay": {"min": 200, "max": 100}}"#,
            r#"{"self_pay": {"min": 80}}"#,
        ] {
            let e = card(bad).unwrap_err();
            assert_eq!(e.code, "invalid_input", "{bad}");
            assert!(!e.message.contains("Jimenez"), "{}", e.message);
        }
        let e = card(r#"{"specialties": ["Rosa Jimenez"]}"#).unwrap_err();
        assert!(
            e.message.contains("anxiety"),
            "the accepted names: {}",
            e.message
        );
    }
}
