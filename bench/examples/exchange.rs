//! What the regional exchange costs on one device: posting a need (durable, with its text
//! checked against every name the device knows), and ranking a region's open needs against
//! the member's own card, for a region of `N` open posts (2,000 unless given):
//! `cargo run --release -p trellis-bench --example exchange -- [N]`.
//!
//! The posts are written on this device into a region kept on it (no relay), their facets
//! cycling through the closed lists so that some fit the card and most do not.

use std::time::Instant;

use trellis_core::{
    AgeBand, CardUpdate, Language, Modality, Need, NewContact, NewPost, Openings, Panel, Payer,
    PostFilter, Scope, Service, Specialty, Store, Urgency,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trellis.sqlite3");
    let practice = Store::open(&path)?;
    practice.init("Sam Okafor")?;
    practice.create_workspace("Oak Hill Therapy")?;
    for i in 0..200 {
        practice.add_contact(&NewContact {
            name: format!("Referral Source {i}"),
            ..Default::default()
        })?;
    }
    practice.set_profile(&CardUpdate {
        age_bands: Some(vec![AgeBand::Teen, AgeBand::YoungAdult]),
        specialties: Some(vec![Specialty::Anxiety, Specialty::Depression]),
        modalities: Some(vec![Modality::Cbt]),
        panels: Some(vec![Panel::Aetna, Panel::Bcbs]),
        telehealth: Some(vec!["MA".into()]),
        languages: Some(vec![Language::English]),
        openings: Some(Openings::Accepting),
        ..Default::default()
    })?;
    let region = practice.with_scope(Scope::Region);
    region.create_workspace("Pioneer Valley therapists")?;

    let mut post_ms = Vec::with_capacity(n);
    for i in 0..n {
        // Each facet from other bits of a hash of i, so that facets do not move in step.
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let pick = |shift: u32, len: usize| ((h >> shift) as usize) % len;
        let specialty = Specialty::ALL[pick(8, Specialty::ALL.len())];
        let need = Need {
            service: Service::ALL[pick(16, Service::ALL.len())],
            age_band: AgeBand::ALL[pick(24, AgeBand::ALL.len())],
            specialties: vec![specialty],
            modalities: vec![Modality::ALL[pick(32, Modality::ALL.len())]],
            payer: Some(Payer::Panel(Panel::ALL[pick(40, Panel::ALL.len())])),
            zip3: None,
            telehealth: Some(["MA", "NY", "CT"][pick(48, 3)].into()),
            language: None,
            when: None,
            urgency: Urgency::ALL[pick(56, Urgency::ALL.len())],
            // A substance-use need carries no text (42 CFR Part 2).
            text: (specialty != Specialty::SubstanceUse)
                .then(|| "Prefers evening sessions, open to telehealth".into()),
        };
        let t = Instant::now();
        region.post_need(&NewPost {
            need,
            expires_days: Some(30),
        })?;
        post_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    post_ms.sort_by(f64::total_cmp);

    let mut rank_ms = Vec::new();
    let mut fitting = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let posts = region.posts(PostFilter::default())?;
        rank_ms.push(t.elapsed().as_secs_f64() * 1e3);
        fitting = posts.iter().filter(|p| p.fits).count();
        assert_eq!(posts.len(), n);
    }
    rank_ms.sort_by(f64::total_cmp);
    let t = Instant::now();
    let fits_me = region.posts(PostFilter {
        fits_me: true,
        mine: false,
    })?;
    let fits_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(fits_me.len(), fitting);

    println!("| measure | value | goal |");
    println!("| --- | ---: | --- |");
    println!(
        "| post a need, p50 / p99 of {n} | {:.2} / {:.2} ms |  |",
        post_ms[n / 2],
        post_ms[(n * 99 / 100).min(n - 1)]
    );
    println!(
        "| rank {n} open posts against the card, median of 10 | {:.1} ms | ≤ 50 ms |",
        rank_ms[rank_ms.len() / 2]
    );
    println!("| list the {fitting} that fit (--fits-me) | {fits_ms:.1} ms |  |");
    Ok(())
}
