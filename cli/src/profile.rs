//! `trellis profile set|show|list|card`: the member's profile card, read by colleagues, handed to
//! referral sources as a vCard or a QR code of it (PNG or SVG, chosen by the file's extension).
//! Files are written atomically, as exports are.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use qrcode::{EcLevel, QrCode};
use trellis_core::{
    AgeBand, CardUpdate, Credential, Error, FeeRange, Language, Modality, Openings, Panel,
    Population, Profile, Specialty, Store,
};

use crate::output::{table, Out};

/// `trellis profile ...`
#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Change your card: each option given replaces that part of it (repeat an option for
    /// several values; `--clear` empties the lists named). Lists are closed: an unknown value
    /// is refused with the accepted ones
    Set(Box<SetArgs>),
    /// A card: yours, or a colleague's by name or id prefix
    Show {
        /// Member name or id prefix
        member: Option<String>,
    },
    /// Every card in the practice
    List,
    /// Your card (or a colleague's) as a vCard 4.0 file, or a QR code of it (.png or .svg)
    Card {
        /// Member name or id prefix (default: you)
        member: Option<String>,
        /// Write the vCard to this file
        #[arg(long, value_name = "FILE", conflicts_with = "qr")]
        vcard: Option<PathBuf>,
        /// Write a QR code of the vCard to this .png or .svg file
        #[arg(long, value_name = "FILE")]
        qr: Option<PathBuf>,
    },
}

/// `trellis profile set` options.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// What you treat (e.g. anxiety, trauma-ptsd, adhd)
    #[arg(long = "specialty", value_name = "S")]
    specialties: Vec<String>,
    /// Who you see (e.g. adolescents, couples, veterans)
    #[arg(long = "population", value_name = "P")]
    populations: Vec<String>,
    /// Ages you see: 0-5, 6-12, 13-17, 18-25, 26-64, 65+
    #[arg(long = "age-band", value_name = "B")]
    age_bands: Vec<String>,
    /// How you work (e.g. cbt, dbt, emdr, play-therapy)
    #[arg(long = "modality", value_name = "M")]
    modalities: Vec<String>,
    /// Insurance panels you are on (e.g. aetna, bcbs, medicaid)
    #[arg(long = "panel", value_name = "P")]
    panels: Vec<String>,
    /// Your self-pay range in whole dollars, MIN-MAX (e.g. 80-150)
    #[arg(long, value_name = "MIN-MAX")]
    self_pay: Option<String>,
    /// Languages you work in (e.g. en, es, asl)
    #[arg(long = "language", value_name = "L")]
    languages: Vec<String>,
    /// Where you see clients in person: the first three digits of the ZIP code
    #[arg(long, value_name = "NNN")]
    zip3: Option<String>,
    /// States you offer telehealth in (postal codes, e.g. MA)
    #[arg(long = "telehealth", value_name = "ST")]
    telehealth: Vec<String>,
    /// Your licenses and degrees (e.g. lcsw, lmft, psyd)
    #[arg(long = "credential", value_name = "C")]
    credentials: Vec<String>,
    /// Whether you take new clients: accepting, waitlist:WEEKS or full (confirms it as of now)
    #[arg(long, value_name = "STATUS")]
    openings: Option<String>,
    /// Your elevator pitch (a few sentences; "" removes it)
    #[arg(long, value_name = "TEXT")]
    pitch: Option<String>,
    /// Empty these lists or fields: specialty, population, age-band, modality, panel,
    /// self-pay, language, zip3, telehealth, credential
    #[arg(long = "clear", value_name = "PART")]
    clear: Vec<String>,
}

/// Runs `trellis profile ...`.
pub fn run(store: &Store, out: Out, cmd: ProfileCmd) -> Result<(), Error> {
    match cmd {
        ProfileCmd::Set(args) => {
            let update = update(*args)?;
            if update == CardUpdate::default() {
                return Err(Error::invalid(
                    "say what to change, e.g. `trellis profile set --openings accepting`",
                ));
            }
            let p = store.set_profile(&update)?;
            out.show(&p, show);
        }
        ProfileCmd::Show { member } => {
            let p = store.profile(member.as_deref())?;
            out.show(&p, show);
        }
        ProfileCmd::List => {
            let all = store.profiles()?;
            out.show(&all, |all| {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            openings(p),
                            join(p.card.specialties.iter().map(|v| v.as_str())),
                            join(p.card.age_bands.iter().map(|v| v.as_str())),
                        ]
                    })
                    .collect();
                table(
                    &["NAME", "OPENINGS", "SPECIALTIES", "AGES"],
                    &rows,
                    "No cards yet: `trellis profile set` writes yours.",
                );
            });
        }
        ProfileCmd::Card { member, vcard, qr } => {
            let text = store.profile_vcard(member.as_deref())?;
            let written = match (vcard, qr) {
                (Some(path), None) => {
                    crate::interop::write_atomically(&path, text.as_bytes())?;
                    path
                }
                (None, Some(path)) => {
                    write_qr(&path, &text)?;
                    path
                }
                _ => {
                    return Err(Error::invalid(
                        "say where: --vcard FILE.vcf, or --qr FILE.png or FILE.svg",
                    ))
                }
            };
            let shown = written.display().to_string();
            out.show(&serde_json::json!({ "written": shown }), |_| {
                println!("Wrote {shown}.")
            });
        }
    }
    Ok(())
}

