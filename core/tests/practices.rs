//! Stories of the practices a therapist uses to cultivate referral sources, on one device.

use trellis_core::{
    ActivityKind, ContactCategory, ContactChanges, FollowUpFilter, FollowUpKind, LeftBehind,
    NewActivity, NewContact, NewFollowUp, NewOrg, NewReferral, OrgChanges, OrgKind,
    ReferralDirection, ReferralStatus, Stage, Store,
};

fn practice() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.sqlite3")).unwrap();
    store.init("Dana Whitfield").unwrap();
    store.create_workspace("Maple Street Counseling").unwrap();
    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            kind: Some(OrgKind::School),
            location: Some((45.5231, -122.6765)),
            ..Default::default()
        })
        .unwrap();
    store
        .add_org(&NewOrg {
            name: "Riverside Pediatrics".into(),
            kind: Some(OrgKind::PrimaryCare),
            location: Some((45.5400, -122.6500)),
            ..Default::default()
        })
        .unwrap();
    store
        .add_org(&NewOrg {
            name: "Downtown Rotary".into(),
            kind: Some(OrgKind::CommunityOrg),
            ..Default::default()
        })
        .unwrap();
    for (name, org, category) in [
        ("Rosa Jimenez", "Lincoln", ContactCategory::SchoolCounselor),
        ("Dr. Amir Patel", "Riverside", ContactCategory::Pediatrician),
    ] {
        store
            .add_contact(&NewContact {
                name: name.into(),
                organization: Some(org.into()),
                category: Some(category),
                ..Default::default()
            })
            .unwrap();
    }
    (dir, store)
}

fn visit(store: &Store, org: &str, contact: &str, at: &str, left: &[(&str, u32)]) {
    store
        .log_activity(&NewActivity {
            organization: Some(org.into()),
            contacts: vec![contact.into()],
            minutes: 20,
            at: Some(at.into()),
            left_behind: left
                .iter()
                .map(|(item, qty)| LeftBehind {
                    item: item.to_string(),
                    qty: *qty,
                })
                .collect(),
            ..Default::default()
        })
        .unwrap();
}

