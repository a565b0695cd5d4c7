//! The security suite: nobody reads what they should not, and nothing personal leaks.
//!
//! Every promise, and the test that would catch it breaking (this file's tests first):
//!
//! | promise | tested by |
//! | --- | --- |
//! | The relay's database and its logs (JSON, debug level) hold no name, note, organization, practice name, device token, invite secret, invite code or workspace key after a full practice's life | `a_practices_whole_life_leaves_no_name_note_token_invite_or_key_on_the_relay` (here) |
//! | Device tokens and invite secrets are stored hashed (SHA-256) | the same test: the raw token is nowhere in the database, its SHA-256 is |
//! | A revoked device gets nothing new and purges what it had | the same test (the laptop); `server/tests/members.rs` `a_revoked_phone_gets_401_revoked_everywhere_and_its_live_socket_closes` |
//! | A removed member gets nothing new; what she keeps is what she had, unreadable past the rotation | `tests/tests/membership.rs` `a_removed_clinician_loses_the_practice_and_cannot_read_what_comes_after`; `server/tests/members.rs` `removing_a_member_rotates_the_key_for_the_devices_that_remain`, `invites_from_before_a_rotation_or_from_a_removed_member_are_gone` |
//! | A device of one practice reads and changes nothing of another, by any endpoint or guessed id | `server/tests/security.rs` `a_device_of_one_practice_reaches_nothing_of_another_whatever_ids_it_guesses`; every endpoint with another workspace's token in `server/tests/matrix.rs`; end to end in `tests/tests/relay_access.rs` |
//! | Invites are single use and expire | `server/tests/membership.rs` `an_owner_invites_a_member_who_joins_once`, `two_devices_racing_for_one_invite_get_exactly_one_seat`, `an_invite_expires` (the relay's clock moved); end to end here (a used code is refused) |
//! | Error messages carry no personal data | `error_messages_name_no_one` (here); the fuzz targets `vcard`, `csv`, `invite_code` (`trellis_core::fuzzing`) check every refusal on any input |
//! | A phone's store (keys, token, notes) is readable by its user only: folder 0700, files 0600, also an older store's | `stores_are_their_owners_alone_on_phone_and_relay_and_a_remote_relay_is_never_reached_in_the_clear` (here) |
//! | A relay on another machine is reached with https only; plain http is refused before anything is sent or saved | the same test; `core/src/sync/client.rs` `a_relay_on_another_machine_must_be_reached_with_https` |
//! | The signup secret is compared in constant time | `server/tests/security.rs` `the_signup_secret_is_compared_in_constant_time` (code path: `subtle::ConstantTimeEq`) |
//! | Changes are sealed; a tampered envelope never opens | `core/src/crypto/envelope.rs` tests; the `envelope` fuzz target |
//! | The relay cannot tell whose logbook or which month a document is, and sees envelope sizes only in buckets; a change never opens as a snapshot | `tests/tests/metadata.rs` `the_relays_file_names_no_member_or_month_and_shows_only_bucketed_sizes`; `core/src/crypto/doc_ids.rs` and `core/src/crypto/envelope.rs` tests |

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use trellis_core::InviteCode;
use trellis_tests::{bin_dir, contains, Device, Relay, SIGNUP_SECRET};

/// A relay process logging JSON at debug level into a file.
struct LoggingRelay {
    child: Child,
    url: String,
    data: PathBuf,
    log: PathBuf,
}

impl LoggingRelay {
    fn start(dir: &Path) -> LoggingRelay {
        let data = dir.join("relay");
        let log = dir.join("relay.log");
        let mut child = Command::new(bin_dir().join("trellis-relay"))
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data")
            .arg(&data)
            .args(["--signup-secret", SIGNUP_SECRET])
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the log file can be made"))
            .spawn()
            .expect("the relay starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("the relay exited before listening"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        LoggingRelay {
            child,
            url,
            data,
            log,
        }
    }

