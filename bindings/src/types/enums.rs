//! The core's closed sets of names (kinds, categories, stages, roles), restated as uniffi
//! enums that convert both ways.

use trellis_core::{
    ActivityKind as CoreActivityKind, ContactCategory as CoreContactCategory,
    OrgKind as CoreOrgKind, Role as CoreRole, SetAsideReason as CoreSetAsideReason,
    Stage as CoreStage,
};

mirror_enum! {
    /// What kind of place an organization is.
    OrgKind => CoreOrgKind {
        /// A school or district.
        School,
        /// A clinic or group practice.
        Clinic,
        /// A primary-care or pediatric office.
        PrimaryCare,
        /// A hospital.
        Hospital,
        /// A church, synagogue, mosque or temple.
        PlaceOfWorship,
        /// A law firm.
        LawFirm,
        /// A yoga studio, acupuncture or massage practice, gym.
        Wellness,
        /// A service club or community organization.
        CommunityOrg,
        /// A professional association or chapter.
        ProfessionalOrg,
        /// Anything else.
        Other,
    }
}

mirror_enum! {
    /// What kind of referral source a contact is.
    ContactCategory => CoreContactCategory {
        /// School counselor.
        SchoolCounselor,
        /// School psychologist.
        SchoolPsychologist,
        /// Social worker.
        SocialWorker,
        /// Pediatrician.
        Pediatrician,
        /// Primary-care physician.
        PrimaryCare,
        /// Psychiatrist.
        Psychiatrist,
        /// Therapist or counselor.
        Therapist,
        /// Clergy.
        Clergy,
        /// Family lawyer.
        FamilyLawyer,
        /// Other attorney.
        Attorney,
        /// Nutritionist or dietitian.
        Nutritionist,
        /// Yoga teacher.
        Yoga,
        /// Acupuncturist.
        Acupuncture,
        /// Massage therapist.
        Massage,
        /// Community leader.
        CommunityLeader,
        /// Anything else.
        Other,
    }
}

mirror_enum! {
    /// What kind of networking activity was logged.
    ActivityKind => CoreActivityKind {
        /// Dropping by in person.
        DropBy,
        /// A scheduled meeting.
        Meeting,
        /// A phone call.
        Call,
        /// An email.
        Email,
        /// A talk given to a group.
        Talk,
        /// A workshop.
        Workshop,
        /// A training or CEU event.
        Training,
        /// A community or professional event.
        Event,
        /// Pro-bono or board service.
        ProBono,
        /// A listserv post.
        Listserv,
        /// A thank-you note.
        ThankYou,
        /// A gift.
        Gift,
    }
}

mirror_enum! {
    /// A member's role in a workspace.
    Role => CoreRole {
        /// Created the workspace; may do everything.
        Owner,
        /// May invite members and devices.
        Admin,
        /// May read and write the workspace's data and add their own devices.
        Member,
    }
}
mirror_enum! {
    /// Where a relationship with a referral source stands. Moved by hand with `set_stage`;
    /// recording the first referral received from a contact moves it to `Referring`.
    Stage => CoreStage {
        /// Not met yet.
        Prospect,
        /// Met once or introduced.
        Introduced,
        /// An ongoing relationship.
        Connected,
        /// Has referred clients.
        Referring,
        /// Referrals go both ways.
        Reciprocal,
        /// Gone quiet.
        Dormant,
    }
}

mirror_enum! {
    /// Why a pulled log entry was set aside instead of applied.
    SetAsideReason => CoreSetAsideReason {
        /// It does not open with any key this device holds of the practice.
        Unreadable,
        /// It opens, but is not an automerge change.
        NotAChange,
        /// Its content is not the change its hash names.
        HashMismatch,
        /// Automerge refused it (e.g. it reuses a sequence number its author already used).
        Refused,
        /// Its signature does not verify, or its signer is not in the practice's roster.
        Unsigned,
        /// Its change is written under another device's name.
        WrongAuthor,
        /// Signed by a device after it was revoked or its member removed.
        AfterRemoval,
        /// Signed under a roster this device's does not match (a fork).
        Fork,
    }
}