#[test]
fn a_drop_by_asks_for_a_thank_you_within_two_days_which_can_be_done_snoozed_or_reassigned() {
    let (_dir, store) = practice();
    visit(&store, "Lincoln", "Rosa", "2026-11-16T15:00:00Z", &[]);
    let open = store.followups(FollowUpFilter::Open).unwrap();
    assert_eq!(open.len(), 1);
    let thanks = &open[0];
    assert_eq!(thanks.kind, FollowUpKind::ThankYou);
    assert_eq!(thanks.contact.as_deref(), Some("Rosa Jimenez"));
    assert_eq!(thanks.due_at, "2026-11-18T15:00:00Z", "48 hours later");
    assert_eq!(thanks.assigned_to, "Dana Whitfield");
    assert!(thanks.overdue, "that was in the past");
    assert_eq!(store.followups(FollowUpFilter::Overdue).unwrap().len(), 1);

    // A call does not call for a thank-you; a value-added check-in is added by hand.
    store
        .log_activity(&NewActivity {
            kind: Some(ActivityKind::Call),
            contacts: vec!["Patel".into()],
            minutes: 5,
            ..Default::default()
        })
        .unwrap();
    let check_in = store
        .add_followup(&NewFollowUp {
            kind: Some(FollowUpKind::SendResource),
            contact: Some("Patel".into()),
            due: Some("2099-01-05".into()),
            note: Some("Send the teen sleep handout".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        check_in.organization.as_deref(),
        Some("Riverside Pediatrics")
    );
    assert!(!check_in.overdue);
    assert_eq!(store.followups(FollowUpFilter::Open).unwrap().len(), 2);

    let snoozed = store
        .snooze_followup(&thanks.id[..8], "2099-01-02")
        .unwrap();
    assert!(snoozed.due_at.starts_with("2099-01-02"));
    assert!(store.followups(FollowUpFilter::Overdue).unwrap().is_empty());
    let same = store.reassign_followup(&thanks.id[..8], "dana").unwrap();
    assert_eq!(same.assigned_to, "Dana Whitfield");
    assert!(store.reassign_followup(&thanks.id[..8], "Nobody").is_err());

    let done = store.complete_followup(&thanks.id[..8]).unwrap();
    assert!(done.done_at.is_some());
    let open = store.followups(FollowUpFilter::Open).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, check_in.id);
    assert_eq!(store.followups(FollowUpFilter::All).unwrap().len(), 2);
    // The contact page shows what is still open with that contact, and its history.
    let patel = store.contact("Patel").unwrap();
    assert_eq!(patel.followups.len(), 1);
    assert_eq!(patel.history.len(), 1);
    assert_eq!(patel.history[0].kind, ActivityKind::Call);
    assert_eq!(store.contact("Rosa").unwrap().history.len(), 1);
    assert!(store.contact("Rosa").unwrap().followups.is_empty());
}

#[test]
fn contacts_past_their_cadence_lead_the_losing_touch_list_until_touched() {
    let (_dir, store) = practice();
    visit(&store, "Lincoln", "Rosa", "2026-01-05T15:00:00Z", &[]);
    visit(&store, "Riverside", "Patel", "2026-01-05T15:00:00Z", &[]);
    let list = store.losing_touch().unwrap();
    let names: Vec<&str> = list.iter().map(|l| l.contact.name.as_str()).collect();
    // Both are past due; the counselor's monthly cadence is further behind than the
    // pediatrician's six weeks.
    assert_eq!(names, ["Rosa Jimenez", "Dr. Amir Patel"]);
    assert_eq!(list[0].contact.cadence_days, 30);
    assert_eq!(list[1].contact.cadence_days, 45);
    assert_eq!(list[0].days_overdue - list[1].days_overdue, 15);

    // A longer cadence for Rosa puts her behind Dr. Patel; a touch today clears her.
    store.set_cadence("Rosa", 60).unwrap();
    let names: Vec<String> = store
        .losing_touch()
        .unwrap()
        .into_iter()
        .map(|l| l.contact.name)
        .collect();
    assert_eq!(names, ["Dr. Amir Patel", "Rosa Jimenez"]);
    store
        .log_activity(&NewActivity {
            kind: Some(ActivityKind::Email),
            contacts: vec!["Rosa".into()],
            minutes: 5,
            ..Default::default()
        })
        .unwrap();
    let names: Vec<String> = store
        .losing_touch()
        .unwrap()
        .into_iter()
        .map(|l| l.contact.name)
        .collect();
    assert_eq!(names, ["Dr. Amir Patel"]);
    // A dormant contact is not nagged about.
    store.set_stage("Patel", Stage::Dormant).unwrap();
    assert!(store.losing_touch().unwrap().is_empty());
    assert!(store.set_cadence("Rosa", 0).is_err());
}

#[test]
fn referrals_move_a_source_to_referring_and_add_up_in_reports_without_client_identity() {
    let (_dir, store) = practice();
    store.set_stage("Rosa", Stage::Connected).unwrap();
    let referral = |dir, partner: &str, reason: &str, status, on: &str| NewReferral {
        direction: dir,
        partner: partner.into(),
        reason: reason.into(),
        status,
        channel: None,
        on: Some(on.into()),
        note: None,
    };
    use ReferralDirection::{Received, Sent};
    store
        .add_referral(&referral(
            Received,
            "Rosa",
            "Adolescent anxiety",
            None,
            "2026-11-02",
        ))
        .unwrap();
    assert_eq!(
        store.contact("Rosa").unwrap().contact.stage,
        Stage::Referring
    );
    store
        .add_referral(&referral(
            Received,
            "Rosa",
            "adolescent anxiety",
            Some(ReferralStatus::BecameClient),
            "2026-11-09",
        ))
        .unwrap();
    store
        .add_referral(&referral(
            Received,
            "Riverside Pediatrics",
            "ADHD",
            None,
            "2026-11-10",
        ))
        .unwrap();
    store
        .add_referral(&referral(
            Sent,
            "Patel",
            "medication evaluation",
            None,
            "2026-11-11",
        ))
        .unwrap();
    // A reciprocal partner is not demoted by another referral.
    store.set_stage("Rosa", Stage::Reciprocal).unwrap();
    store
        .add_referral(&referral(Received, "Rosa", "grief", None, "2026-11-12"))
        .unwrap();
    assert_eq!(
        store.contact("Rosa").unwrap().contact.stage,
        Stage::Reciprocal
    );

    let report = store
        .referral_report(Some("2026-11-01"), Some("2026-11-30"))
        .unwrap();
    assert_eq!(
        (report.received, report.sent, report.became_clients),
        (4, 1, 1)
    );
    assert_eq!(report.by_source[0].label, "Rosa Jimenez");
    assert_eq!(report.by_source[0].count, 3);
    assert_eq!(report.by_category[0].label, "school-counselor");
    assert!(report
        .by_category
        .iter()
        .any(|c| c.label == "primary-care" && c.count == 1));
    // Reasons are a growing list of the practice's own words, matched without case.
    assert_eq!(
        store.referral_reasons().unwrap(),
        [
            "ADHD",
            "Adolescent anxiety",
            "grief",
            "medication evaluation"
        ]
    );
    let reciprocity = store.reciprocity_report(None, None).unwrap();
    let rosa = reciprocity
        .iter()
        .find(|r| r.partner == "Rosa Jimenez")
        .unwrap();
    assert_eq!((rosa.received, rosa.sent), (3, 0));
    let patel = reciprocity
        .iter()
        .find(|r| r.partner == "Dr. Amir Patel")
        .unwrap();
    assert_eq!((patel.received, patel.sent), (0, 1));
    // Periods are respected.
    assert_eq!(store.referrals(Some("2026-11-10"), None).unwrap().len(), 3);
    assert!(store
        .add_referral(&referral(Received, "Nobody Known", "x", None, "2026-11-12"))
        .is_err());
}

#[test]
fn networking_time_and_new_connections_are_measured_against_the_goals() {
    let (_dir, store) = practice();
    visit(&store, "Lincoln", "Rosa", "2026-11-17T15:00:00Z", &[]);
    store
        .log_activity(&NewActivity {
            kind: Some(ActivityKind::Talk),
            organization: Some("Rotary".into()),
            minutes: 60,
            audience: Some("Rotary lunch".into()),
            attendance: Some(40),
            at: Some("2026-11-18T19:00:00Z".into()),
            ..Default::default()
        })
        .unwrap();
    visit(&store, "Riverside", "Patel", "2026-11-25T15:00:00Z", &[]);
    let r = store
        .time_report(Some("2026-11-16"), Some("2026-11-29"))
        .unwrap();
    assert_eq!(r.goal_minutes, 240);
    let minutes: Vec<u32> = r.weeks.iter().map(|w| w.minutes).collect();
    assert_eq!(minutes, [80, 20]);
    assert!(!r.weeks[0].goal_met);
    assert_eq!(r.by_kind[0].label, "talk");
    store.set_goals(Some(60), Some(1), None).unwrap();
    let r = store
        .time_report(Some("2026-11-16"), Some("2026-11-22"))
        .unwrap();
    assert!(r.weeks[0].goal_met);
    assert_eq!(store.settings().unwrap().thank_you_hours, 48);

    let c = store.connections_report(Some("2026-11")).unwrap();
    assert_eq!(c.connections.len(), 2);
    assert!(c.goal_met);
    assert_eq!(c.connections[0].name, "Rosa Jimenez");
    assert!(store
        .connections_report(Some("2026-12"))
        .unwrap()
        .connections
        .is_empty());
    // The talk's audience is searchable.
    assert_eq!(store.search("rotary lunch").unwrap()[0].kind, "activity");
}

#[test]
fn leave_behinds_come_out_of_stock_and_warn_when_low() {
    let (_dir, store) = practice();
    store.restock("Brochure", 12).unwrap();
    store.restock("succulent", 3).unwrap();
    visit(
        &store,
        "Lincoln",
        "Rosa",
        "2026-11-17T15:00:00Z",
        &[("brochure", 4), ("tea sachet", 2)],
    );
    let stock = store.stock().unwrap();
    let brochure = stock.iter().find(|s| s.item == "brochure").unwrap();
    assert_eq!(
        (brochure.name.as_str(), brochure.stock, brochure.low),
        ("Brochure", 8, false)
    );
    let succulent = stock.iter().find(|s| s.item == "succulent").unwrap();
    assert!(succulent.low, "3 is at or below the default warning level");
    store.set_low_stock("brochure", 8).unwrap();
    assert!(store
        .stock()
        .unwrap()
        .iter()
        .any(|s| s.item == "brochure" && s.low));
    assert!(store.set_low_stock("bookmarks", 2).is_err());

    let report = store.stock_report(None, None).unwrap();
    let used = |name: &str| report.iter().find(|s| s.name == name).map(|s| s.used);
    assert_eq!(used("Brochure"), Some(4));
    assert_eq!(
        used("tea sachet"),
        Some(2),
        "use is reported even for items not stocked"
    );
}

#[test]
fn pitches_memberships_and_nearby_places_help_plan_a_round_of_visits() {
    let (_dir, store) = practice();
    store
        .set_pitch(
            ContactCategory::SchoolCounselor,
            "Teen anxiety group on Tuesdays; I can see students within a week.",
        )
        .unwrap();
    let rosa = store.contact("Rosa").unwrap();
    assert!(rosa.pitch.unwrap().contains("Teen anxiety group"));
    assert_eq!(store.contact("Patel").unwrap().pitch, None);
    store
        .set_pitch(ContactCategory::SchoolCounselor, "")
        .unwrap();
    assert_eq!(store.pitch(ContactCategory::SchoolCounselor).unwrap(), None);

    let m = store
        .add_membership("Rotary", "member", Some("2027-01-31"))
        .unwrap();
    assert_eq!(m.organization, "Downtown Rotary");
    assert_eq!(store.memberships().unwrap(), vec![m]);
    assert!(store
        .add_membership("Rotary", "member", Some("soon"))
        .is_err());

    visit(&store, "Riverside", "Patel", "2026-11-01T15:00:00Z", &[]);
    let near = store.nearby(45.5231, -122.6765, 5.0).unwrap();
    let names: Vec<&str> = near.iter().map(|n| n.organization.name.as_str()).collect();
    assert_eq!(names, ["Lincoln Middle School", "Riverside Pediatrics"]);
    assert_eq!(near[0].distance_km, 0.0);
    assert_eq!(near[0].days_since_visit, None);
    assert!(near[1].days_since_visit.unwrap() >= 21);
    assert_eq!(store.nearby(45.5231, -122.6765, 1.0).unwrap().len(), 1);
    store
        .set_org_location("Rotary", 45.5232, -122.6766)
        .unwrap();
    assert_eq!(store.nearby(45.5231, -122.6765, 1.0).unwrap().len(), 2);
    assert!(store.nearby(91.0, 0.0, 1.0).is_err());
}

#[test]
fn archived_things_leave_the_lists_and_deleted_ones_leave_for_good() {
    let (_dir, store) = practice();
    visit(&store, "Lincoln", "Rosa", "2026-11-17T15:00:00Z", &[]);
    store.archive_contact("Rosa", true).unwrap();
    assert_eq!(store.contacts().unwrap().len(), 1);
    // Still reachable by name, and back with an undo.
    assert!(store.contact("Rosa").unwrap().contact.archived);
    store.archive_contact("Rosa", false).unwrap();
    assert_eq!(store.contacts().unwrap().len(), 2);

    store.delete_contact("Patel").unwrap();
    assert_eq!(store.contacts().unwrap().len(), 1);
    assert!(store.contact("Patel").is_err());
    assert!(store.search("patel").unwrap().is_empty());

    store.archive_org("Riverside", true).unwrap();
    assert_eq!(store.organizations().unwrap().len(), 2);
    store.delete_org("Rotary").unwrap();
    assert_eq!(store.organizations().unwrap().len(), 1);
    // History stays: the drop-by at Lincoln is still there.
    assert_eq!(store.activities().unwrap().len(), 1);
    // The rule survives a rebuild of the index from the documents.
    store.rebuild_index().unwrap();
    assert_eq!(store.contacts().unwrap().len(), 1);
    assert_eq!(store.organizations().unwrap().len(), 1);
}

#[test]
fn a_contact_and_a_place_are_corrected_after_they_were_added_and_a_bad_edit_changes_nothing() {
    let (_dir, store) = practice();
    let rosa = store
        .update_contact(
            "Rosa Jimenez",
            &ContactChanges {
                name: Some("Rosa M. Jimenez".into()),
                organization: Some("Riverside".into()),
                role: Some("Lead counselor".into()),
                phones: Some(vec!["555-0101".into(), "555-0102".into()]),
                emails: Some(vec!["rosa@example.org".into()]),
                needs: Some("Teens with anxiety".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rosa.name, "Rosa M. Jimenez");
    assert_eq!(rosa.organization.as_deref(), Some("Riverside Pediatrics"));
    assert_eq!(rosa.role.as_deref(), Some("Lead counselor"));
    assert_eq!(rosa.phones, ["555-0101", "555-0102"]);
    assert_eq!(rosa.emails, ["rosa@example.org"]);
    assert_eq!(
        rosa.category,
        ContactCategory::SchoolCounselor,
        "left as it was"
    );
    // The new name is found; a cleared role and an emptied list are gone.
    assert!(store
        .search("Jimenez")
        .unwrap()
        .iter()
        .any(|h| h.id == rosa.id));
    let rosa = store
        .update_contact(
            "Rosa M",
            &ContactChanges {
                role: Some(String::new()),
                organization: Some(String::new()),
                phones: Some(vec![]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(rosa.role, None);
    assert_eq!(rosa.organization, None);
    assert!(rosa.phones.is_empty());
    assert_eq!(rosa.emails, ["rosa@example.org"]);

    // A bad email is refused and nothing of the edit is kept.
    let err = store
        .update_contact(
            "Rosa M",
            &ContactChanges {
                name: Some("Someone Else".into()),
                emails: Some(vec!["not-an-email".into()]),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("not an email"), "{err}");
    assert_eq!(
        store.contact("Rosa M").unwrap().contact.name,
        "Rosa M. Jimenez"
    );

    let school = store
        .update_org(
            "Lincoln",
            &OrgChanges {
                name: Some("Lincoln Middle School (North)".into()),
                address: Some("12 Elm St".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(school.name, "Lincoln Middle School (North)");
    assert_eq!(school.address.as_deref(), Some("12 Elm St"));
    assert_eq!(school.kind, OrgKind::School);
    let school = store
        .update_org(
            "Lincoln",
            &OrgChanges {
                address: Some(" ".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(school.address, None);
}
