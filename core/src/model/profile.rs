//! A therapist's profile card: what referral sources and colleagues need to know to send her a
//! client (specialties, who she sees, how she works, how she is paid, where, whether she is
//! taking new clients) and her elevator pitch. Every list is a closed vocabulary, so a card
//! matches a need without free text; the card holds nothing about any client.

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};

string_enum! {
    /// What a therapist treats.
    Specialty("specialty") {
        /// Anxiety.
        Anxiety = "anxiety",
        /// Depression.
        Depression = "depression",
        /// Trauma and PTSD.
        TraumaPtsd = "trauma-ptsd",
        /// ADHD.
        Adhd = "adhd",
        /// Autism.
        Autism = "autism",
        /// Eating disorders.
        EatingDisorders = "eating-disorders",
        /// Substance use.
        SubstanceUse = "substance-use",
        /// Grief and loss.
        GriefLoss = "grief-loss",
        /// Relationship issues.
        Relationships = "relationships",
        /// Parenting.
        Parenting = "parenting",
        /// Self-harm.
        SelfHarm = "self-harm",
        /// OCD.
        Ocd = "ocd",
        /// Bipolar disorder.
        Bipolar = "bipolar",
        /// Psychosis.
        Psychosis = "psychosis",
        /// School refusal and school problems.
        SchoolIssues = "school-issues",
        /// Gender and sexual identity.
        Identity = "identity",
        /// Anger.
        Anger = "anger",
        /// Sleep.
        Sleep = "sleep",
        /// Living with chronic illness.
        ChronicIllness = "chronic-illness",
        /// Perinatal and postpartum.
        Perinatal = "perinatal",
    }
}

string_enum! {
    /// Who a therapist sees.
    Population("population") {
        /// Children.
        Children = "children",
        /// Adolescents.
        Adolescents = "adolescents",
        /// Young adults.
        YoungAdults = "young-adults",
        /// Adults.
        Adults = "adults",
        /// Older adults.
        OlderAdults = "older-adults",
        /// Couples.
        Couples = "couples",
        /// Families.
        Families = "families",
        /// LGBTQ+ people.
        Lgbtq = "lgbtq",
        /// Veterans.
        Veterans = "veterans",
        /// First responders.
        FirstResponders = "first-responders",
        /// College students.
        CollegeStudents = "college-students",
    }
}

string_enum! {
    /// An age band, as cards and needs name ages (never a birth date or an exact age).
    AgeBand("age band") {
        /// 0 to 5.
        Under6 = "0-5",
        /// 6 to 12.
        Child = "6-12",
        /// 13 to 17.
        Teen = "13-17",
        /// 18 to 25.
        YoungAdult = "18-25",
        /// 26 to 64.
        Adult = "26-64",
        /// 65 and over.
        Older = "65+",
    }
}

string_enum! {
    /// How a therapist works.
    Modality("modality") {
        /// Cognitive behavioral therapy.
        Cbt = "cbt",
        /// Dialectical behavior therapy.
        Dbt = "dbt",
        /// EMDR.
        Emdr = "emdr",
        /// Acceptance and commitment therapy.
        Act = "act",
        /// Play therapy.
        Play = "play-therapy",
        /// Family systems.
        FamilySystems = "family-systems",
        /// Psychodynamic.
        Psychodynamic = "psychodynamic",
        /// Motivational interviewing.
        MotivationalInterviewing = "motivational-interviewing",
        /// Exposure and response prevention.
        Erp = "erp",
        /// Parent-child interaction therapy.
        Pcit = "pcit",
        /// Trauma-focused CBT.
        TfCbt = "tf-cbt",
        /// The Gottman method.
        Gottman = "gottman",
        /// Emotionally focused therapy.
        Eft = "eft",
        /// Solution-focused.
        SolutionFocused = "solution-focused",
        /// Mindfulness-based.
        Mindfulness = "mindfulness",
        /// Art therapy.
        Art = "art-therapy",
    }
}

