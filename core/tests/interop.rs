//! Stories of contacts coming in from a phone's address book or a spreadsheet, and going out to
//! other apps. The fixtures in `tests/fixtures/` are written as Google Contacts (vCard 3.0),
//! Apple Contacts (3.0, grouped `itemN.` properties, folded lines, a photo) and Outlook (2.1,
//! quoted-printable) export them. Exported files are read back with the `ical` crate, a parser
//! independent of the calcard that writes them.

use std::io::BufReader;

use trellis_core::interop::{ImportReport, Progress};
use trellis_core::{
    Contact, ContactCategory, Error, NewActivity, NewContact, NewFollowUp, NewOrg, OrgKind, Stage,
    Store,
};

const GOOGLE: &str = include_str!("fixtures/google.vcf");
const APPLE: &str = include_str!("fixtures/apple.vcf");
const OUTLOOK: &str = include_str!("fixtures/outlook.vcf");

fn device(name: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.sqlite3")).unwrap();
    store.init(name).unwrap();
    store.create_workspace("Maple Street Counseling").unwrap();
    (dir, store)
}

fn contact(store: &Store, name: &str) -> Contact {
    store
        .contacts()
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} was not imported"))
}

fn no_progress() -> impl FnMut(Progress) {
    |_| {}
}

/// The fields that must survive a round trip (ids and timestamps are the new store's own).
fn portable(c: &Contact) -> impl PartialEq + std::fmt::Debug {
    (
        c.name.clone(),
        c.organization.clone(),
        c.role.clone(),
        c.category,
        c.stage,
        c.cadence_days,
        c.phones.clone(),
        c.emails.clone(),
        c.needs.clone(),
        c.how_we_help.clone(),
        c.tags.clone(),
    )
}

/// A practice's contacts with every field a contact can have, and notes.
fn seeded_practice() -> (tempfile::TempDir, Store) {
    let (dir, store) = device("Dana Whitfield");
    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            kind: Some(OrgKind::School),
            location: Some((42.3601, -71.0589)),
            ..Default::default()
        })
        .unwrap();
    store
        .add_org(&NewOrg {
            name: "St. Brigid Parish".into(),
            kind: Some(OrgKind::PlaceOfWorship),
            ..Default::default()
        })
        .unwrap();
    store
        .add_contact(&NewContact {
            name: "Rosa Jimenez".into(),
            organization: Some("Lincoln Middle School".into()),
            role: Some("Lead counselor, grades 6–8; PTO liaison".into()),
            category: Some(ContactCategory::SchoolCounselor),
            stage: Some(Stage::Referring),
            cadence_days: Some(21),
            phones: vec!["(617) 555-0142".into(), "617-555-0100 ext. 12".into()],
            emails: vec!["rjimenez@lincoln.k12.example".into()],
            needs: Some("Teens with anxiety, school refusal;\nparents asking about groups".into()),
            how_we_help: Some("Tuesday teen group, a parent night talk".into()),
            tags: vec!["schools".into(), "north side, close".into()],
        })
        .unwrap();
    store
        .add_contact(&NewContact {
            name: "Father Thomas Nguyen".into(),
            organization: Some("St. Brigid Parish".into()),
            category: Some(ContactCategory::Clergy),
            emails: vec![
                "tnguyen@stbrigid.example".into(),
                "office@stbrigid.example".into(),
            ],
            ..Default::default()
        })
        .unwrap();
    store
        .add_contact(&NewContact {
            name: "Ana Ruiz".into(),
            category: Some(ContactCategory::Yoga),
            stage: Some(Stage::Introduced),
            ..Default::default()
        })
        .unwrap();
    store
        .append_note("Rosa Jimenez", "Prefers email; free after 2:30.")
        .unwrap();
    store
        .append_note("Rosa Jimenez", "Asked for 20 teen-anxiety brochures")
        .unwrap();
    (dir, store)
}