    /// Stops the relay (its last log lines are written) and returns its database files' bytes
    /// and its log.
    fn stop(mut self) -> (Vec<u8>, Vec<u8>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut db = Vec::new();
        for entry in std::fs::read_dir(&self.data).expect("the data dir exists") {
            let path = entry.expect("readable").path();
            if path.is_file() {
                db.extend(std::fs::read(&path).unwrap_or_default());
            }
        }
        (db, std::fs::read(&self.log).expect("the log is readable"))
    }
}

impl Drop for LoggingRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn found(d: &Device, relay: &LoggingRelay, name: &str, practice: &str) {
    d.json(&["init", "--name", name]);
    d.json(&[
        "workspace",
        "create",
        practice,
        "--relay",
        &relay.url,
        "--signup-secret",
        SIGNUP_SECRET,
    ]);
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), bytes).expect("written");
    let out = child.wait_with_output().expect("sha256sum ends");
    let hex = String::from_utf8(out.stdout).expect("hex");
    let hex = hex.split_whitespace().next().expect("a digest");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every key epoch a device's store holds, as raw bytes.
fn stored_keys(d: &Device) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(d.data.join("trellis.sqlite3")).unwrap();
    let mut st = conn.prepare("SELECT key FROM workspace_keys").unwrap();
    let keys = st
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    keys
}

fn own_device_other_than_this(roster: &Value, member: &str) -> String {
    roster
        .as_array()
        .expect("a roster")
        .iter()
        .find(|m| m["name"] == member)
        .and_then(|m| {
            m["devices"]
                .as_array()?
                .iter()
                .find(|d| d["this_device"] != true)
        })
        .and_then(|d| d["device_id"].as_str())
        .expect("a second device")
        .to_string()
}

