//! Profile cards: Dana writes hers on her phone, Sam reads it on his after a sync and writes
//! his own; a card with a value outside the closed lists, or a pitch too long, is refused and
//! nothing is stored; a colleague's card goes out as a vCard to hand a referral source.

use tempfile::TempDir;
use trellis_core::{
    AgeBand, CardUpdate, Credential, Error, Language, Modality, Openings, Panel, Role, Specialty,
    Store,
};

use crate::common;

const SECRET: &str = "profiles-secret";

/// Dana's practice on a relay, and Sam let in as a member (his device holds the keys).
async fn colleagues() -> (TempDir, Store, Store) {
    let dir = TempDir::new().expect("temp dir");
    let url = format!("http://{}", common::relay(&dir, SECRET).await);
    let dana = Store::open(dir.path().join("dana.sqlite3")).expect("open");
    dana.init("Dana Whitfield").expect("init");
    dana.create_shared_workspace("Maple Street Counseling", &url, SECRET)
        .await
        .expect("practice");
    let sam = Store::open(dir.path().join("sam.sqlite3")).expect("open");
    sam.init("Sam Okafor").expect("init");
    let code = dana
        .create_invite(Role::Member, false)
        .await
        .expect("invite");
    sam.join(&code, None).await.expect("join");
    dana.sync().await.expect("dana hands the keys over");
    sam.sync().await.expect("sam syncs");
    (dir, dana, sam)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colleagues_read_each_others_cards_and_a_bad_card_stores_nothing() {
    let (_dir, dana, sam) = colleagues().await;

    // Before she writes one, Dana's card is empty and asks her to say whether she has room.
    let empty = dana.profile(None).expect("own card");
    assert!(empty.mine && empty.openings_stale);
    assert_eq!(empty.card.openings, None);

    let written = dana
        .set_profile(&CardUpdate {
            specialties: Some(vec![Specialty::Anxiety, Specialty::SchoolIssues]),
            age_bands: Some(vec![AgeBand::Teen]),
            modalities: Some(vec![Modality::Cbt]),
            panels: Some(vec![Panel::Aetna, Panel::Bcbs]),
            languages: Some(vec![Language::English, Language::Spanish]),
            telehealth: Some(vec!["ma".into()]),
            zip3: Some(Some("010".into())),
            credentials: Some(vec![Credential::Lcsw]),
            openings: Some(Openings::Waitlist { weeks: 3 }),
            pitch: Some(Some("I help teens with anxiety get back to school.".into())),
            ..Default::default()
        })
        .expect("card");
    assert!(!written.openings_stale, "just confirmed");
    assert_eq!(written.card.telehealth, ["MA"]);

    // A later change replaces only what it names.
    dana.set_profile(&CardUpdate {
        openings: Some(Openings::Accepting),
        ..Default::default()
    })
    .expect("openings");
    dana.sync().await.expect("sync");
    sam.sync().await.expect("sync");
    let seen = sam
        .profile(Some("Dana"))
        .expect("Dana's card on Sam's phone");
    assert!(!seen.mine);
    assert_eq!(seen.name, "Dana Whitfield");
    assert_eq!(seen.card.openings, Some(Openings::Accepting));
    assert_eq!(seen.card.panels, [Panel::Aetna, Panel::Bcbs]);
    assert_eq!(seen.card.age_bands, [AgeBand::Teen]);

    // Refused, nothing stored: a ZIP finer than three digits, a state that is none, a pitch
    // of a page.
    let before = sam.status().expect("status").pending_changes;
    for bad in [
        CardUpdate {
            zip3: Some(Some("01002".into())),
            openings: Some(Openings::Full),
            ..Default::default()
        },
        CardUpdate {
            telehealth: Some(vec!["Massachusetts".into()]),
            ..Default::default()
        },
        CardUpdate {
            pitch: Some(Some("a".repeat(2000))),
            ..Default::default()
        },
    ] {
        assert!(matches!(sam.set_profile(&bad), Err(Error::InvalidInput(_))));
    }
    assert_eq!(sam.status().expect("status").pending_changes, before);
    assert_eq!(sam.profile(None).expect("own").card.openings, None);

    sam.set_profile(&CardUpdate {
        modalities: Some(vec![Modality::Emdr]),
        openings: Some(Openings::Full),
        ..Default::default()
    })
    .expect("Sam's card");
    sam.sync().await.expect("sync");
    dana.sync().await.expect("sync");
    let names: Vec<String> = dana
        .profiles()
        .expect("cards")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Dana Whitfield", "Sam Okafor"]);

    // Dana's card as a vCard, for a school counselor's address book.
    let vcf = sam.profile_vcard(Some("Dana")).expect("vCard");
    assert!(vcf.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{vcf}");
    for line in [
        "FN:Dana Whitfield",
        "TITLE:LCSW",
        "X-TRELLIS-OPENINGS:accepting",
        "X-TRELLIS-ZIP3:010",
        "LANG:es",
    ] {
        assert!(vcf.contains(line), "{line} in {vcf}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_first_cards_written_offline_on_two_phones_both_survive_the_sync() {
    let (_dir, dana, sam) = colleagues().await;

    // Both write their first card before either syncs.
    for (store, modality) in [(&dana, Modality::Cbt), (&sam, Modality::Emdr)] {
        store
            .set_profile(&CardUpdate {
                modalities: Some(vec![modality]),
                openings: Some(Openings::Accepting),
                ..Default::default()
            })
            .expect("card");
    }
    // Out of range, refused by the core whatever the app let through.
    for bad in [
        CardUpdate {
            openings: Some(Openings::Waitlist { weeks: 0 }),
            ..Default::default()
        },
        CardUpdate {
            self_pay: Some(Some(trellis_core::FeeRange { min: 150, max: 80 })),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            dana.set_profile(&bad),
            Err(Error::InvalidInput(_))
        ));
    }
    for _ in 0..2 {
        dana.sync().await.expect("sync");
        sam.sync().await.expect("sync");
    }
    for store in [&dana, &sam] {
        let cards: Vec<(String, Vec<Modality>)> = store
            .profiles()
            .expect("cards")
            .into_iter()
            .map(|p| (p.name, p.card.modalities))
            .collect();
        assert_eq!(
            cards,
            [
                ("Dana Whitfield".to_string(), vec![Modality::Cbt]),
                ("Sam Okafor".to_string(), vec![Modality::Emdr]),
            ]
        );
    }
}
