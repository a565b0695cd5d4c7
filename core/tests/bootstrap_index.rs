//! A new phone joins a practice that has a checkpoint: it downloads the snapshots, opens and
//! indexes them on several threads, and must then read exactly like a device whose index was
//! rebuilt from its documents one by one, and like the owner's own device.

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use trellis_core::{
    ContactCategory, FollowUpFilter, FollowUpKind, LeftBehind, NewActivity, NewContact,
    NewFollowUp, NewOrg, NewReferral, ReferralDirection, Role, Store,
};

use crate::common;

const SECRET: &str = "bootstrap-index-secret";

/// Every row of every index table of the store file, in a stable order.
fn index_rows(file: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the store read-only");
    let mut out = Vec::new();
    for (table, cols) in [
        ("orgs", "*"),
        ("contacts", "*"),
        ("contact_notes", "*"),
        ("activities", "*"),
        ("activity_contacts", "*"),
        ("followups", "*"),
        ("referrals", "*"),
        ("catalog", "*"),
        ("members", "*"),
        ("settings", "*"),
        ("pitches", "*"),
        ("memberships", "*"),
        ("reasons", "*"),
        ("search", "ws, doc_id, kind, id, title, body"),
        ("search_rows", "ws, doc_id, entry"),
        ("search_pending", "ws, doc_id"),
    ] {
        let mut st = conn
            .prepare(&format!("SELECT {cols} FROM {table}"))
            .expect("an index table");
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let mut row = vec![table.to_string()];
                for i in 0..n {
                    row.push(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        v => format!("{v:?}"),
                    });
                }
                Ok(row.join("|"))
            })
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        rows.sort();
        out.extend(rows);
    }
    out
}

/// Asserts two dumps are equal, showing only the rows that differ.
fn assert_same_rows(left: &[String], right: &[String], what: &str) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|r| !b.contains(r)).cloned().collect()
    };
    assert!(
        left == right,
        "{what}: rows only on the left: {:#?}\nonly on the right: {:#?}",
        only(left, right),
        only(right, left)
    );
}

/// Dana's practice: organizations, contacts (one archived, one deleted), notes, visits over
/// three months with things left behind, follow-ups (some done, some snoozed), referrals.
fn write_practice(dana: &Store) {
    for school in [
        "Lincoln Middle School",
        "Roosevelt High",
        "Maple Pediatrics",
    ] {
        dana.add_org(&NewOrg {
            name: school.into(),
            ..Default::default()
        })
        .expect("add an organization");
    }
    let people = [
        ("Ms. Rivera", "Lincoln", ContactCategory::SchoolCounselor),
        ("Mr. Chen", "Roosevelt", ContactCategory::SchoolCounselor),
        ("Dr. Okafor", "Maple", ContactCategory::Pediatrician),
        ("Ms. Patel", "Lincoln", ContactCategory::SchoolCounselor),
        ("Mr. Ortiz", "Roosevelt", ContactCategory::SchoolCounselor),
    ];
    for (name, org, category) in people {
        dana.add_contact(&NewContact {
            name: name.into(),
            organization: Some(org.into()),
            category: Some(category),
            emails: vec![format!(
                "{}@example.org",
                name.to_lowercase().replace([' ', '.'], "")
            )],
            needs: Some("Groups for anxious teens after school.".into()),
            ..Default::default()
        })
        .expect("add a contact");
    }
    dana.restock("brochure", 100).expect("restock");
    let mut followups = Vec::new();
    for day in 1..=45u32 {
        let (who, org, _) = people[day as usize % people.len()];
        dana.log_activity(&NewActivity {
            organization: Some(org.into()),
            contacts: vec![who.into()],
            minutes: 10 + day % 4 * 5,
            note: Some(format!(
                "Visit {day}: talked about the spring parent night."
            )),
            left_behind: vec![LeftBehind {
                item: "brochure".into(),
                qty: 1 + day % 3,
            }],
            at: Some(format!(
                "2026-{:02}-{:02}T15:00:00Z",
                3 + day % 3,
                day % 28 + 1
            )),
            ..Default::default()
        })
        .expect("log a visit");
        if day % 4 == 0 {
            let f = dana
                .add_followup(&NewFollowUp {
                    contact: Some(who.into()),
                    due: Some("2026-07-01".into()),
                    note: Some("Send the group flyer".into()),
                    ..Default::default()
                })
                .expect("add a follow-up");
            followups.push(f.id);
        }
        if day % 6 == 0 {
            dana.add_referral(&NewReferral {
                direction: ReferralDirection::Received,
                partner: who.into(),
                reason: "anxiety".into(),
                status: None,
                channel: None,
                on: None,
                note: Some("Parent called after the talk.".into()),
            })
            .expect("record a referral");
            dana.append_note(who, "Prefers email.")
                .expect("append a note");
        }
    }
    for (i, id) in followups.iter().enumerate() {
        if i % 2 == 0 {
            dana.complete_followup(id).expect("complete");
        } else {
            dana.snooze_followup(id, "2026-08-01").expect("snooze");
        }
    }
    // Some of the thank-yous the visits call for are sent, some put off.
    let thanks = dana.followups(FollowUpFilter::All).expect("follow-ups");
    let thanks = thanks.iter().filter(|f| f.kind == FollowUpKind::ThankYou);
    for (i, f) in thanks.enumerate() {
        match i % 3 {
            0 => drop(dana.complete_followup(&f.id).expect("send a thank-you")),
            1 => drop(
                dana.snooze_followup(&f.id, "2026-08-02")
                    .expect("put one off"),
            ),
            _ => {}
        }
    }
    dana.archive_contact("Ortiz", true).expect("archive");
    dana.delete_contact("Patel").expect("delete");
}

