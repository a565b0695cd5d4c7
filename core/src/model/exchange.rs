//! The regional referral exchange: a need a therapist posts to her region, in closed facets
//! (never a client's identity), and how each device ranks the open needs against its member's
//! own profile card.

use serde::{Deserialize, Serialize};

use super::profile::{AgeBand, Card, Language, Modality, Openings, Panel, Specialty};
use crate::base::error::{Error, Result};

string_enum! {
    /// The service a need asks for.
    Service("service") {
        /// Individual therapy.
        Individual = "individual",
        /// Couples therapy.
        Couples = "couples",
        /// Family therapy.
        Family = "family",
        /// A group.
        Group = "group",
        /// A medication evaluation.
        MedicationEvaluation = "medication-evaluation",
        /// Psychological testing.
        Testing = "testing",
    }
}

string_enum! {
    /// How soon the client should be seen.
    Urgency("urgency") {
        /// Within a few weeks.
        Routine = "routine",
        /// Within a week or two.
        Soon = "soon",
        /// This week.
        Urgent = "urgent",
    }
}

string_enum! {
    /// When in the week the client can come.
    When("time of week") {
        /// Weekdays, daytime.
        WeekdayDaytime = "weekday-daytime",
        /// Weekday evenings.
        WeekdayEvening = "weekday-evening",
        /// Weekends.
        Weekend = "weekend",
        /// Any time.
        Any = "any",
    }
}

/// How the client would pay: a panel, or self-pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// An insurance panel.
    Panel(Panel),
    /// Self-pay.
    SelfPay,
}

/// What a post asks for: facets from closed lists, and an optional short text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    /// The service.
    pub service: Service,
    /// The client's age band.
    pub age_band: AgeBand,
    /// What it is about.
    #[serde(default)]
    pub specialties: Vec<Specialty>,
    /// How it should be treated, if that matters.
    #[serde(default)]
    pub modalities: Vec<Modality>,
    /// How the client would pay.
    #[serde(default)]
    pub payer: Option<Payer>,
    /// In person, around this 3-digit ZIP.
    #[serde(default)]
    pub zip3: Option<String>,
    /// Or by telehealth, in this state (postal code).
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
    /// A short text (refused when it names anyone or anything identifying).
    #[serde(default)]
    pub text: Option<String>,
}

impl Need {
    /// Whether it asks for substance-use treatment: 42 CFR Part 2 applies, and the post carries
    /// no free text at all.
    pub fn is_substance_use(&self) -> bool {
        self.specialties.contains(&Specialty::SubstanceUse)
    }
}

/// The notice every substance-use need carries.
pub const PART2_NOTICE: &str = "Substance-use treatment: federal rules (42 CFR Part 2) protect \
    anything that could identify this person as seeking it. Share nothing beyond these facets \
    until the client has consented in writing.";

/// How long a post stays open unless said: 7 days.
pub const DEFAULT_POST_DAYS: u32 = 7;
/// The longest a post stays open: 30 days.
pub const MAX_POST_DAYS: u32 = 30;
/// The longest free text of a post, in characters.
pub const MAX_POST_TEXT_CHARS: usize = 280;

/// A need to post to the current region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    /// What it asks for.
    pub need: Need,
    /// Days it stays open: [`DEFAULT_POST_DAYS`] when `None`, at most [`MAX_POST_DAYS`].
    pub expires_days: Option<u32>,
}

/// Which posts to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostFilter {
    /// Only the open posts that fit this member's card.
    pub fits_me: bool,
    /// Only this member's own posts (open or not).
    pub mine: bool,
}

string_enum! {
    /// How a reply answers a post.
    Fit("fit") {
        /// I can see them.
        Yes = "yes",
        /// Yes, after a wait.
        Waitlist = "waitlist",
        /// Not a fit (the note may say who to try).
        No = "no",
    }
}

string_enum! {
    /// How the author closes a post.
    Outcome("outcome") {
        /// The client was connected with a colleague (`--with`).
        Connected = "connected",
        /// Nobody could take the client.
        NotPlaced = "not-placed",
        /// The author withdrew it.
        Withdrawn = "withdrawn",
    }
}

/// A reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyInput {
    /// Yes, waitlist or no.
    pub fit: Fit,
    /// Within about how many weeks (1 to 104).
    pub weeks: Option<u32>,
    /// A short note ("try …"), checked as a post's text is.
    pub note: Option<String>,
}

/// A reply as the post's author reads it: sealed to her devices only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The responder's member id in the region.
    pub member_id: String,
    /// Her name.
    pub member: String,
    /// Yes, waitlist or no.
    pub fit: Fit,
    /// Within about how many weeks.
    pub weeks: Option<u32>,
    /// Her note.
    pub note: Option<String>,
    /// Her profile card, to call her.
    pub card: Card,
    /// When she replied (RFC 3339).
    pub at: String,
}