#[test]
fn a_therapist_imports_her_phones_contacts_from_three_exporters() {
    let (_dir, store) = device("Dana Whitfield");
    // She already keeps the school in Trellis, typed her own way.
    store
        .add_org(&NewOrg {
            name: "Lincoln middle school".into(),
            kind: Some(OrgKind::School),
            ..Default::default()
        })
        .unwrap();

    let mut calls = Vec::new();
    let google = store.import_vcard(GOOGLE, &mut |p| calls.push(p)).unwrap();
    assert_eq!(calls.last(), Some(&Progress { done: 2, total: 2 }));
    assert_eq!((google.added, google.duplicates), (2, 0), "{google:?}");
    assert_eq!(
        google.organizations_added, 1,
        "the school was found, the law firm made"
    );

    let apple = store.import_vcard(APPLE, &mut no_progress()).unwrap();
    assert_eq!((apple.added, apple.duplicates), (1, 1), "{apple:?}");
    let outlook = store.import_vcard(OUTLOOK, &mut no_progress()).unwrap();
    assert_eq!((outlook.added, outlook.duplicates), (2, 1), "{outlook:?}");
    assert!(google.skipped.is_empty() && apple.skipped.is_empty() && outlook.skipped.is_empty());

    // Rosa came three times (Google; Apple with her email in other case; Outlook with her
    // number written another way) and is there once.
    let names: Vec<String> = store
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "Dr. Daniel Okafor",
            "Father Thomas Nguyen",
            "Inés González",
            "Marcus Bell",
            "Rosa Jimenez"
        ]
    );

    // The imported counselor has her phone, email, organization and title, and her note.
    let rosa = contact(&store, "Rosa Jimenez");
    assert_eq!(rosa.phones, ["(617) 555-0142"]);
    assert_eq!(rosa.emails, ["rjimenez@lincoln.k12.example"]);
    assert_eq!(rosa.organization.as_deref(), Some("Lincoln middle school"));
    assert_eq!(rosa.role.as_deref(), Some("Lead counselor, grades 6–8"));
    assert_eq!(rosa.tags, ["Schools"], "Google's myContacts is not a tag");
    let detail = store.contact(&rosa.id).unwrap();
    assert_eq!(detail.notes.len(), 1);
    assert_eq!(
        detail.notes[0].text,
        "Met at PTO night; prefers email, not calls.\nRuns a grief group."
    );
    let orgs = store.organizations().unwrap();
    let school = orgs
        .iter()
        .find(|o| o.name == "Lincoln middle school")
        .unwrap();
    assert_eq!(
        school.kind,
        OrgKind::School,
        "the existing organization is reused"
    );
    let firm = orgs
        .iter()
        .find(|o| o.name == "Bell & Ortiz, Family Law")
        .unwrap();
    assert_eq!(firm.kind, OrgKind::Other);

    // Apple: preferred phone first, the labelled fax left out, folded note unfolded, no photo.
    let okafor = contact(&store, "Dr. Daniel Okafor");
    assert_eq!(okafor.phones, ["+1 (617) 555-0190", "617-555-0191"]);
    assert_eq!(okafor.emails, ["dokafor@maplepeds.example"]);
    assert_eq!(okafor.organization.as_deref(), Some("Maple Pediatrics"));
    assert_eq!(okafor.role.as_deref(), Some("Pediatrician"));
    let note = &store.contact(&okafor.id).unwrap().notes[0].text;
    assert!(
        note.contains("nurse practitioner who starts in September, and whether"),
        "{note}"
    );

    // Outlook: bare 2.1 types, the fax left out, quoted-printable with soft breaks, CRLF → LF,
    // UTF-8 without CHARSET, Windows-1252 with it.
    let nguyen = contact(&store, "Father Thomas Nguyen");
    assert_eq!(nguyen.phones, ["(617) 555-0175", "(617) 555-0176"]);
    assert_eq!(nguyen.emails, ["tnguyen@stbrigid.example"]);
    assert_eq!(nguyen.role.as_deref(), Some("Pastor"));
    assert_eq!(
        store.contact(&nguyen.id).unwrap().notes[0].text,
        "Runs the grief support ministry.\nAsked for brochures on teen anxiety — bring 20."
    );
    let ines = contact(&store, "Inés González");
    assert_eq!(ines.role.as_deref(), Some("Studio owner – yoga for teens"));
    assert_eq!(ines.phones, ["617.555.0160"]);

    // Importing the same files again adds nothing.
    let again: usize = [GOOGLE, APPLE, OUTLOOK]
        .iter()
        .map(|f| {
            let r = store.import_vcard(f, &mut no_progress()).unwrap();
            assert_eq!(r.added, 0);
            r.duplicates
        })
        .sum();
    assert_eq!(again, 7);
    assert_eq!(store.contacts().unwrap().len(), 5);
}