/// Dana's practice on a relay, with a checkpoint of it.
struct Practice {
    dir: TempDir,
    dana: Store,
    dana_file: PathBuf,
    checkpoint_docs: u64,
}

async fn practice_with_checkpoint() -> Practice {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = common::relay(&dir, SECRET).await;
    let url = format!("http://{addr}");
    let dana_file = dir.path().join("dana.sqlite3");
    let dana = Store::open(&dana_file).expect("open Dana's store");
    dana.init("Dana").expect("init");
    dana.create_shared_workspace("Maple Street Counseling", &url, SECRET)
        .await
        .expect("create the shared workspace");
    write_practice(&dana);
    let made = dana.checkpoint().await.expect("checkpoint");
    assert!(made.docs > 5, "the checkpoint holds the practice: {made:?}");
    Practice {
        dir,
        dana,
        dana_file,
        checkpoint_docs: made.docs,
    }
}

/// A new phone of Dana's joins through an invite and syncs.
async fn new_phone(p: &Practice) -> (Store, PathBuf, trellis_core::SyncReport) {
    let phone_file = p.dir.path().join("phone.sqlite3");
    let phone = Store::open(&phone_file).expect("open the phone's store");
    phone.init("Dana's phone").expect("init");
    let code = p
        .dana
        .create_invite(Role::Member, false)
        .await
        .expect("invite");
    let joined = phone.join(&code, None).await.expect("join");
    assert!(joined.awaiting_keys);
    // Dana's device hands the keys over at its next sync.
    p.dana.sync().await.expect("dana syncs");
    let synced = phone.sync().await.expect("sync");
    (phone, phone_file, synced)
}