/// A post as a device shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Its id.
    pub id: String,
    /// The posting member's id.
    pub author_id: String,
    /// Her name.
    pub author: String,
    /// Whether this member posted it.
    pub mine: bool,
    /// What it asks for (its facets sit beside the other fields in JSON).
    #[serde(flatten)]
    pub need: Need,
    /// `open`, `connected`, `not-placed`, `withdrawn` or `expired`.
    pub status: String,
    /// When it was posted (RFC 3339).
    pub posted_at: String,
    /// When it closes unless closed before (RFC 3339).
    pub expires_at: String,
    /// Whether it fits this member's card (see [`fit`]).
    pub fits: bool,
    /// How well it fits: facets of the card it matches beyond the required ones.
    pub score: u32,
    /// The Part 2 notice, on a substance-use need.
    pub notice: Option<String>,
    /// Replies received (the author's devices only see them).
    pub replies: u64,
    /// When closed as connected: the member the author connected the client with.
    pub closed_with_id: Option<String>,
    /// Her name.
    pub closed_with: Option<String>,
}

/// Whether a need fits a card, and how well. It fits when nothing on the card rules it out:
/// the card is not full; the age band is one the card sees (when it lists any); the payer is a
/// panel the card is on, or self-pay with a self-pay range on the card; in person, the same
/// 3-digit ZIP, or by telehealth, a state the card lists; the language, one the card lists
/// (when it lists any). The score counts the specialties and modalities the card shares with
/// the need, plus one when the card is accepting now.
pub fn fit(need: &Need, card: &Card) -> (bool, u32) {
    let mut fits = card.openings != Some(Openings::Full);
    if !card.age_bands.is_empty() && !card.age_bands.contains(&need.age_band) {
        fits = false;
    }
    match need.payer {
        Some(Payer::Panel(p)) if !card.panels.contains(&p) => fits = false,
        Some(Payer::SelfPay) if card.self_pay.is_none() => fits = false,
        _ => {}
    }
    let place = match (&need.zip3, &need.telehealth) {
        (Some(z), _) if card.zip3.as_deref() == Some(z.as_str()) => true,
        (_, Some(st)) if card.telehealth.iter().any(|t| t == st) => true,
        (None, None) => true,
        _ => false,
    };
    fits &= place;
    if let Some(l) = need.language {
        if !card.languages.is_empty() && !card.languages.contains(&l) {
            fits = false;
        }
    }
    let shared = need
        .specialties
        .iter()
        .filter(|s| card.specialties.contains(s))
        .count()
        + need
            .modalities
            .iter()
            .filter(|m| card.modalities.contains(m))
            .count();
    let score = shared as u32 + u32::from(card.openings == Some(Openings::Accepting));
    (fits, score)
}

/// Checks a need before it is posted: its ZIP and state, and its text, which must be short and
/// hold no name of a contact or organization this device knows (`known`, lower case), no date,
/// phone number or email address, and none of a few identifying words; a substance-use need
/// holds no text at all. The error says which rule, never repeating the text.
pub fn check_need(need: &Need, known: &[String]) -> Result<()> {
    if let Some(z) = &need.zip3 {
        super::profile::parse_zip3(z)?;
    }
    if let Some(st) = &need.telehealth {
        if super::profile::parse_state(st)? != *st {
            return Err(Error::invalid(
                "write the telehealth state as its two capital letters (e.g. MA)",
            ));
        }
    }
    let Some(text) = need.text.as_deref() else {
        return Ok(());
    };
    let refuse = |why: &str| Err(Error::invalid(format!("nothing was posted: {why}")));
    if need.is_substance_use() {
        return refuse(
            "a substance-use need carries no free text at all (42 CFR Part 2); the facets say enough",
        );
    }
    check_text(text, known)
}