#[test]
fn a_practices_whole_life_leaves_no_name_note_token_invite_or_key_on_the_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = LoggingRelay::start(tmp.path());
    let dana = Device::new(tmp.path().join("dana"));
    let laptop = Device::new(tmp.path().join("laptop"));
    let sam = Device::new(tmp.path().join("sam"));
    let stranger = Device::new(tmp.path().join("stranger"));

    // Dana's practice, her contacts, a drop-by with a note.
    found(&dana, &relay, "Dana Whitfield", "Maple Street Counseling");
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&[
        "contact",
        "add",
        "Rosa Jimenez",
        "--org",
        "Lincoln",
        "--needs",
        "teens with school avoidance",
    ]);
    dana.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Prefers calls before eight",
    ]);
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--minutes",
        "20",
        "--note",
        "Offered a parent night on anxiety",
    ]);
    // Her profile card: the pitch and the facets colleagues match on.
    dana.json(&[
        "profile",
        "set",
        "--specialty",
        "school-issues",
        "--panel",
        "tricare",
        "--zip3",
        "021",
        "--openings",
        "waitlist:6",
        "--pitch",
        "Teens who dread the school bus",
    ]);
    dana.json(&["sync"]);

    // Sam joins as a member, her laptop as a device; both write and sync.
    let sam_code = dana.invite(&["--role", "member"]);
    let laptop_code = dana.invite(&["--device"]);
    sam.json(&["init", "--name", "Sam Okafor"]);
    sam.json(&["workspace", "join", &sam_code]);
    laptop.json(&["init", "--name", "Dana Whitfield"]);
    laptop.json(&["workspace", "join", &laptop_code]);
    // Dana's device hands both the practice's keys at its next sync.
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    laptop.json(&["sync"]);
    sam.json(&["contact", "add", "Pastor Grace Kim"]);
    sam.json(&[
        "contact",
        "note",
        "Grace",
        "--append",
        "Runs the Thursday grief circle",
    ]);
    sam.json(&["sync"]);
    laptop.json(&["sync"]);
    assert_eq!(
        laptop.json(&["contact", "list"]).as_array().unwrap().len(),
        2
    );

    // An invite works once.
    stranger.json(&["init", "--name", "Someone Else"]);
    let used = stranger.json_err(&["workspace", "join", &sam_code]);
    assert_eq!(used["error"], "relay", "{used}");

    // The laptop is lost: revoked. It gets nothing new and purges what it had.
    let (laptop_token, _) = laptop.credentials();
    let (sam_token, _) = sam.credentials();
    let (dana_token, _) = dana.credentials();
    let laptop_id =
        own_device_other_than_this(&dana.json(&["workspace", "members"]), "Dana Whitfield");
    dana.json(&["workspace", "revoke", &laptop_id]);
    dana.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Asked for the spring calendar",
    ]);
    dana.json(&["sync"]);
    let refused = laptop.json_err(&["sync"]);
    assert_eq!(refused["error"], "removed", "{refused}");
    let laptop_files = std::fs::read_dir(&laptop.data)
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap_or_default())
        .collect::<Vec<u8>>();
    for gone in [
        "Asked for the spring calendar",
        "Rosa Jimenez",
        "Prefers calls before eight",
    ] {
        assert!(
            !contains(&laptop_files, gone),
            "the revoked laptop still holds {gone:?}"
        );
    }

    // Sam leaves the practice (removed), and the key rotates.
    dana.json(&["workspace", "remove", "Sam"]);
    dana.json(&["sync"]);
    let keys = stored_keys(&dana);
    assert!(keys.len() >= 2, "a rotation happened");

    let (db, log) = relay.stop();
    let log_text = String::from_utf8_lossy(&log);
    // The scan reads real data: debug-level JSON lines of every request, and the stored hashes.
    assert!(log_text.lines().count() > 20, "{log_text}");
    assert!(
        log_text.contains("\"level\":\"DEBUG\""),
        "debug lines are logged"
    );
    assert!(log_text.contains("/push"), "requests are logged");
    for token in [&dana_token, &sam_token, &laptop_token] {
        assert!(
            has(&db, &sha256(token.as_bytes())),
            "a token's hash is stored"
        );
    }

    let mut secrets: Vec<(String, Vec<u8>)> = [
        "Dana Whitfield",
        "Sam Okafor",
        "Rosa Jimenez",
        "Pastor Grace Kim",
        "Lincoln Middle School",
        "Maple Street Counseling",
        "teens with school avoidance",
        "Prefers calls before eight",
        "Offered a parent night on anxiety",
        "Runs the Thursday grief circle",
        "Asked for the spring calendar",
        "Teens who dread the school bus",
        "school-issues",
        "tricare",
        "waitlist",
    ]
    .iter()
    .map(|s| (format!("plaintext {s:?}"), s.as_bytes().to_vec()))
    .collect();
    for (what, token) in [
        ("Dana's", &dana_token),
        ("Sam's", &sam_token),
        ("the laptop's", &laptop_token),
    ] {
        secrets.push((format!("{what} device token"), token.as_bytes().to_vec()));
    }
    for code in [&sam_code, &laptop_code] {
        let invite = InviteCode::decode(code).expect("a valid code");
        secrets.push(("an invite code".into(), code.as_bytes().to_vec()));
        secrets.push(("an invite secret".into(), invite.secret.as_bytes().to_vec()));
    }
    for key in keys {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        secrets.push(("a workspace key".into(), key));
        secrets.push(("a workspace key in hex".into(), hex.into_bytes()));
    }
    for (what, bytes) in &secrets {
        assert!(!has(&db, bytes), "the relay's database holds {what}");
        assert!(!has(&log, bytes), "the relay's log holds {what}");
    }
}