fn names(s: &Store) -> Vec<String> {
    s.contacts()
        .expect("contacts")
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_phone_bootstrapped_from_a_checkpoint_reads_like_an_index_rebuilt_from_its_documents()
{
    let p = practice_with_checkpoint().await;
    let (dana, dana_file) = (&p.dana, &p.dana_file);
    let (phone, phone_file, synced) = new_phone(&p).await;
    assert_eq!(
        synced.bootstrapped_docs, p.checkpoint_docs,
        "started from the checkpoint"
    );
    assert_eq!(
        synced.bootstrap_loaded_docs, 1,
        "the snapshots carried their index rows: only the workspace document was loaded"
    );
    assert_eq!(synced.gaps, 0);

    // What the phone shows is what Dana sees.
    assert_eq!(names(&phone), names(dana));
    assert_eq!(names(&phone), ["Dr. Okafor", "Mr. Chen", "Ms. Rivera"]);
    let hits = |s: &Store| s.search("parent night").expect("search").len();
    assert_eq!(hits(&phone), 45);
    assert_eq!(hits(&phone), hits(dana));

    // Row for row: the phone's index is Dana's (once she has seen the phone join), and an
    // index rebuilt from its documents.
    dana.sync().await.expect("Dana syncs");
    let bootstrapped = index_rows(&phone_file);
    assert_eq!(
        bootstrapped
            .iter()
            .filter(|r| r.starts_with("activities|"))
            .count(),
        45
    );
    assert_same_rows(&bootstrapped, &index_rows(dana_file), "the phone and Dana");
    phone.rebuild_index().expect("rebuild the index");
    assert_same_rows(
        &bootstrapped,
        &index_rows(&phone_file),
        "bootstrapped and rebuilt",
    );
}

/// A snapshot damaged in the relay's storage does not stop a bootstrap: the phone skips it,
/// counts it, and shows everything else, indexed as its documents say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_snapshot_is_skipped_and_counted_and_the_rest_of_the_practice_arrives() {
    let p = practice_with_checkpoint().await;
    let chen = p
        .dana
        .contacts()
        .expect("contacts")
        .into_iter()
        .find(|c| c.name == "Mr. Chen")
        .expect("Mr. Chen")
        .id;
    let relay_db = rusqlite::Connection::open(p.dir.path().join("relay.sqlite3"))
        .expect("open the relay's database");
    let damaged = relay_db
        .execute(
            "UPDATE checkpoint_docs SET bytes = zeroblob(length(bytes))
             WHERE lower(hex(doc_id)) = ?1",
            [&chen],
        )
        .expect("damage a snapshot");
    assert_eq!(damaged, 1, "Mr. Chen's snapshot is in the checkpoint");

    let (phone, phone_file, synced) = new_phone(&p).await;
    assert_eq!(
        synced.bootstrapped_docs, p.checkpoint_docs,
        "the damaged snapshot is counted with the others"
    );
    assert_eq!(names(&phone), ["Dr. Okafor", "Ms. Rivera"]);
    assert_eq!(phone.search("parent night").expect("search").len(), 45);
    let bootstrapped = index_rows(&phone_file);
    phone.rebuild_index().expect("rebuild the index");
    assert_same_rows(
        &bootstrapped,
        &index_rows(&phone_file),
        "bootstrapped and rebuilt",
    );
}

/// Documents a phone indexed from the rows their snapshots carried are stored as they came and
/// loaded when first changed: a note on a contact, a follow-up completed in Dana's logbook and
/// a new visit all reach Dana, and nothing that was in those documents is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_that_came_as_index_rows_load_when_first_changed_and_lose_nothing() {
    let p = practice_with_checkpoint().await;
    let dana = &p.dana;
    let (phone, phone_file, synced) = new_phone(&p).await;
    assert_eq!(synced.bootstrap_loaded_docs, 1);

    let open_followups = |s: &Store| {
        s.followups(FollowUpFilter::Open)
            .expect("follow-ups")
            .into_iter()
            .map(|f| f.id)
            .collect::<Vec<_>>()
    };
    let before = open_followups(&phone);
    assert!(!before.is_empty(), "Dana's snoozed follow-ups are open");
    assert_eq!(before, open_followups(dana));
    let rivera_notes = dana.contact("Rivera").expect("Ms. Rivera").notes.len();

    phone
        .append_note("Rivera", "Asked for the teen group schedule.")
        .expect("a note on a contact the phone never loaded");
    phone
        .complete_followup(&before[0])
        .expect("complete a follow-up in Dana's logbook, never loaded here");
    phone
        .log_activity(&NewActivity {
            organization: Some("Lincoln".into()),
            contacts: vec!["Rivera".into()],
            minutes: 15,
            note: Some("Visit 46: left the spring flyers.".into()),
            ..Default::default()
        })
        .expect("log a visit");
    phone.sync().await.expect("the phone syncs");
    dana.sync().await.expect("Dana syncs");

    let notes = dana.contact("Rivera").expect("Ms. Rivera").notes;
    assert_eq!(
        notes.len(),
        rivera_notes + 1,
        "the old notes and the new one"
    );
    assert!(notes
        .iter()
        .any(|n| n.text == "Asked for the teen group schedule."));
    let after = open_followups(dana);
    assert!(
        !after.contains(&before[0]),
        "the completed follow-up is done"
    );
    assert!(before[1..].iter().all(|id| after.contains(id)));
    assert_eq!(
        after.len(),
        before.len(),
        "one done, and a thank-you for the new visit"
    );
    assert_eq!(dana.search("parent night").expect("search").len(), 45);
    assert_eq!(dana.search("spring flyers").expect("search").len(), 1);

    // The phone's index, grown from rows and then from changes, is the one its documents give.
    let rows = index_rows(&phone_file);
    phone.rebuild_index().expect("rebuild the index");
    assert_same_rows(&rows, &index_rows(&phone_file), "updated and rebuilt");
}