string_enum! {
    /// An insurance panel.
    Panel("insurance panel") {
        /// Aetna.
        Aetna = "aetna",
        /// Anthem.
        Anthem = "anthem",
        /// Blue Cross Blue Shield.
        Bcbs = "bcbs",
        /// Cigna.
        Cigna = "cigna",
        /// Humana.
        Humana = "humana",
        /// Kaiser Permanente.
        Kaiser = "kaiser",
        /// Magellan.
        Magellan = "magellan",
        /// Medicaid.
        Medicaid = "medicaid",
        /// Medicare.
        Medicare = "medicare",
        /// Optum.
        Optum = "optum",
        /// Tricare.
        Tricare = "tricare",
        /// UnitedHealthcare.
        United = "united",
    }
}

string_enum! {
    /// A language a therapist works in.
    Language("language") {
        /// Arabic.
        Arabic = "ar",
        /// American Sign Language.
        Asl = "asl",
        /// German.
        German = "de",
        /// English.
        English = "en",
        /// Spanish.
        Spanish = "es",
        /// Persian.
        Persian = "fa",
        /// French.
        French = "fr",
        /// Hebrew.
        Hebrew = "he",
        /// Hindi.
        Hindi = "hi",
        /// Haitian Creole.
        HaitianCreole = "ht",
        /// Italian.
        Italian = "it",
        /// Japanese.
        Japanese = "ja",
        /// Korean.
        Korean = "ko",
        /// Polish.
        Polish = "pl",
        /// Portuguese.
        Portuguese = "pt",
        /// Russian.
        Russian = "ru",
        /// Somali.
        Somali = "so",
        /// Tagalog.
        Tagalog = "tl",
        /// Ukrainian.
        Ukrainian = "uk",
        /// Urdu.
        Urdu = "ur",
        /// Vietnamese.
        Vietnamese = "vi",
        /// Chinese.
        Chinese = "zh",
    }
}

string_enum! {
    /// A license or degree.
    Credential("credential") {
        /// Licensed clinical social worker.
        Lcsw = "lcsw",
        /// Licensed independent clinical social worker.
        Licsw = "licsw",
        /// Licensed marriage and family therapist.
        Lmft = "lmft",
        /// Licensed professional counselor.
        Lpc = "lpc",
        /// Licensed professional clinical counselor.
        Lpcc = "lpcc",
        /// Licensed mental health counselor.
        Lmhc = "lmhc",
        /// Licensed clinical professional counselor.
        Lcpc = "lcpc",
        /// Doctor of psychology.
        Psyd = "psyd",
        /// Doctor of philosophy.
        Phd = "phd",
        /// Doctor of medicine.
        Md = "md",
        /// Psychiatric mental health nurse practitioner.
        Pmhnp = "pmhnp",
        /// Licensed psychologist.
        Lp = "lp",
        /// Licensed creative arts therapist.
        Lcat = "lcat",
        /// Board certified behavior analyst.
        Bcba = "bcba",
    }
}

/// The US states (and DC) a therapist may be licensed for telehealth in, as postal codes.
pub const US_STATES: &[&str] = &[
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN",
    "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ",
    "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA",
    "WI", "WV", "WY",
];

/// A US state's postal code, upper case; an error lists what is accepted.
pub fn parse_state(s: &str) -> Result<String> {
    let up = s.trim().to_ascii_uppercase();
    if US_STATES.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(Error::invalid(format!(
            "\"{s}\" is not a US state's two-letter postal code (for example MA, NY or DC)"
        )))
    }
}

/// The first three digits of a ZIP code: the finest place a card or a need names (HIPAA's Safe
/// Harbor allows no finer geography).
pub fn parse_zip3(s: &str) -> Result<String> {
    let t = s.trim();
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(Error::invalid(format!(
            "\"{s}\" is not the first three digits of a ZIP code (for example 010)"
        )))
    }
}

/// Whether a therapist is taking new clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Openings {
    /// Taking new clients now.
    Accepting,
    /// Taking new clients after a wait.
    Waitlist {
        /// About how many weeks.
        weeks: u32,
    },
    /// Not taking new clients.
    Full,
}

impl Openings {
    /// Reads `accepting`, `waitlist:WEEKS` or `full`.
    pub fn parse(s: &str) -> Result<Openings> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "accepting" => return Ok(Openings::Accepting),
            "full" => return Ok(Openings::Full),
            _ => {}
        }
        let weeks = t
            .strip_prefix("waitlist:")
            .and_then(|w| w.parse::<u32>().ok())
            .filter(|w| (1..=104).contains(w));
        match weeks {
            Some(weeks) => Ok(Openings::Waitlist { weeks }),
            None => Err(Error::invalid(format!(
                "\"{s}\" is not an openings status: use accepting, waitlist:WEEKS (1 to 104) or full"
            ))),
        }
    }

    /// As typed: `accepting`, `waitlist:WEEKS` or `full`.
    pub fn as_text(&self) -> String {
        match self {
            Openings::Accepting => "accepting".into(),
            Openings::Waitlist { weeks } => format!("waitlist:{weeks}"),
            Openings::Full => "full".into(),
        }
    }
}

