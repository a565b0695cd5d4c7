//! Tests of the index as the store writes it: every index row after a local change, a
//! pull, a rebuild or a bootstrap must be what rewriting the document whole gives.

use crate::model::*;
use crate::Store;

/// Every row of every index table, in a stable order.
fn dump(store: &Store) -> Vec<String> {
    let conn = store.lock();
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
        ("search", "ws, doc_id, kind, id, title, body"),
        ("search_rows", "ws, doc_id, entry"),
        ("search_pending", "ws, doc_id"),
        ("search_queue", "*"),
    ] {
        let mut st = conn
            .prepare(&format!("SELECT {cols} FROM {table}"))
            .unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let mut row = vec![table.to_string()];
                for i in 0..n {
                    row.push(format!("{:?}", r.get_ref(i)?));
                }
                Ok(row.join("|"))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// A month at Lincoln Middle School: 40 visits with Ms. Rivera (brochures left behind),
/// follow-ups (half done, half snoozed), referrals and notes.
fn a_month_at_lincoln(store: &Store) {
    store.init("Dana").unwrap();
    store.create_workspace("Maple Street").unwrap();
    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            ..Default::default()
        })
        .unwrap();
    store
        .add_contact(&NewContact {
            name: "Ms. Rivera".into(),
            organization: Some("Lincoln".into()),
            ..Default::default()
        })
        .unwrap();
    store.restock("brochure", 40).unwrap();
    let mut followups = Vec::new();
    for day in 1..=40 {
        store
            .log_activity(&NewActivity {
                organization: Some("Lincoln".into()),
                contacts: vec!["Rivera".into()],
                minutes: 15,
                note: Some(format!(
                    "Visit {day}: talked about the spring parent night."
                )),
                left_behind: vec![LeftBehind {
                    item: "brochure".into(),
                    qty: 1,
                }],
                at: Some(format!("2026-03-{:02}T15:00:00Z", day % 28 + 1)),
                ..Default::default()
            })
            .unwrap();
        if day % 5 == 0 {
            let f = store
                .add_followup(&NewFollowUp {
                    contact: Some("Rivera".into()),
                    due: Some("2026-04-01".into()),
                    note: Some("Send the group flyer".into()),
                    ..Default::default()
                })
                .unwrap();
            followups.push(f.id);
        }
        if day % 7 == 0 {
            store
                .add_referral(&NewReferral {
                    direction: ReferralDirection::Received,
                    partner: "Rivera".into(),
                    reason: "anxiety".into(),
                    status: None,
                    channel: None,
                    on: None,
                    note: None,
                })
                .unwrap();
            store.append_note("Rivera", "Prefers email.").unwrap();
        }
    }
    for (i, id) in followups.iter().enumerate() {
        if i % 2 == 0 {
            store.complete_followup(id).unwrap();
        } else {
            store.snooze_followup(id, "2026-05-01").unwrap();
        }
    }
    // The thank-yous the visits call for (fields of their activities): some sent, some
    // put off, some taken over.
    let thanks: Vec<String> = store
        .followups(FollowUpFilter::All)
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == FollowUpKind::ThankYou)
        .map(|f| f.id)
        .collect();
    assert_eq!(thanks.len(), 40);
    for (i, id) in thanks.iter().enumerate() {
        match i % 4 {
            0 => drop(store.complete_followup(id).unwrap()),
            1 => drop(store.snooze_followup(id, "2026-04-20").unwrap()),
            2 => drop(store.reassign_followup(id, "Dana").unwrap()),
            _ => {}
        }
    }
}

#[test]
fn a_month_indexed_entry_by_entry_reads_exactly_like_an_index_rebuilt_from_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    // Held back, as during a sync: on a busy machine a pause between two writes would
    // otherwise let it write some of the queue.
    let catch_up = store.hold_search_catch_up();
    a_month_at_lincoln(&store);
    // The visits' full-text rows wait in the queue; the first search writes them.
    assert_eq!(queued(&store), 40);
    assert_eq!(store.search("parent night").unwrap().len(), 40);
    assert_eq!(queued(&store), 0);
    drop(catch_up);
    let incremental = dump(&store);
    assert!(
        incremental
            .iter()
            .filter(|r| r.starts_with("activities|"))
            .count()
            == 40
    );
    store.rebuild_index().unwrap();
    assert_eq!(incremental, dump(&store));

    // And from the file alone, with no document in memory.
    drop(store);
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    store.rebuild_index().unwrap();
    assert_eq!(incremental, dump(&store));
}

