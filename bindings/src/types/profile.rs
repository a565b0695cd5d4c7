//! Profile cards: the closed vocabularies a card is made of (specialties, populations, age
//! bands, modalities, insurance panels, languages, credentials), openings, the self-pay range,
//! the card as colleagues read it and the update that changes one's own.
//!
//! Each vocabulary is one of the core's `string_enum!` lists restated as a uniffi enum with
//! [`mirror_enum!`], so a value outside the list cannot even be written; [`ProfileChoices`]
//! lists them all in the core's display order for pickers.
//!
//! Two names differ from the core's: the card is `ProfileCard` (the core's `Card`), because
//! Jetpack Compose's `Card` composable would clash with it in every Android screen that shows
//! one; and `CardUpdate`'s self-pay change is a [`SelfPayChange`], because the core's
//! `Option<Option<FeeRange>>` has no form in Kotlin, where `T??` is `T?`.

use trellis_core::{
    AgeBand as CoreAgeBand, Credential as CoreCredential, Language as CoreLanguage,
    Modality as CoreModality, Openings as CoreOpenings, Panel as CorePanel,
    Population as CorePopulation, Specialty as CoreSpecialty,
};

mirror_enum! {
    /// What a therapist treats.
    Specialty => CoreSpecialty {
        /// Anxiety.
        Anxiety,
        /// Depression.
        Depression,
        /// Trauma and PTSD.
        TraumaPtsd,
        /// ADHD.
        Adhd,
        /// Autism.
        Autism,
        /// Eating disorders.
        EatingDisorders,
        /// Substance use.
        SubstanceUse,
        /// Grief and loss.
        GriefLoss,
        /// Relationship issues.
        Relationships,
        /// Parenting.
        Parenting,
        /// Self-harm.
        SelfHarm,
        /// OCD.
        Ocd,
        /// Bipolar disorder.
        Bipolar,
        /// Psychosis.
        Psychosis,
        /// School refusal and school problems.
        SchoolIssues,
        /// Gender and sexual identity.
        Identity,
        /// Anger.
        Anger,
        /// Sleep.
        Sleep,
        /// Living with chronic illness.
        ChronicIllness,
        /// Perinatal and postpartum.
        Perinatal,
    }
}

mirror_enum! {
    /// Who a therapist sees.
    Population => CorePopulation {
        /// Children.
        Children,
        /// Adolescents.
        Adolescents,
        /// Young adults.
        YoungAdults,
        /// Adults.
        Adults,
        /// Older adults.
        OlderAdults,
        /// Couples.
        Couples,
        /// Families.
        Families,
        /// LGBTQ+ people.
        Lgbtq,
        /// Veterans.
        Veterans,
        /// First responders.
        FirstResponders,
        /// College students.
        CollegeStudents,
    }
}

mirror_enum! {
    /// An age band, as cards name ages (never a birth date or an exact age).
    AgeBand => CoreAgeBand {
        /// 0 to 5.
        Under6,
        /// 6 to 12.
        Child,
        /// 13 to 17.
        Teen,
        /// 18 to 25.
        YoungAdult,
        /// 26 to 64.
        Adult,
        /// 65 and over.
        Older,
    }
}

mirror_enum! {
    /// How a therapist works.
    Modality => CoreModality {
        /// Cognitive behavioral therapy.
        Cbt,
        /// Dialectical behavior therapy.
        Dbt,
        /// EMDR.
        Emdr,
        /// Acceptance and commitment therapy.
        Act,
        /// Play therapy.
        Play,
        /// Family systems.
        FamilySystems,
        /// Psychodynamic.
        Psychodynamic,
        /// Motivational interviewing.
        MotivationalInterviewing,
        /// Exposure and response prevention.
        Erp,
        /// Parent-child interaction therapy.
        Pcit,
        /// Trauma-focused CBT.
        TfCbt,
        /// The Gottman method.
        Gottman,
        /// Emotionally focused therapy.
        Eft,
        /// Solution-focused.
        SolutionFocused,
        /// Mindfulness-based.
        Mindfulness,
        /// Art therapy.
        Art,
    }
}

