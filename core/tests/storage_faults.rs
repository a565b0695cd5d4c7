//! Storage faults: the disk fills up, or the store's file turns read-only, in the middle of a
//! therapist's day. Each time the failed action says so in words a user can act on (and names
//! no one), leaves nothing half-written (no index row, document or outbox entry of it), and
//! the store stays consistent (SQLite's integrity check, and an index rebuilt from the
//! documents shows exactly what the screens showed) and usable: the same action succeeds once
//! the space or the write permission is back.
//!
//! The full disk is real: SQLite's page limit (`Store::limit_size`) makes SQLite itself answer
//! "database or disk is full" mid-transaction. The read-only file is real too: `chattr +i`
//! (which binds root as well) when running as root, file modes otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::{Connection, OpenFlags};
use trellis_core::{Contact, Error, NewContact, NewOrg, Organization, Store};

const PRIVATE_NAME: &str = "Marisol Quintanilla-Oyelaran";

fn practice(dir: &Path) -> (Store, PathBuf) {
    let path = dir.join("trellis.db");
    let store = Store::open(&path).unwrap();
    store.init("Dana Whitfield").unwrap();
    store.create_workspace("Maple Street Counseling").unwrap();
    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            ..Default::default()
        })
        .unwrap();
    for name in ["Rosa Jimenez", "Dr. Anil Patel", "Pastor Grace Kim"] {
        store
            .add_contact(&NewContact {
                name: name.into(),
                organization: Some("Lincoln".into()),
                ..Default::default()
            })
            .unwrap();
    }
    store
        .append_note("Rosa", "Offered a parent night in spring")
        .unwrap();
    (store, path)
}

/// Row counts of the tables a write touches: documents, outbox and the index.
fn counts(path: &Path) -> Vec<(&'static str, i64)> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    [
        "documents",
        "outbox",
        "orgs",
        "contacts",
        "contact_notes",
        "search",
    ]
    .into_iter()
    .map(|t| {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t, n)
    })
    .collect()
}

fn integrity_ok(path: &Path) {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

/// What the screens show.
fn screens(store: &Store) -> (Vec<Contact>, Vec<Organization>, Vec<String>) {
    let notes = store
        .contact("Rosa")
        .unwrap()
        .notes
        .iter()
        .map(|n| n.text.clone())
        .collect();
    (
        store.contacts().unwrap(),
        store.organizations().unwrap(),
        notes,
    )
}

/// The index rebuilt from the documents alone shows exactly what the screens showed.
fn rebuild_matches(store: &Store) {
    let before = screens(store);
    store.rebuild_index().unwrap();
    assert_eq!(screens(store), before);
}

fn contact_with_a_long_note(n: usize) -> NewContact {
    NewContact {
        name: format!("{PRIVATE_NAME} {n}"),
        needs: Some("families new to the district; ".repeat(100)),
        how_we_help: Some("sliding-scale teen groups; ".repeat(100)),
        ..Default::default()
    }
}

#[test]
fn a_full_disk_fails_the_write_cleanly_and_the_store_carries_on_once_space_is_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, path) = practice(tmp.path());
    // The smallest cap SQLite accepts is the database's size now; a few pages more, then the
    // disk is "full".
    let size = store.limit_size(Some(0)).unwrap();
    assert!(size > 0);
    assert_eq!(
        store.limit_size(Some(size + 64 * 1024)).unwrap(),
        size + 64 * 1024
    );

    let mut added = 0;
    let err = loop {
        let before = counts(&path);
        match store.add_contact(&contact_with_a_long_note(added)) {
            Ok(_) => added += 1,
            Err(e) => {
                // Nothing of the failed action: no document, outbox entry or index row.
                assert_eq!(counts(&path), before, "the failed write left rows behind");
                break e;
            }
        }
        assert!(added < 10_000, "the cap never stopped a write");
    };
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("the disk is full"), "{message}");
    assert!(added >= 1, "writes fit until the cap is reached");
    assert!(!message.contains("Marisol"), "{message}");

    // The failed contact is nowhere; what was written before it is all there.
    let names: Vec<String> = store
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 3 + added);
    assert!(!names.contains(&format!("{PRIVATE_NAME} {added}")));
    assert_eq!(store.status().unwrap().pending_changes as usize, {
        let c = counts(&path);
        c.iter().find(|(t, _)| *t == "outbox").unwrap().1 as usize
    });
    // Reads and searches go on while the disk is full.
    assert!(!store.search("Rosa").unwrap().is_empty());
    integrity_ok(&path);
    rebuild_matches(&store);

    // Space is back: the same action succeeds, and everything survives a reopen.
    store.limit_size(None).unwrap();
    store.add_contact(&contact_with_a_long_note(added)).unwrap();
    store
        .append_note("Rosa", "Asked about spring dates")
        .unwrap();
    let after = screens(&store);
    assert_eq!(after.0.len(), 4 + added);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(screens(&store), after);
    integrity_ok(&path);
    rebuild_matches(&store);
}