/// Full-text rows waiting in the search queue.
fn queued(store: &Store) -> i64 {
    store
        .lock()
        .query_row("SELECT count(*) FROM search_queue", [], |r| r.get(0))
        .unwrap()
}

/// Rows of the FTS table (not the queue) that match `word`.
fn in_full_text(store: &Store, word: &str) -> i64 {
    store
        .lock()
        .query_row(
            "SELECT count(*) FROM search WHERE search MATCH ?1",
            [word],
            |r| r.get(0),
        )
        .unwrap()
}

/// Waits (up to a minute) for the background catch-up to leave at most `left` rows in the
/// search queue.
fn wait_for_queue(store: &Store, left: i64) {
    let mut waited = std::time::Duration::ZERO;
    while queued(store) > left {
        assert!(
            waited < std::time::Duration::from_secs(60),
            "the catch-up did not write the queue"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += std::time::Duration::from_millis(10);
    }
}

/// Leaves every document's full-text rows for the catch-up, as a bulk bootstrap does;
/// returns how many documents wait.
fn defer_every_search_row(store: &Store) -> usize {
    use crate::index::snapshot::{decode, encode, IndexSnapshot, Plain};
    let mut conn = store.lock();
    let tx = conn.transaction().unwrap();
    let docs: Vec<(String, String)> = tx
        .prepare("SELECT ws, doc_id FROM documents WHERE doc_id <> ws")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (ws, doc_id) in &docs {
        let doc = automerge::Automerge::load(
            &crate::storage::docstore::stored_bytes(&tx, ws, doc_id).unwrap(),
        )
        .unwrap();
        let rows = crate::index::read_new(ws, doc_id, &doc).unwrap().unwrap();
        crate::index::clear(&tx, ws, doc_id).unwrap();
        crate::index::write_new(&tx, ws, doc_id, &rows, false).unwrap();
        let index = IndexSnapshot {
            kind: crate::documents::kind_of(&doc),
            rows,
        };
        let Plain::WithRows(_, _, deflated) = decode(encode(b"", &index).unwrap()).unwrap() else {
            panic!("the rows did not come back");
        };
        crate::index::defer_search(&tx, ws, doc_id, &deflated).unwrap();
    }
    tx.commit().unwrap();
    docs.len()
}

#[test]
fn a_month_whose_search_rows_wait_for_the_catch_up_is_edited_meanwhile_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    // Held back throughout, as while the bootstrap's sync runs.
    let catch_up = store.hold_search_catch_up();
    a_month_at_lincoln(&store);
    // The organization, Ms. Rivera, March's logbook, the referral ledger...
    let waiting = defer_every_search_row(&store) as u64;
    assert!(waiting >= 4, "{waiting}");
    assert_eq!(store.search_backlog().unwrap(), waiting);
    let full_text: i64 = store
        .lock()
        .query_row("SELECT count(*) FROM search_rows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        full_text, 0,
        "no full-text row is written before the catch-up"
    );
    // Lists do not wait for it.
    assert_eq!(store.contacts().unwrap().len(), 1);

    // Meanwhile, a visit in March's logbook (rewritten entry by entry) and a note on Ms.
    // Rivera (rewritten whole).
    store
        .log_activity(&NewActivity {
            organization: Some("Lincoln".into()),
            contacts: vec!["Rivera".into()],
            minutes: 20,
            note: Some("Dropped off the spring flyers.".into()),
            at: Some("2026-03-20T15:00:00Z".into()),
            ..Default::default()
        })
        .unwrap();
    store
        .append_note("Rivera", "Asked about the teen group.")
        .unwrap();
    assert_eq!(store.search_backlog().unwrap(), waiting - 2);

    // A search writes what is left first: every visit is found, the new one too.
    assert_eq!(store.search("parent night").unwrap().len(), 40);
    assert_eq!(store.search("spring flyers").unwrap().len(), 1);
    assert_eq!(store.search("teen group").unwrap().len(), 1);
    assert_eq!(store.search_backlog().unwrap(), 0);
    let caught_up = dump(&store);
    store.rebuild_index().unwrap();
    assert_eq!(caught_up, dump(&store));
    drop(catch_up);
}

