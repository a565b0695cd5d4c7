//! Stories on one device with no network: what a therapist does in a school corridor.

use trellis_core::{
    ContactCategory, Error, LeftBehind, NewActivity, NewContact, NewOrg, OrgKind, Stage, Store,
};

fn school(name: &str) -> NewOrg {
    NewOrg {
        name: name.into(),
        kind: Some(OrgKind::School),
        ..Default::default()
    }
}

fn phone() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.sqlite3")).unwrap();
    store.init("Dana Whitfield").unwrap();
    store.create_workspace("Maple Street Counseling").unwrap();
    (dir, store)
}

#[test]
fn a_drop_by_logged_offline_shows_everywhere_and_survives_reopening() {
    let (dir, store) = phone();
    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            kind: Some(OrgKind::School),
            address: Some("12 Elm St".into()),
            ..Default::default()
        })
        .unwrap();
    let counselor = store
        .add_contact(&NewContact {
            name: "Rosa Jimenez".into(),
            organization: Some("lincoln".into()),
            category: Some(ContactCategory::SchoolCounselor),
            phones: vec!["555-0100".into()],
            emails: vec!["rjimenez@lincoln.example".into()],
            needs: Some("teens with school avoidance and anxiety".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        counselor.organization.as_deref(),
        Some("Lincoln Middle School")
    );
    assert_eq!(counselor.last_touch_at, None);
    assert_eq!(counselor.stage, Stage::Prospect);
    assert_eq!(
        counselor.cadence_days, 30,
        "school counselors: monthly by default"
    );

    let visit = store
        .log_activity(&NewActivity {
            organization: Some("Lincoln Middle School".into()),
            contacts: vec!["Rosa".into()],
            minutes: 25,
            note: Some("Asked about a parent workshop in spring".into()),
            left_behind: vec![
                LeftBehind {
                    item: "brochure".into(),
                    qty: 10,
                },
                LeftBehind {
                    item: "succulent".into(),
                    qty: 1,
                },
            ],
            at: Some("2026-11-20T09:30:00-05:00".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(visit.kind.as_str(), "drop-by");
    assert_eq!(visit.at, "2026-11-20T14:30:00Z");
    assert_eq!(visit.contacts, vec!["Rosa Jimenez"]);
    assert_eq!(visit.logged_by, "Dana Whitfield");
    assert_eq!(visit.left_behind.len(), 2);

    store
        .append_note("Rosa Jimenez", "Prefers email; lunch is 11:40-12:10")
        .unwrap();

    let status = store.status().unwrap();
    assert!(status.pending_changes >= 5, "{status:?}");
    assert_eq!(status.cursor, 0);
    assert_eq!(status.last_sync_at, None);

    // Reopen, as after the app was killed: everything is there.
    drop(store);
    let store = Store::open(dir.path().join("store.sqlite3")).unwrap();
    let contacts = store.contacts().unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        contacts[0].last_touch_at.as_deref(),
        Some("2026-11-20T14:30:00Z")
    );
    let acts = store.activities().unwrap();
    assert_eq!(acts, vec![visit.clone()]);
    let detail = store.contact("rosa").unwrap();
    assert_eq!(detail.notes.len(), 1);
    assert_eq!(detail.notes[0].author, "Dana Whitfield");

    // Search finds names, needs, notes and activity notes by prefix.
    let kinds = |q: &str| -> Vec<String> {
        store
            .search(q)
            .unwrap()
            .into_iter()
            .map(|h| h.kind)
            .collect()
    };
    assert_eq!(kinds("anxi"), vec!["contact"]);
    assert_eq!(kinds("workshop"), vec!["activity"]);
    assert_eq!(kinds("lincoln"), vec!["organization", "contact"]); // her email is at lincoln
    assert_eq!(kinds("lunch"), vec!["contact"]);
    let hit = &store.search("workshop").unwrap()[0];
    assert_eq!(hit.title, "drop-by at Lincoln Middle School on 2026-11-20");

    // The index can be rebuilt from the documents alone and reads the same.
    store.rebuild_index().unwrap();
    assert_eq!(store.activities().unwrap(), vec![visit]);
    assert_eq!(store.contacts().unwrap(), contacts);
}

#[test]
fn ambiguous_and_unknown_names_are_clear_errors_that_change_nothing() {
    let (_dir, store) = phone();
    store.add_org(&school("Lincoln Middle School")).unwrap();
    store.add_org(&school("Lincoln High School")).unwrap();
    let before = store.status().unwrap().pending_changes;

    let err = store
        .log_activity(&NewActivity {
            organization: Some("Lincoln".into()),
            ..Default::default()
        })
        .unwrap_err();
    match &err {
        Error::Ambiguous { candidates, .. } => assert_eq!(candidates.len(), 2),
        other => panic!("expected ambiguous, got {other:?}"),
    }
    assert!(err.to_string().contains("Lincoln High School"));

    let err = store
        .log_activity(&NewActivity {
            organization: Some("Lincoln Elementary".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("did you mean"), "{err}");

    let err = store
        .log_activity(&NewActivity {
            at: Some("last tuesday".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    assert!(store
        .add_contact(&NewContact {
            name: "  ".into(),
            ..Default::default()
        })
        .is_err());

    assert_eq!(store.status().unwrap().pending_changes, before);
    assert!(store.activities().unwrap().is_empty());
    assert!(store.contacts().unwrap().is_empty());
}

#[test]
fn nothing_works_before_setup_and_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let err = store.create_workspace("Practice").unwrap_err();
    assert!(err.to_string().contains("trellis init"), "{err}");
    store.init("Sam").unwrap();
    assert!(matches!(store.contacts().unwrap_err(), Error::NoWorkspace));
    assert!(store.init("Sam again").is_err());
}