fn update(a: SetArgs) -> Result<CardUpdate, Error> {
    fn list<T>(
        given: &[String],
        cleared: bool,
        parse: impl Fn(&str) -> Result<T, Error>,
    ) -> Result<Option<Vec<T>>, Error> {
        if cleared {
            return Ok(Some(Vec::new()));
        }
        if given.is_empty() {
            return Ok(None);
        }
        given
            .iter()
            .map(|s| parse(s))
            .collect::<Result<_, _>>()
            .map(Some)
    }
    const PARTS: [&str; 10] = [
        "specialty",
        "population",
        "age-band",
        "modality",
        "panel",
        "self-pay",
        "language",
        "zip3",
        "telehealth",
        "credential",
    ];
    for part in &a.clear {
        if !PARTS.contains(&part.as_str()) {
            return Err(Error::invalid(format!(
                "--clear {part}: name one of {}",
                PARTS.join(", ")
            )));
        }
    }
    let cleared = |part: &str| a.clear.iter().any(|c| c == part);
    Ok(CardUpdate {
        specialties: list(&a.specialties, cleared("specialty"), Specialty::parse)?,
        populations: list(&a.populations, cleared("population"), Population::parse)?,
        age_bands: list(&a.age_bands, cleared("age-band"), AgeBand::parse)?,
        modalities: list(&a.modalities, cleared("modality"), Modality::parse)?,
        panels: list(&a.panels, cleared("panel"), Panel::parse)?,
        self_pay: if cleared("self-pay") {
            Some(None)
        } else {
            a.self_pay
                .as_deref()
                .map(FeeRange::parse)
                .transpose()?
                .map(Some)
        },
        languages: list(&a.languages, cleared("language"), Language::parse)?,
        zip3: if cleared("zip3") {
            Some(None)
        } else {
            a.zip3.map(Some)
        },
        telehealth: list(&a.telehealth, cleared("telehealth"), |s| Ok(s.to_string()))?,
        credentials: list(&a.credentials, cleared("credential"), Credential::parse)?,
        openings: a.openings.as_deref().map(Openings::parse).transpose()?,
        pitch: a.pitch.map(|p| (!p.trim().is_empty()).then_some(p)),
    })
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

fn openings(p: &Profile) -> String {
    let o = match p.card.openings {
        Some(Openings::Accepting) => "accepting".to_string(),
        Some(Openings::Waitlist { weeks }) => format!("waitlist, about {weeks} weeks"),
        Some(Openings::Full) => "full".to_string(),
        None => "not said".to_string(),
    };
    if p.openings_stale && p.card.openings.is_some() {
        format!("{o} (not confirmed for over 30 days)")
    } else {
        o
    }
}

fn show(p: &Profile) {
    let c = &p.card;
    println!("{}", p.name);
    println!("  Openings:     {}", openings(p));
    println!(
        "  Credentials:  {}",
        join(c.credentials.iter().map(|v| v.as_str()))
    );
    println!(
        "  Specialties:  {}",
        join(c.specialties.iter().map(|v| v.as_str()))
    );
    println!(
        "  Populations:  {}",
        join(c.populations.iter().map(|v| v.as_str()))
    );
    println!(
        "  Ages:         {}",
        join(c.age_bands.iter().map(|v| v.as_str()))
    );
    println!(
        "  Modalities:   {}",
        join(c.modalities.iter().map(|v| v.as_str()))
    );
    println!(
        "  Panels:       {}",
        join(c.panels.iter().map(|v| v.as_str()))
    );
    println!(
        "  Self-pay:     {}",
        c.self_pay
            .map(|f| format!("${}-${}", f.min, f.max))
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "  Languages:    {}",
        join(c.languages.iter().map(|v| v.as_str()))
    );
    println!(
        "  In person:    {}",
        c.zip3
            .as_deref()
            .map(|z| format!("ZIP {z}xx"))
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "  Telehealth:   {}",
        join(c.telehealth.iter().map(String::as_str))
    );
    println!("  Pitch:        {}", c.pitch.as_deref().unwrap_or("-"));
    if p.mine && p.openings_stale {
        println!(
            "Are you taking new clients? Say so again: `trellis profile set --openings accepting|waitlist:WEEKS|full`."
        );
    }
}

/// Writes a QR code of `text` to `path`: SVG or PNG, by the file's extension.
fn write_qr(path: &Path, text: &str) -> Result<(), Error> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).map_err(|e| {
        Error::invalid(format!(
            "the card is too long for a QR code ({e}); shorten the pitch"
        ))
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("svg") => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(256, 256)
            .build()
            .into_bytes(),
        Some("png") => png_of(&code)?,
        _ => {
            return Err(Error::invalid(
                "name the QR file .png or .svg (its extension says which to write)",
            ))
        }
    };
    crate::interop::write_atomically(path, &bytes)
}

/// The symbol as a grayscale PNG: 8 pixels a module, with the 4-module quiet zone around it.
fn png_of(code: &QrCode) -> Result<Vec<u8>, Error> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i % width + QUIET, i / width + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).map_err(|_| Error::invalid("the QR code is too large"))?;
    let mut enc = png::Encoder::new(&mut out, side32, side32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let failed = |e: png::EncodingError| Error::invalid(format!("the PNG could not be made: {e}"));
    let mut w = enc.write_header().map_err(failed)?;
    w.write_image_data(&pixels).map_err(failed)?;
    w.finish().map_err(failed)?;
    Ok(out)
}