mirror_enum! {
    /// An insurance panel.
    Panel => CorePanel {
        /// Aetna.
        Aetna,
        /// Anthem.
        Anthem,
        /// Blue Cross Blue Shield.
        Bcbs,
        /// Cigna.
        Cigna,
        /// Humana.
        Humana,
        /// Kaiser Permanente.
        Kaiser,
        /// Magellan.
        Magellan,
        /// Medicaid.
        Medicaid,
        /// Medicare.
        Medicare,
        /// Optum.
        Optum,
        /// Tricare.
        Tricare,
        /// UnitedHealthcare.
        United,
    }
}

mirror_enum! {
    /// A language a therapist works in.
    Language => CoreLanguage {
        /// Arabic.
        Arabic,
        /// American Sign Language.
        Asl,
        /// German.
        German,
        /// English.
        English,
        /// Spanish.
        Spanish,
        /// Persian.
        Persian,
        /// French.
        French,
        /// Hebrew.
        Hebrew,
        /// Hindi.
        Hindi,
        /// Haitian Creole.
        HaitianCreole,
        /// Italian.
        Italian,
        /// Japanese.
        Japanese,
        /// Korean.
        Korean,
        /// Polish.
        Polish,
        /// Portuguese.
        Portuguese,
        /// Russian.
        Russian,
        /// Somali.
        Somali,
        /// Tagalog.
        Tagalog,
        /// Ukrainian.
        Ukrainian,
        /// Urdu.
        Urdu,
        /// Vietnamese.
        Vietnamese,
        /// Chinese.
        Chinese,
    }
}

mirror_enum! {
    /// A license or degree.
    Credential => CoreCredential {
        /// Licensed clinical social worker.
        Lcsw,
        /// Licensed independent clinical social worker.
        Licsw,
        /// Licensed marriage and family therapist.
        Lmft,
        /// Licensed professional counselor.
        Lpc,
        /// Licensed professional clinical counselor.
        Lpcc,
        /// Licensed mental health counselor.
        Lmhc,
        /// Licensed clinical professional counselor.
        Lcpc,
        /// Doctor of psychology.
        Psyd,
        /// Doctor of philosophy.
        Phd,
        /// Doctor of medicine.
        Md,
        /// Psychiatric mental health nurse practitioner.
        Pmhnp,
        /// Licensed psychologist.
        Lp,
        /// Licensed creative arts therapist.
        Lcat,
        /// Board certified behavior analyst.
        Bcba,
    }
}

/// Every closed list a card is made of, in the core's display order: what an app shows in its
/// pickers (`profile_choices()`). The US states are postal codes (DC included).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProfileChoices {
    /// What a therapist may treat.
    pub specialties: Vec<Specialty>,
    /// Whom she may see.
    pub populations: Vec<Population>,
    /// The age bands.
    pub age_bands: Vec<AgeBand>,
    /// How she may work.
    pub modalities: Vec<Modality>,
    /// The insurance panels.
    pub panels: Vec<Panel>,
    /// The languages.
    pub languages: Vec<Language>,
    /// The licenses and degrees.
    pub credentials: Vec<Credential>,
    /// The states telehealth may be offered in: US postal codes, `AK` to `WY`, with `DC`.
    pub us_states: Vec<String>,
}

impl ProfileChoices {
    /// The core's lists (`ALL` of each vocabulary, and `US_STATES`), converted.
    pub(crate) fn from_core() -> Self {
        fn all<C: Copy, T: From<C>>(values: &[C]) -> Vec<T> {
            values.iter().copied().map(Into::into).collect()
        }
        ProfileChoices {
            specialties: all(CoreSpecialty::ALL),
            populations: all(CorePopulation::ALL),
            age_bands: all(CoreAgeBand::ALL),
            modalities: all(CoreModality::ALL),
            panels: all(CorePanel::ALL),
            languages: all(CoreLanguage::ALL),
            credentials: all(CoreCredential::ALL),
            us_states: trellis_core::US_STATES
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        }
    }
}

/// Whether a therapist is taking new clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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