#[test]
fn error_messages_name_no_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dana = Device::new(tmp.path().join("dana"));
    dana.json(&["init", "--name", "Dana Whitfield"]);
    dana.json(&["workspace", "create", "Maple Street Counseling"]);

    // A file that is not a vCard, full of a client-like name: refused, the name not repeated.
    let not_vcard = tmp.path().join("export.vcf");
    std::fs::write(
        &not_vcard,
        "FN:Marisol Quintanilla\nNOTE:Marisol Quintanilla, intake on Tuesday\nEND:VCARD\n",
    )
    .unwrap();
    // A CSV without a name column, the name in its rows.
    let no_name_column = tmp.path().join("export.csv");
    std::fs::write(
        &no_name_column,
        "organization,notes\nLincoln,Marisol Quintanilla intake on Tuesday\n",
    )
    .unwrap();
    // An invite code cut short, and one that is not a code at all but a pasted note.
    for args in [
        vec!["import", "vcard", not_vcard.to_str().unwrap()],
        vec!["import", "csv", no_name_column.to_str().unwrap()],
        vec!["workspace", "join", "trellis1.TWFyaXNvbCBRdWludGFuaWxsYQ"],
        vec!["workspace", "join", "Marisol Quintanilla intake on Tuesday"],
    ] {
        let out = dana.run(&[&["--json"][..], &args].concat());
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err: Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
        let text = format!("{err}");
        assert!(!text.contains("Marisol"), "{args:?}: {text}");
        assert!(!text.contains("Quintanilla"), "{args:?}: {text}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{text}"
        );
        // The same error in words for a person, without --json.
        let plain = dana.run(&args);
        let plain = String::from_utf8_lossy(&plain.stderr);
        assert!(!plain.contains("Marisol"), "{args:?}: {plain}");
    }
    // Nothing was imported or joined.
    assert_eq!(dana.json(&["contact", "list"]), serde_json::json!([]));
}

/// The permission bits of a file or folder.
#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .expect("it exists")
        .permissions()
        .mode()
        & 0o777
}

/// Dana sets up her phone: the store's folder and files are hers alone, and so are those of a
/// store an older version left world-readable. She mistypes the practice's relay as plain
/// http on another machine: refused with a message that says to use https, and no practice
/// is made.
#[cfg(unix)]
#[test]
fn stores_are_their_owners_alone_on_phone_and_relay_and_a_remote_relay_is_never_reached_in_the_clear(
) {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dana = Device::new(tmp.path().join("phone").join("trellis"));
    dana.json(&["init", "--name", "Dana"]);
    dana.json(&["workspace", "create", "Maple Street Counseling"]);
    dana.json(&["org", "add", "Lincoln Middle School"]);
    assert_eq!(mode(&dana.data), 0o700);
    assert_eq!(mode(dana.data.parent().unwrap()), 0o700);
    for name in [
        "trellis.sqlite3",
        "trellis.sqlite3-wal",
        "trellis.sqlite3-shm",
    ] {
        let file = dana.data.join(name);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{name}");
        }
    }

    // The relay's data directory and database are its user's alone too, on first start and
    // after an older version left them open.
    let relay_data = tmp.path().join("srv").join("relay");
    let relay = Relay::start(&relay_data, 0);
    assert_eq!(mode(&relay_data), 0o700);
    for name in ["relay.sqlite3", "relay.sqlite3-wal", "relay.sqlite3-shm"] {
        let file = relay_data.join(name);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{name}");
        }
    }
    let (relay_data, port) = relay.kill();
    if trellis_tests::database_url(&relay_data).is_none() {
        std::fs::set_permissions(&relay_data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = relay_data.join("relay.sqlite3");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _relay = Relay::start_retrying(&relay_data, port);
        assert_eq!(mode(&relay_data), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    // A store an older version left readable by everyone is narrowed when it is next opened.
    let store = dana.data.join("trellis.sqlite3");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    dana.json(&["org", "list"]);
    assert_eq!(mode(&store), 0o600);

    for url in ["http://relay.example.org", "http://192.168.1.20:8787"] {
        let refused = dana.json_err(&[
            "workspace",
            "connect",
            "--relay",
            url,
            "--signup-secret",
            SIGNUP_SECRET,
        ]);
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(message.contains("https://"), "{refused}");
        let refused = dana.json_err(&[
            "workspace",
            "create",
            "Harbor Family Therapy",
            "--relay",
            url,
            "--signup-secret",
            SIGNUP_SECRET,
        ]);
        assert!(
            refused["message"]
                .as_str()
                .unwrap_or_default()
                .contains("https://"),
            "{refused}"
        );
    }
    let practices = dana.json(&["workspace", "list"]);
    assert_eq!(practices.as_array().map(Vec::len), Some(1), "{practices}");
    assert_eq!(dana.json(&["status"])["relay_url"], Value::Null);
}