/// Makes a file read-only for everyone, root included, until dropped.
struct ReadOnly(Vec<PathBuf>);

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl ReadOnly {
    fn make(files: Vec<PathBuf>) -> ReadOnly {
        for f in &files {
            if is_root() {
                let ok = Command::new("chattr")
                    .arg("+i")
                    .arg(f)
                    .status()
                    .is_ok_and(|s| s.success());
                // A WAL file goes away when the store's last connection (a background
                // checkpoint's, say) closes: what is gone needs no protecting.
                assert!(
                    ok || !f.exists(),
                    "chattr +i {} failed: the file system must support it when running as root",
                    f.display()
                );
            } else if let Ok(meta) = std::fs::metadata(f) {
                let mut perms = meta.permissions();
                perms.set_readonly(true);
                std::fs::set_permissions(f, perms).unwrap();
            }
        }
        ReadOnly(files)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        for f in &self.0 {
            if is_root() {
                let _ = Command::new("chattr").arg("-i").arg(f).status();
            } else if let Ok(meta) = std::fs::metadata(f) {
                let mut perms = meta.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                let _ = std::fs::set_permissions(f, perms);
            }
        }
    }
}

fn store_files(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    [String::new(), "-wal".into(), "-shm".into()]
        .into_iter()
        .map(|suffix| path.with_file_name(format!("{name}{suffix}")))
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn a_read_only_store_refuses_writes_clearly_and_works_again_once_writable() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, path) = practice(tmp.path());
    let shown = screens(&store);
    drop(store);
    let before = counts(&path);

    // The file turns read-only (a backup tool, a full-disk remount, a locked-down profile).
    {
        let _guard = ReadOnly::make(store_files(&path));
        let refused = match Store::open(&path) {
            // Opened read-only: reads work, every write is refused.
            Ok(store) => {
                assert_eq!(screens(&store), shown);
                let err = store
                    .add_contact(&NewContact {
                        name: PRIVATE_NAME.into(),
                        ..Default::default()
                    })
                    .unwrap_err();
                let err2 = store.append_note("Rosa", PRIVATE_NAME).unwrap_err();
                assert_eq!(err2.to_string(), err.to_string());
                err
            }
            // Or the store cannot even be opened for writing: said at once.
            Err(e) => e,
        };
        let message = refused.to_string();
        assert!(matches!(refused, Error::Storage(_)), "{refused:?}");
        assert!(
            message.contains("the store's file is read-only"),
            "{message}"
        );
        assert!(!message.contains("Marisol"), "{message}");
    }

    // Writable again: nothing of the refused writes, a consistent store, and writes work.
    assert_eq!(counts(&path), before);
    integrity_ok(&path);
    let store = Store::open(&path).unwrap();
    assert_eq!(screens(&store), shown);
    rebuild_matches(&store);
    store
        .add_contact(&NewContact {
            name: PRIVATE_NAME.into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.contacts().unwrap().len(), 4);
}

#[test]
fn a_store_open_when_its_file_turns_read_only_refuses_the_next_write_and_keeps_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, path) = practice(tmp.path());
    let shown = screens(&store);
    let before = counts(&path);
    {
        let _guard = ReadOnly::make(store_files(&path));
        // The open store's next write reaches the file and is refused by the file system.
        let outcome = store.add_contact(&NewContact {
            name: PRIVATE_NAME.into(),
            ..Default::default()
        });
        let err = outcome.expect_err("a write to an immutable file was accepted");
        assert!(matches!(err, Error::Storage(_)), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("is the disk full or the file read-only?"),
            "{message}"
        );
        assert!(!message.contains("Marisol"), "{message}");
        // Reads go on, and show what was there.
        assert_eq!(screens(&store), shown);
    }
    // Writable again: the refused write left nothing, the store is consistent, and the same
    // write succeeds, on the same open store and after a reopen.
    assert_eq!(counts(&path), before);
    integrity_ok(&path);
    store
        .add_contact(&NewContact {
            name: PRIVATE_NAME.into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.contacts().unwrap().len(), 4);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.contacts().unwrap().len(), 4);
    integrity_ok(&path);
    rebuild_matches(&store);
}