impl From<CoreOpenings> for Openings {
    fn from(o: CoreOpenings) -> Self {
        match o {
            CoreOpenings::Accepting => Openings::Accepting,
            CoreOpenings::Waitlist { weeks } => Openings::Waitlist { weeks },
            CoreOpenings::Full => Openings::Full,
        }
    }
}

impl From<Openings> for CoreOpenings {
    fn from(o: Openings) -> Self {
        match o {
            Openings::Accepting => CoreOpenings::Accepting,
            Openings::Waitlist { weeks } => CoreOpenings::Waitlist { weeks },
            Openings::Full => CoreOpenings::Full,
        }
    }
}

mirror_record! {
    /// A self-pay fee range, in whole dollars a session.
    FeeRange from trellis_core::FeeRange {
        /// The lowest fee (a sliding scale's bottom).
        min: u32,
        /// The highest.
        max: u32,
    }
}

impl From<FeeRange> for trellis_core::FeeRange {
    fn from(f: FeeRange) -> Self {
        trellis_core::FeeRange {
            min: f.min,
            max: f.max,
        }
    }
}

mirror_record! {
    /// A member's profile card (the core's `Card`): what referral sources and colleagues need
    /// to know to send her a client. Nothing on it is about any client.
    ProfileCard from trellis_core::Card {
        /// What she treats.
        specialties: Vec<Specialty> [list],
        /// Who she sees.
        populations: Vec<Population> [list],
        /// The ages she sees.
        age_bands: Vec<AgeBand> [list],
        /// How she works.
        modalities: Vec<Modality> [list],
        /// The insurance panels she is on.
        panels: Vec<Panel> [list],
        /// Her self-pay range, if she takes self-pay clients.
        self_pay: Option<FeeRange> [opt],
        /// The languages she works in.
        languages: Vec<Language> [list],
        /// Where she sees clients in person: the first three digits of the ZIP code.
        zip3: Option<String>,
        /// The states she offers telehealth in (postal codes, upper case).
        telehealth: Vec<String>,
        /// Her licenses and degrees.
        credentials: Vec<Credential> [list],
        /// Whether she is taking new clients, if she said.
        openings: Option<Openings> [opt],
        /// When she last said so (RFC 3339).
        openings_confirmed_at: Option<String>,
        /// Her elevator pitch.
        pitch: Option<String>,
    }
}

mirror_record! {
    /// A member's card as shown: whose it is, and whether her openings need confirming again.
    Profile from trellis_core::Profile {
        /// Member id (32 hex digits).
        member_id: String,
        /// Her name.
        name: String,
        /// Whether it is the card of this device's member.
        mine: bool,
        /// The card (empty when she has not written one).
        card: ProfileCard [into],
        /// Her openings were last confirmed more than 30 days ago, or never: on one's own card,
        /// ask "Are you still taking new clients?".
        openings_stale: bool,
    }
}

/// How `CardUpdate` changes the self-pay range.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SelfPayChange {
    /// She takes self-pay clients, for this range.
    Offer {
        /// The fees.
        range: FeeRange,
    },
    /// She takes no self-pay clients: the range is removed.
    Clear,
}