/// Checks a free text that goes with a post or a reply: short, and holding no name of a
/// contact or organization this device knows (`known`, lower case), no date, phone number or
/// email address, and none of a few identifying words. The error says which rule, never
/// repeating the text.
pub fn check_text(text: &str, known: &[String]) -> Result<()> {
    let refuse = |why: &str| Err(Error::invalid(format!("nothing was posted: {why}")));
    if text.chars().count() > MAX_POST_TEXT_CHARS {
        return refuse(&format!(
            "the text is longer than {MAX_POST_TEXT_CHARS} characters; the facets carry the rest"
        ));
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_end_matches("'s").trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    if known.iter().any(|name| named_in(&lower, &words, name)) {
        return refuse(
            "the text names a contact or an organization this device knows; leave every name out",
        );
    }
    if text.contains('@') {
        return refuse("the text holds an email address; leave contact details out");
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits >= 7 {
        return refuse("the text holds a phone number or another long number; leave it out");
    }
    if has_date(&lower, &words) {
        return refuse(
            "the text holds a date; the post says how soon, and dates can identify a person",
        );
    }
    if let Some(w) = words.iter().find(|w| IDENTIFYING.contains(w)) {
        return refuse(&format!(
            "the text says \"{w}\", which can help identify a person; describe the need with the facets"
        ));
    }
    Ok(())
}

/// Words that point at a person's identity (where they study or work, their family, their
/// birthday), refused in a post's text.
const IDENTIFYING: &[&str] = &[
    "school",
    "grade",
    "grader",
    "teacher",
    "classroom",
    "district",
    "church",
    "parish",
    "congregation",
    "employer",
    "coworker",
    "boss",
    "address",
    "street",
    "avenue",
    "apartment",
    "born",
    "birthday",
    "dob",
    "named",
    "name",
    "son",
    "daughter",
    "husband",
    "wife",
    "mother",
    "father",
    "brother",
    "sister",
    "nephew",
    "niece",
    "grandson",
    "granddaughter",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Whether `name` (lower case) appears in the text: the whole name, or (for a name of several
/// words) any word of it of four letters or more standing alone.
fn named_in(lower: &str, words: &[&str], name: &str) -> bool {
    let name = name.trim();
    if name.len() < 3 {
        return false;
    }
    if lower.contains(name) {
        return true;
    }
    name.split_whitespace()
        .filter(|part| part.chars().count() >= 4)
        .any(|part| words.contains(&part))
}

/// A date: `3/14`, `3-14-2026`, `2026-03-14`, or a month's name beside a number.
fn has_date(lower: &str, words: &[&str]) -> bool {
    let bytes = lower.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b'/' || *b == b'-' || *b == b'.')
            && i > 0
            && i + 1 < bytes.len()
            && bytes[i - 1].is_ascii_digit()
            && bytes[i + 1].is_ascii_digit()
        {
            return true;
        }
    }
    words.windows(2).any(|w| {
        let number = |s: &str| {
            s.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse::<u32>()
                .is_ok()
        };
        (MONTHS.contains(&w[0]) && number(w[1])) || (number(w[0]) && MONTHS.contains(&w[1]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(text: &str) -> Need {
        Need {
            service: Service::Individual,
            age_band: AgeBand::Teen,
            specialties: vec![Specialty::Anxiety],
            modalities: vec![Modality::Cbt],
            payer: Some(Payer::Panel(Panel::Aetna)),
            zip3: None,
            telehealth: Some("MA".into()),
            language: None,
            when: None,
            urgency: Urgency::Soon,
            text: Some(text.into()),
        }
    }

    #[test]
    fn texts_that_could_identify_someone_are_refused_with_the_rule_not_the_text() {
        let known = vec![
            "rosa jimenez".to_string(),
            "lincoln middle school".to_string(),
        ];
        assert!(check_need(&need("Prefers a therapist who does CBT, evenings"), &known).is_ok());
        for (text, rule) in [
            ("Referred by Rosa last week", "names a contact"),
            ("From lincoln middle school", "names a contact"),
            ("Call me at 413 555 0199", "phone number"),
            ("write to dana@example.org", "email"),
            ("Seen on 3/14 by her pediatrician", "date"),
            ("Intake March 3 if possible", "date"),
            ("Her daughter is struggling", "\"daughter\""),
            ("Is in 8th grade", "\"grade\""),
        ] {
            let e = check_need(&need(text), &known).unwrap_err().to_string();
            assert!(e.contains(rule), "{text}: {e}");
            assert!(!e.contains(text), "{e}");
        }
        let mut su = need("anything");
        su.specialties.push(Specialty::SubstanceUse);
        assert!(check_need(&su, &known)
            .unwrap_err()
            .to_string()
            .contains("Part 2"));
        su.text = None;
        assert!(check_need(&su, &known).is_ok());
    }

    #[test]
    fn a_need_fits_a_card_that_nothing_rules_out_and_scores_what_they_share() {
        let n = need("");
        let mut card = Card {
            age_bands: vec![AgeBand::Teen],
            panels: vec![Panel::Aetna],
            telehealth: vec!["MA".into()],
            specialties: vec![Specialty::Anxiety],
            modalities: vec![Modality::Cbt],
            openings: Some(Openings::Accepting),
            ..Default::default()
        };
        assert_eq!(fit(&n, &card), (true, 3));
        card.openings = Some(Openings::Full);
        assert!(!fit(&n, &card).0);
        card.openings = Some(Openings::Waitlist { weeks: 2 });
        assert_eq!(fit(&n, &card), (true, 2));
        card.panels = vec![Panel::Cigna];
        assert!(!fit(&n, &card).0, "not on the panel");
        card.panels = vec![Panel::Aetna];
        card.telehealth = vec!["NY".into()];
        assert!(!fit(&n, &card).0, "not licensed there");
        card.telehealth = vec!["MA".into()];
        card.age_bands = vec![AgeBand::Adult];
        assert!(!fit(&n, &card).0, "another age band");
    }
}
