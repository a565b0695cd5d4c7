//! The regional referral exchange: a need in closed facets (never a client's identity), a post
//! as a device shows it (ranked against this member's own card), a reply and how a post is
//! closed.
//!
//! The facets reuse the profile card's vocabularies ([`AgeBand`], [`Specialty`], [`Modality`],
//! [`Panel`], [`Language`]); the exchange's own lists are restated with [`mirror_enum!`].
//! Every rule (what text is refused, the 42 CFR Part 2 notice, the fit and its score, who may
//! read replies) is the core's (`core/src/model/exchange.rs`, `core/src/features/exchange.rs`).

use trellis_core::{
    Fit as CoreFit, Outcome as CoreOutcome, Payer as CorePayer, Service as CoreService,
    Urgency as CoreUrgency, When as CoreWhen,
};

use super::profile::{AgeBand, Language, Modality, Panel, ProfileCard, Specialty};

mirror_enum! {
    /// The service a need asks for.
    Service => CoreService {
        /// Individual therapy.
        Individual,
        /// Couples therapy.
        Couples,
        /// Family therapy.
        Family,
        /// A group.
        Group,
        /// A medication evaluation.
        MedicationEvaluation,
        /// Psychological testing.
        Testing,
    }
}

mirror_enum! {
    /// How soon the client should be seen.
    Urgency => CoreUrgency {
        /// Within a few weeks.
        Routine,
        /// Within a week or two.
        Soon,
        /// This week.
        Urgent,
    }
}

mirror_enum! {
    /// When in the week the client can come.
    When => CoreWhen {
        /// Weekdays, daytime.
        WeekdayDaytime,
        /// Weekday evenings.
        WeekdayEvening,
        /// Weekends.
        Weekend,
        /// Any time.
        Any,
    }
}

mirror_enum! {
    /// How a reply answers a post.
    Fit => CoreFit {
        /// I can see them.
        Yes,
        /// Yes, after a wait.
        Waitlist,
        /// Not a fit (the note may say who to try).
        No,
    }
}

mirror_enum! {
    /// How the author closes a post.
    Outcome => CoreOutcome {
        /// The client was connected with a colleague (named with it).
        Connected,
        /// Nobody could take the client.
        NotPlaced,
        /// The author withdrew it.
        Withdrawn,
    }
}

/// How the client would pay: an insurance panel, or self-pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Payer {
    /// An insurance panel.
    Panel {
        /// The panel.
        panel: Panel,
    },
    /// Self-pay.
    SelfPay,
}

impl From<CorePayer> for Payer {
    fn from(p: CorePayer) -> Self {
        match p {
            CorePayer::Panel(panel) => Payer::Panel {
                panel: panel.into(),
            },
            CorePayer::SelfPay => Payer::SelfPay,
        }
    }
}

impl From<Payer> for CorePayer {
    fn from(p: Payer) -> Self {
        match p {
            Payer::Panel { panel } => CorePayer::Panel(panel.into()),
            Payer::SelfPay => CorePayer::SelfPay,
        }
    }
}

mirror_record! {
    /// What a post asks for: facets from closed lists, and an optional short text. Never a
    /// client's name, date of birth or anything else that could identify them: the core refuses
    /// a text that names a contact or organization this device knows, or holds a date, a
    /// number, an email address or an identifying word, and any text on a substance-use need.
    Need from trellis_core::Need {
        /// The service.
        service: Service [into],
        /// The client's age band.
        age_band: AgeBand [into],
        /// What it is about.
        specialties: Vec<Specialty> [list],
        /// How it should be treated, if that matters.
        modalities: Vec<Modality> [list],
        /// How the client would pay.
        payer: Option<Payer> [opt],
        /// In person, around this 3-digit ZIP.
        zip3: Option<String>,
        /// Or by telehealth, in this state (postal code).
        telehealth: Option<String>,
        /// The language of the sessions.
        language: Option<Language> [opt],
        /// When in the week.
        when: Option<When> [opt],
        /// How soon.
        urgency: Urgency [into],
        /// A short text (at most 280 characters; refused when it names anyone or anything
        /// identifying).
        text: Option<String>,
    }
}

impl From<Need> for trellis_core::Need {
    fn from(n: Need) -> Self {
        let Need {
            service,
            age_band,
            specialties,
            modalities,
            payer,
            zip3,
            telehealth,
            language,
            when,
            urgency,
            text,
        } = n;
        trellis_core::Need {
            service: service.into(),
            age_band: age_band.into(),
            specialties: specialties.into_iter().map(Into::into).collect(),
            modalities: modalities.into_iter().map(Into::into).collect(),
            payer: payer.map(Into::into),
            zip3,
            telehealth,
            language: language.map(Into::into),
            when: when.map(Into::into),
            urgency: urgency.into(),
            text,
        }
    }
}