/// What `set_profile` changes on this member's card: each field given replaces that part of
/// it, the others stay. A list given empty clears it; `zip3` or `pitch` given empty (or only
/// spaces) removes it.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct CardUpdate {
    /// Replaces the specialties.
    #[uniffi(default = None)]
    pub specialties: Option<Vec<Specialty>>,
    /// Replaces the populations.
    #[uniffi(default = None)]
    pub populations: Option<Vec<Population>>,
    /// Replaces the age bands.
    #[uniffi(default = None)]
    pub age_bands: Option<Vec<AgeBand>>,
    /// Replaces the modalities.
    #[uniffi(default = None)]
    pub modalities: Option<Vec<Modality>>,
    /// Replaces the insurance panels.
    #[uniffi(default = None)]
    pub panels: Option<Vec<Panel>>,
    /// Sets or removes the self-pay range (a range whose lowest fee is above its highest, or
    /// whose highest is above $10000, is `InvalidInput`).
    #[uniffi(default = None)]
    pub self_pay: Option<SelfPayChange>,
    /// Replaces the languages.
    #[uniffi(default = None)]
    pub languages: Option<Vec<Language>>,
    /// Sets the first three digits of the ZIP code where she sees clients in person (exactly
    /// three digits, else `InvalidInput`); empty removes it.
    #[uniffi(default = None)]
    pub zip3: Option<String>,
    /// Replaces the telehealth states: US postal codes, any case (anything else is
    /// `InvalidInput`).
    #[uniffi(default = None)]
    pub telehealth: Option<Vec<String>>,
    /// Replaces the credentials.
    #[uniffi(default = None)]
    pub credentials: Option<Vec<Credential>>,
    /// Sets the openings and confirms them as of now (also when unchanged): give it only when
    /// she said so. A waitlist is 1 to 104 weeks (else `InvalidInput`).
    #[uniffi(default = None)]
    pub openings: Option<Openings>,
    /// Sets the elevator pitch (at most 600 bytes, else `InvalidInput`); empty removes it.
    #[uniffi(default = None)]
    pub pitch: Option<String>,
}

impl From<CardUpdate> for trellis_core::CardUpdate {
    fn from(u: CardUpdate) -> Self {
        fn list<T, C: From<T>>(v: Option<Vec<T>>) -> Option<Vec<C>> {
            v.map(|items| items.into_iter().map(Into::into).collect())
        }
        // Empty text means "remove": the core clears an empty pitch itself, and takes
        // `Some(None)` to clear the ZIP (it refuses an empty one as no ZIP at all).
        let zip3 = u.zip3.map(|z| (!z.trim().is_empty()).then_some(z));
        trellis_core::CardUpdate {
            specialties: list(u.specialties),
            populations: list(u.populations),
            age_bands: list(u.age_bands),
            modalities: list(u.modalities),
            panels: list(u.panels),
            self_pay: u.self_pay.map(|c| match c {
                SelfPayChange::Offer { range } => Some(range.into()),
                SelfPayChange::Clear => None,
            }),
            languages: list(u.languages),
            zip3,
            telehealth: u.telehealth,
            credentials: list(u.credentials),
            openings: u.openings.map(Into::into),
            pitch: u.pitch.map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(u: CardUpdate) -> trellis_core::CardUpdate {
        u.into()
    }

    #[test]
    fn empty_text_clears_and_unset_fields_stay() {
        let core = convert(CardUpdate {
            zip3: Some("  ".into()),
            pitch: Some(String::new()),
            self_pay: Some(SelfPayChange::Clear),
            ..Default::default()
        });
        assert_eq!(core.zip3, Some(None));
        assert_eq!(core.pitch, Some(Some(String::new())));
        assert_eq!(core.self_pay, Some(None));
        assert_eq!(core.specialties, None);
        assert_eq!(core.openings, None);

        let core = convert(CardUpdate {
            zip3: Some("010".into()),
            self_pay: Some(SelfPayChange::Offer {
                range: FeeRange { min: 80, max: 150 },
            }),
            openings: Some(Openings::Waitlist { weeks: 3 }),
            ..Default::default()
        });
        assert_eq!(core.zip3, Some(Some("010".into())));
        assert_eq!(
            core.self_pay,
            Some(Some(trellis_core::FeeRange { min: 80, max: 150 }))
        );
        assert_eq!(core.openings, Some(CoreOpenings::Waitlist { weeks: 3 }));
    }

    #[test]
    fn the_choices_are_the_cores_lists_in_order() {
        let c = ProfileChoices::from_core();
        assert_eq!(c.specialties.len(), CoreSpecialty::ALL.len());
        assert_eq!(c.specialties[0], Specialty::Anxiety);
        assert_eq!(c.age_bands.last(), Some(&AgeBand::Older));
        assert_eq!(c.languages.len(), CoreLanguage::ALL.len());
        assert_eq!(c.us_states.len(), trellis_core::US_STATES.len());
        assert!(c.us_states.iter().any(|s| s == "DC"));
    }
}