#[test]
fn exported_vcard_reads_with_another_parser_and_imports_as_the_same_contacts() {
    let (_a, practice) = seeded_practice();
    let vcf = practice.export_vcard().unwrap();

    // An independent parser reads every card with the expected properties.
    let cards: Vec<_> = ical::VcardParser::new(BufReader::new(vcf.as_bytes()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cards.len(), 3);
    let prop = |card: &ical::parser::vcard::component::VcardContact, name: &str| -> Vec<String> {
        card.properties
            .iter()
            .filter(|p| p.name == name)
            .filter_map(|p| p.value.clone())
            .collect()
    };
    let rosa = cards
        .iter()
        .find(|c| prop(c, "FN") == ["Rosa Jimenez"])
        .unwrap();
    assert_eq!(prop(rosa, "VERSION"), ["4.0"]);
    assert_eq!(prop(rosa, "N"), ["Jimenez;Rosa;;;"]);
    assert_eq!(prop(rosa, "ORG"), ["Lincoln Middle School"]);
    assert_eq!(
        prop(rosa, "TITLE"),
        ["Lead counselor\\, grades 6–8\\; PTO liaison"]
    );
    assert_eq!(prop(rosa, "TEL").len(), 2);
    assert_eq!(prop(rosa, "EMAIL"), ["rjimenez@lincoln.k12.example"]);
    assert_eq!(prop(rosa, "CATEGORIES"), ["schools,north side\\, close"]);
    assert_eq!(prop(rosa, "GEO"), ["geo:42.3601,-71.0589"]);
    assert_eq!(prop(rosa, "X-TRELLIS-CATEGORY"), ["school-counselor"]);
    assert_eq!(prop(rosa, "X-TRELLIS-STAGE"), ["referring"]);
    assert_eq!(prop(rosa, "X-TRELLIS-CADENCE"), ["21"]);
    assert_eq!(prop(rosa, "X-TRELLIS-HOW-WE-HELP").len(), 1);
    assert_eq!(prop(rosa, "X-TRELLIS-NEEDS").len(), 1);
    let note = prop(rosa, "NOTE").join("");
    assert!(
        note.contains("(Dana Whitfield): Prefers email\\; free after 2:30."),
        "{note}"
    );
    assert!(
        note.contains("Asked for 20 teen-anxiety brochures"),
        "{note}"
    );
    assert!(prop(rosa, "UID")[0].starts_with("urn:uuid:"));

    // Into an empty workspace on another device: the same contacts.
    let (_b, laptop) = device("Dana on the laptop");
    let report = laptop.import_vcard(&vcf, &mut no_progress()).unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 3,
            duplicates: 0,
            organizations_added: 2,
            skipped: vec![]
        }
    );
    let before: Vec<_> = practice.contacts().unwrap().iter().map(portable).collect();
    let after: Vec<_> = laptop.contacts().unwrap().iter().map(portable).collect();
    assert_eq!(before, after);
    let school = laptop
        .organizations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Lincoln Middle School")
        .unwrap();
    assert_eq!((school.lat, school.lon), (Some(42.3601), Some(-71.0589)));
    let notes = laptop.contact("Rosa Jimenez").unwrap().notes;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].text.contains("Prefers email; free after 2:30."));
}