#[test]
fn the_catch_up_thread_writes_what_a_bootstrap_left_when_the_store_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    a_month_at_lincoln(&store);
    store.rebuild_index().unwrap();
    let rebuilt = dump(&store);
    defer_every_search_row(&store);
    drop(store);

    // The app was killed before the catch-up was done; opening the store resumes it.
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let mut waited = std::time::Duration::ZERO;
    while store.search_backlog().unwrap() > 0 {
        assert!(
            waited < std::time::Duration::from_secs(60),
            "the catch-up did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += std::time::Duration::from_millis(10);
    }
    assert_eq!(rebuilt, dump(&store));
}

/// Sets one field of a visit in its logbook, as an edit made on any device does.
fn edit_visit(store: &Store, id: &str, field: &str, value: impl Into<automerge::ScalarValue>) {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    let value = value.into();
    let logbook: String = store
        .lock()
        .query_row(
            "SELECT logbook_id FROM activities WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let logbook: trellis_protocol::Id = logbook.parse().unwrap();
    store
        .write(|tx, ws, me| {
            crate::store::change_doc(
                tx,
                ws,
                me,
                &logbook,
                crate::documents::DocKind::Logbook,
                |t| {
                    let (_, acts) = t.get(automerge::ROOT, "activities")?.unwrap();
                    let (_, visit) = t.get(&acts, id)?.unwrap();
                    t.put(&visit, field, value)?;
                    Ok(())
                },
            )
        })
        .unwrap();
}

/// Visits at Lincoln in March (whose logbook the month at Lincoln made), each with a note.
fn visits(store: &Store, n: usize, note: &str) {
    for i in 0..n {
        store
            .log_activity(&NewActivity {
                organization: Some("Lincoln".into()),
                contacts: vec!["Rivera".into()],
                minutes: 10,
                note: Some(format!("{note} ({i})")),
                at: Some(format!("2026-03-{:02}T16:00:00Z", i % 28 + 1)),
                ..Default::default()
            })
            .unwrap();
    }
}

#[test]
fn a_run_of_visits_is_written_to_the_full_text_index_once_writes_pause_with_no_search() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    a_month_at_lincoln(&store);
    store.search("parent").unwrap();
    // More visits than one transaction of the catch-up writes: once the writes pause, it
    // writes their full-text rows, with no search to ask for them.
    let n = 150;
    visits(&store, n, "Dropped off the spring flyers");
    wait_for_queue(&store, 0);
    let written = in_full_text(&store, "flyers");
    assert_eq!(written, n as i64);

    // Edited and deleted visits are found as they are now, not as they were.
    let found = store.search("spring flyers").unwrap();
    assert_eq!(found.len(), crate::features::lists::SEARCH_LIMIT);
    let all = store.activities().unwrap();
    let flyers: Vec<_> = all
        .iter()
        .filter(|a| a.note.as_deref().unwrap_or("").contains("flyers"))
        .collect();
    assert_eq!(flyers.len(), n);
    // The app has no screen for these yet; another device's edit arrives the same way.
    edit_visit(&store, &flyers[0].id, "note", "Met the new principal");
    edit_visit(&store, &flyers[1].id, "deleted", true);
    assert_eq!(store.search("principal").unwrap().len(), 1);
    let left = in_full_text(&store, "flyers");
    assert_eq!(left, n as i64 - 2);

    let caught_up = dump(&store);
    store.rebuild_index().unwrap();
    assert_eq!(caught_up, dump(&store));
}