/// A practice large enough that a new phone writes its index without the secondary indexes and
/// makes them at the end: the phone reads like a rebuilt index, and every index is there when
/// the sync returns (a search by name and the losing-touch list use them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_practice_bootstrapped_in_bulk_has_every_index_and_reads_like_a_rebuilt_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = common::relay(&dir, SECRET).await;
    let dana = Store::open(dir.path().join("dana.sqlite3")).expect("open Dana's store");
    dana.init("Dana").expect("init");
    dana.create_shared_workspace("Maple Street Counseling", &format!("http://{addr}"), SECRET)
        .await
        .expect("create the shared workspace");
    dana.add_org(&NewOrg {
        name: "Jefferson Elementary".into(),
        ..Default::default()
    })
    .expect("add an organization");
    // More contacts (one document each) than the bulk threshold of 2,000 documents.
    for i in 0..2_050 {
        dana.add_contact(&NewContact {
            name: format!("Counselor {i:04}"),
            organization: Some("Jefferson".into()),
            category: Some(ContactCategory::SchoolCounselor),
            ..Default::default()
        })
        .expect("add a contact");
    }
    write_practice(&dana);
    let made = dana.checkpoint().await.expect("checkpoint");
    assert!(made.docs > 2_050, "{made:?}");

    let phone_file = dir.path().join("phone.sqlite3");
    let phone = Store::open(&phone_file).expect("open the phone's store");
    phone.init("Dana's phone").expect("init");
    let code = dana
        .create_invite(Role::Member, false)
        .await
        .expect("invite");
    phone.join(&code, None).await.expect("join");
    dana.sync().await.expect("dana hands the keys over");
    let synced = phone.sync().await.expect("sync");
    assert_eq!(synced.bootstrapped_docs, made.docs);

    // Every secondary index is there, before the store is opened again.
    let conn = rusqlite::Connection::open_with_flags(
        &phone_file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the phone's file");
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count indexes");
    assert_eq!(
        indexes, 11,
        "the ten secondary indexes of the index and the outbox's"
    );
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT id FROM contacts WHERE ws = ?1 ORDER BY name COLLATE NOCASE, id",
            ["x"],
            |r| r.get(3),
        )
        .expect("a query plan");
    assert!(plan.contains("contacts_name"), "{plan}");

    assert_eq!(phone.contacts().expect("contacts").len(), 2_050 + 3);
    // Its full-text rows were left for the catch-up; a search writes what is left first.
    assert_eq!(phone.search("parent night").expect("search").len(), 45);
    assert_eq!(phone.search_backlog().expect("backlog"), 0);
    assert_eq!(names(&phone), names(&dana));
    let bootstrapped = index_rows(&phone_file);
    phone.rebuild_index().expect("rebuild the index");
    assert_same_rows(
        &bootstrapped,
        &index_rows(&phone_file),
        "bootstrapped in bulk and rebuilt",
    );
}