#[test]
fn exported_csv_imports_as_the_same_contacts() {
    let (_a, practice) = seeded_practice();
    let csv = practice.export_csv().unwrap();
    assert!(csv.starts_with(
        "name,organization,role,category,stage,cadence_days,phones,emails,needs,how_we_help,tags\n"
    ));
    assert!(csv.contains("(617) 555-0142;617-555-0100 ext. 12"), "{csv}");

    let (_b, laptop) = device("Dana on the laptop");
    let report = laptop.import_csv(&csv, &mut no_progress()).unwrap();
    assert_eq!((report.added, report.duplicates), (3, 0), "{report:?}");
    let before: Vec<_> = practice.contacts().unwrap().iter().map(portable).collect();
    let after: Vec<_> = laptop.contacts().unwrap().iter().map(portable).collect();
    assert_eq!(before, after);
}

#[test]
fn a_csv_with_one_bad_row_imports_the_others_and_reports_the_line() {
    let (_dir, store) = device("Dana Whitfield");
    let csv = "Emails,Name,Category,Organization,Shoe size\n\
               rjimenez@lincoln.example,Rosa Jimenez,school-counselor,Lincoln Middle School,7\n\
               ,Zed Quack,astrologer,,\n\
               dokafor@maplepeds.example,Daniel Okafor,pediatrician,Maple Pediatrics,\n\
               RJIMENEZ@lincoln.example,R. Jimenez,,,\n\
               ,Ana Ruiz,yoga,,\n";
    let report = store.import_csv(csv, &mut no_progress()).unwrap();
    assert_eq!(report.added, 3, "{report:?}");
    assert_eq!(
        report.duplicates, 1,
        "a later row with Rosa's email is the same person"
    );
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].line_or_card, 3);
    assert!(
        report.skipped[0]
            .reason
            .contains("not a known contact category"),
        "{}",
        report.skipped[0].reason
    );
    let names: Vec<String> = store
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Ana Ruiz", "Daniel Okafor", "Rosa Jimenez"]);
    assert_eq!(
        contact(&store, "Daniel Okafor").category,
        ContactCategory::Pediatrician
    );
    // The report is what `--json` prints.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["skipped"][0]["line_or_card"], 3);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (_dir, store) = device("Dana Whitfield");
    let pending = store.status().unwrap().pending_changes;
    let vcards = [
        "",
        "\r\n",
        "just some notes\nnot contacts\n",
        "name,email\nA,a@x.org\n",
    ];
    for bad in vcards {
        let err = store.import_vcard(bad, &mut no_progress()).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err}");
    }
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
    assert!(store.import_vcard(ics, &mut no_progress()).is_err());
    for bad in ["", "organization,role\nLincoln,Counselor\n"] {
        let err = store.import_csv(bad, &mut no_progress()).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err}");
    }
    // A card that is there but cannot be a contact is reported, not fatal.
    let odd = "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Acme\r\nEND:VCARD\r\n\
               BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Kim Lee\r\nX-TRELLIS-STAGE:best friends\r\nEND:VCARD\r\n";
    let report = store.import_vcard(odd, &mut no_progress()).unwrap();
    let at: Vec<usize> = report.skipped.iter().map(|s| s.line_or_card).collect();
    assert_eq!((report.added, at), (0, vec![1, 2]), "{report:?}");
    assert!(store.contacts().unwrap().is_empty());
    assert!(store.organizations().unwrap().is_empty());
    assert_eq!(store.status().unwrap().pending_changes, pending);
}