/// A need to post to the current region (`post_need`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewPost {
    /// What it asks for.
    pub need: Need,
    /// Days it stays open: 7 when `None`, 1 to 30 (else `InvalidInput`).
    #[uniffi(default = None)]
    pub expires_days: Option<u32>,
}

impl From<NewPost> for trellis_core::NewPost {
    fn from(p: NewPost) -> Self {
        trellis_core::NewPost {
            need: p.need.into(),
            expires_days: p.expires_days,
        }
    }
}

/// Which posts `posts` lists; both false lists every post of the current region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct PostFilter {
    /// Only the open posts that fit this member's card.
    #[uniffi(default = false)]
    pub fits_me: bool,
    /// Only this member's own posts (open or not).
    #[uniffi(default = false)]
    pub mine: bool,
}

impl From<PostFilter> for trellis_core::PostFilter {
    fn from(f: PostFilter) -> Self {
        trellis_core::PostFilter {
            fits_me: f.fits_me,
            mine: f.mine,
        }
    }
}

/// A reply to send (`reply`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReplyInput {
    /// Yes, waitlist or no.
    pub fit: Fit,
    /// Within about how many weeks (1 to 104).
    #[uniffi(default = None)]
    pub weeks: Option<u32>,
    /// A short note ("try ..."), checked as a post's text is.
    #[uniffi(default = None)]
    pub note: Option<String>,
}

impl From<ReplyInput> for trellis_core::ReplyInput {
    fn from(r: ReplyInput) -> Self {
        trellis_core::ReplyInput {
            fit: r.fit.into(),
            weeks: r.weeks,
            note: r.note,
        }
    }
}

mirror_record! {
    /// A reply as the post's author reads it: sealed to her devices only.
    Reply from trellis_core::Reply {
        /// The responder's member id in the region (32 hex digits).
        member_id: String,
        /// Her name.
        member: String,
        /// Yes, waitlist or no.
        fit: Fit [into],
        /// Within about how many weeks.
        weeks: Option<u32>,
        /// Her note.
        note: Option<String>,
        /// Her profile card (from her current practice), to call her.
        card: ProfileCard [into],
        /// When she replied (RFC 3339).
        at: String,
    }
}

mirror_record! {
    /// A post as this device shows it, ranked against this member's own card.
    Post from trellis_core::Post {
        /// Its id (32 hex digits).
        id: String,
        /// The posting member's id in the region.
        author_id: String,
        /// Her name.
        author: String,
        /// Whether this member posted it.
        mine: bool,
        /// What it asks for.
        need: Need [into],
        /// `open`, `connected`, `not-placed`, `withdrawn` or `expired`.
        status: String,
        /// When it was posted (RFC 3339).
        posted_at: String,
        /// When it closes unless closed before (RFC 3339).
        expires_at: String,
        /// Whether it fits this member's card (nothing on the card rules it out).
        fits: bool,
        /// How well it fits: facets of the card it matches beyond the required ones.
        score: u32,
        /// The 42 CFR Part 2 notice, on a substance-use need (`part2_notice()`).
        notice: Option<String>,
        /// Replies received (only the author's devices can read them).
        replies: u64,
        /// When closed as connected: the member id of the colleague the client was connected
        /// with.
        closed_with_id: Option<String>,
        /// Her name.
        closed_with: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_converts_both_ways_unchanged() {
        let need = Need {
            service: Service::Individual,
            age_band: AgeBand::Teen,
            specialties: vec![Specialty::Anxiety],
            modalities: vec![Modality::Cbt],
            payer: Some(Payer::Panel {
                panel: Panel::Aetna,
            }),
            zip3: Some("010".into()),
            telehealth: None,
            language: Some(Language::Spanish),
            when: Some(When::WeekdayEvening),
            urgency: Urgency::Soon,
            text: Some("prefers evenings".into()),
        };
        let core: trellis_core::Need = need.clone().into();
        assert_eq!(
            core.payer,
            Some(CorePayer::Panel(trellis_core::Panel::Aetna))
        );
        assert_eq!(Need::from(core), need);
        let self_pay: CorePayer = Payer::SelfPay.into();
        assert_eq!(Payer::from(self_pay), Payer::SelfPay);
    }
}