#[test]
fn the_catch_up_waits_for_a_sync_to_end_and_a_search_meanwhile_finds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    // A sync (a bootstrap, say) is under way while the month is logged.
    let sync = store.hold_search_catch_up();
    a_month_at_lincoln(&store);
    std::thread::sleep(crate::index::catch_up::QUIET * 3);
    assert_eq!(queued(&store), 40, "nothing is written while the sync runs");
    drop(sync);
    wait_for_queue(&store, 0);
    assert_eq!(in_full_text(&store, "parent"), 40);

    // A search does not wait for the sync: it writes what is queued itself.
    let sync = store.hold_search_catch_up();
    visits(&store, 3, "Left a plant for the front office");
    assert_eq!(store.search("front office plant").unwrap().len(), 3);
    assert_eq!(queued(&store), 0);
    drop(sync);
}

#[test]
fn visits_whose_rows_were_still_queued_when_the_app_closed_are_written_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let catch_up = store.hold_search_catch_up();
    a_month_at_lincoln(&store);
    visits(&store, 3, "Left a plant for the front office");
    assert_eq!(queued(&store), 43);
    // Closed at once: what the catch-up has not written by then, the next open does.
    drop(catch_up);
    drop(store);

    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    wait_for_queue(&store, 0);
    let written = in_full_text(&store, "plant");
    assert_eq!(written, 3);
    assert_eq!(store.search("front office plant").unwrap().len(), 3);
}

/// Counts what a listener hears.
#[derive(Default)]
struct Heard(std::sync::Mutex<(usize, usize)>);

impl crate::events::Listener for Heard {
    fn data_changed(&self, _: &crate::events::DataChanged) {
        self.0.lock().unwrap().0 += 1;
    }
    fn sync_state(&self, _: &crate::events::SyncState) {
        self.0.lock().unwrap().1 += 1;
    }
}

#[test]
fn a_store_without_threads_does_the_background_work_in_the_steps_its_host_runs() {
    use crate::index::catch_up::QUIET;
    use crate::store::Background;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(
        &dir.path().join("s.sqlite3"),
        Default::default(),
        Background::Steps,
    )
    .unwrap();
    let heard = std::sync::Arc::new(Heard::default());
    let _subscription = store.subscribe(heard.clone());
    a_month_at_lincoln(&store);
    std::thread::sleep(QUIET * 2);
    // No thread wrote the rows or called the listener.
    assert_eq!(queued(&store), 40);
    assert_eq!(*heard.0.lock().unwrap(), (0, 0));

    // A write just now: the step delivers the events, and waits for writes to pause.
    visits(&store, 1, "Left a plant for the front office");
    let wait = store.run_background().unwrap().expect("rows are left");
    assert!(wait <= QUIET && wait > QUIET / 2, "{wait:?}");
    let (data, sync) = *heard.0.lock().unwrap();
    assert!(data > 40, "{data} data events");
    assert_eq!(sync, 1, "the sync state a new listener hears");
    assert_eq!(queued(&store), 41);

    // Once they pause, steps write the rows until nothing is left, one transaction each.
    std::thread::sleep(wait);
    let mut steps = 0;
    while let Some(wait) = store.run_background().unwrap() {
        assert!(wait < QUIET);
        steps += 1;
        assert!(steps < 10, "the steps end");
    }
    assert_eq!(queued(&store), 0);
    assert_eq!(in_full_text(&store, "parent"), 40);
    assert_eq!(in_full_text(&store, "plant"), 1);
    assert_eq!(store.run_background().unwrap(), None, "nothing left");

    // A sync holds the steps back too.
    let sync = store.hold_search_catch_up();
    visits(&store, 2, "Brought muffins");
    std::thread::sleep(QUIET + QUIET / 5);
    assert_eq!(store.run_background().unwrap(), None);
    assert_eq!(queued(&store), 2);
    drop(sync);
    while store.run_background().unwrap().is_some() {}
    assert_eq!(queued(&store), 0);
}

#[test]
fn a_native_store_runs_its_background_work_on_threads_and_the_step_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let catch_up = store.hold_search_catch_up();
    a_month_at_lincoln(&store);
    std::thread::sleep(crate::index::catch_up::QUIET * 2);
    assert_eq!(store.run_background().unwrap(), None);
    assert_eq!(queued(&store), 40, "the step wrote nothing");
    drop(catch_up);
    wait_for_queue(&store, 0);
}