#[test]
fn a_long_import_reports_progress_as_it_goes() {
    let (_dir, store) = device("Dana Whitfield");
    let vcf: String = (0..250)
        .map(|i| format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Contact {i}\r\nEND:VCARD\r\n"))
        .collect();
    let mut seen = Vec::new();
    let report = store.import_vcard(&vcf, &mut |p| seen.push(p)).unwrap();
    assert_eq!(report.added, 250);
    let done: Vec<usize> = seen.iter().map(|p| p.done).collect();
    assert_eq!(done, [100, 200, 250]);
    assert!(seen.iter().all(|p| p.total == 250));
}

#[test]
fn exported_ics_reads_with_another_parser_with_todos_alarms_and_the_weekly_block() {
    let (_dir, store) = seeded_practice();
    store.set_goals(Some(300), None, None).unwrap();
    // A drop-by calls for a thank-you; a check-in is added by hand; a done one stays out.
    store
        .log_activity(&NewActivity {
            organization: Some("Lincoln Middle School".into()),
            contacts: vec!["Rosa Jimenez".into()],
            minutes: 20,
            ..Default::default()
        })
        .unwrap();
    store
        .add_followup(&NewFollowUp {
            contact: Some("Father Thomas Nguyen".into()),
            due: Some("2030-01-15".into()),
            note: Some("Bring the grief group flyer".into()),
            ..Default::default()
        })
        .unwrap();
    let done = store
        .add_followup(&NewFollowUp {
            contact: Some("Ana Ruiz".into()),
            ..Default::default()
        })
        .unwrap();
    store.complete_followup(&done.id).unwrap();

    let ics = store.export_ics().unwrap();
    let calendars: Vec<_> = ical::IcalParser::new(BufReader::new(ics.as_bytes()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(calendars.len(), 1);
    let cal = &calendars[0];
    let value = |props: &[ical::property::Property], name: &str| -> Option<String> {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
    };
    assert_eq!(value(&cal.properties, "VERSION").as_deref(), Some("2.0"));

    assert_eq!(cal.todos.len(), 2, "open follow-ups only");
    let summaries: Vec<String> = cal
        .todos
        .iter()
        .filter_map(|t| value(&t.properties, "SUMMARY"))
        .collect();
    assert!(
        summaries.contains(&"Thank-you note: Rosa Jimenez".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"Check in: Father Thomas Nguyen".to_string()),
        "{summaries:?}"
    );
    for todo in &cal.todos {
        for name in ["UID", "DTSTAMP", "DUE", "DESCRIPTION"] {
            assert!(value(&todo.properties, name).is_some(), "{name} missing");
        }
        let due = value(&todo.properties, "DUE").unwrap();
        assert!(due.ends_with('Z') && due.len() == 16, "{due}");
        assert_eq!(todo.alarms.len(), 1);
        let alarm = &todo.alarms[0].properties;
        assert_eq!(value(alarm, "ACTION").as_deref(), Some("DISPLAY"));
        assert_eq!(
            value(alarm, "TRIGGER"),
            Some(due),
            "the alarm fires at the due time"
        );
    }
    let nguyen = cal
        .todos
        .iter()
        .find(|t| value(&t.properties, "SUMMARY").is_some_and(|s| s.contains("Nguyen")))
        .unwrap();
    let description = value(&nguyen.properties, "DESCRIPTION").unwrap();
    assert!(
        description.contains("Bring the grief group flyer"),
        "{description}"
    );

    assert_eq!(cal.events.len(), 1);
    let block = &cal.events[0].properties;
    let rrule = value(block, "RRULE").unwrap();
    assert!(rrule.contains("FREQ=WEEKLY"), "{rrule}");
    assert!(
        rrule.contains("BYDAY=TU,WE"),
        "300 minutes are two blocks: {rrule}"
    );
    assert_eq!(value(block, "DURATION").as_deref(), Some("PT2H30M"));
    let start = value(block, "DTSTART").unwrap();
    assert!(start.ends_with("T090000"), "{start}");
    assert_eq!(value(block, "SUMMARY").as_deref(), Some("Networking time"));
}