/// A self-pay fee range, in whole dollars a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRange {
    /// The lowest fee (a sliding scale's bottom).
    pub min: u32,
    /// The highest.
    pub max: u32,
}

impl FeeRange {
    /// Reads `MIN-MAX` (whole dollars, MIN ≤ MAX ≤ 10000).
    pub fn parse(s: &str) -> Result<FeeRange> {
        let bad = || {
            Error::invalid(format!(
                "\"{s}\" is not a fee range: write MIN-MAX in whole dollars, e.g. 80-150"
            ))
        };
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let min: u32 = a
            .trim()
            .trim_start_matches('$')
            .parse()
            .map_err(|_| bad())?;
        let max: u32 = b
            .trim()
            .trim_start_matches('$')
            .parse()
            .map_err(|_| bad())?;
        if min > max || max > 10_000 {
            return Err(bad());
        }
        Ok(FeeRange { min, max })
    }
}

/// A member's profile card as the practice's workspace document holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Card {
    /// What she treats.
    pub specialties: Vec<Specialty>,
    /// Who she sees.
    pub populations: Vec<Population>,
    /// The ages she sees.
    pub age_bands: Vec<AgeBand>,
    /// How she works.
    pub modalities: Vec<Modality>,
    /// The insurance panels she is on.
    pub panels: Vec<Panel>,
    /// Her self-pay range, if she takes self-pay clients.
    pub self_pay: Option<FeeRange>,
    /// The languages she works in.
    pub languages: Vec<Language>,
    /// Where she sees clients in person: the first three digits of the ZIP code.
    pub zip3: Option<String>,
    /// The states she offers telehealth in (postal codes).
    pub telehealth: Vec<String>,
    /// Her licenses and degrees.
    pub credentials: Vec<Credential>,
    /// Whether she is taking new clients.
    pub openings: Option<Openings>,
    /// When she last said so (RFC 3339).
    pub openings_confirmed_at: Option<String>,
    /// Her elevator pitch.
    pub pitch: Option<String>,
}

/// What [`crate::Store::set_profile`] changes: each field given replaces the card's, the others
/// stay (an empty list clears that list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardUpdate {
    /// Replaces the specialties.
    pub specialties: Option<Vec<Specialty>>,
    /// Replaces the populations.
    pub populations: Option<Vec<Population>>,
    /// Replaces the age bands.
    pub age_bands: Option<Vec<AgeBand>>,
    /// Replaces the modalities.
    pub modalities: Option<Vec<Modality>>,
    /// Replaces the panels.
    pub panels: Option<Vec<Panel>>,
    /// Sets (or, with `Some(None)`, clears) the self-pay range.
    pub self_pay: Option<Option<FeeRange>>,
    /// Replaces the languages.
    pub languages: Option<Vec<Language>>,
    /// Sets (or clears) the 3-digit ZIP.
    pub zip3: Option<Option<String>>,
    /// Replaces the telehealth states.
    pub telehealth: Option<Vec<String>>,
    /// Replaces the credentials.
    pub credentials: Option<Vec<Credential>>,
    /// Sets the openings, and confirms them as of now (also when unchanged).
    pub openings: Option<Openings>,
    /// Sets (or clears) the pitch.
    pub pitch: Option<Option<String>>,
}

/// A member's card as shown: whose it is, and whether her openings need confirming again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Member id.
    pub member_id: String,
    /// Her name.
    pub name: String,
    /// Whether it is this device's member's own card.
    pub mine: bool,
    /// The card.
    pub card: Card,
    /// Set when her openings were last confirmed more than 30 days ago (or never): a nudge to
    /// say again whether she is taking new clients.
    pub openings_stale: bool,
}

/// After how many days a card's openings are shown as needing confirmation.
pub const OPENINGS_FRESH_DAYS: i64 = 30;
