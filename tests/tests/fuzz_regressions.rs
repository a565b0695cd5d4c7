//! Every input the fuzzers were given or found, replayed on stable Rust in a plain `cargo test`:
//! the committed seed corpus (`fuzz/corpus/<target>/`) and every crash turned regression
//! (`fuzz/regressions/<target>/`), each fed to the same check its fuzz target runs
//! (`trellis_core::fuzzing`). A decoder that breaks a property on any of them fails here, with
//! or without cargo-fuzz installed. See docs/FUZZING.md.

use std::path::{Path, PathBuf};

use trellis_core::fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none if the folder does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a readable folder").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn folders(kind: &str) -> Vec<String> {
    match std::fs::read_dir(fuzz_dir().join(kind)) {
        Ok(entries) => entries
            .map(|e| e.expect("a readable folder"))
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn every_committed_corpus_file_and_regression_passes_its_targets_check() {
    let mut replayed = 0;
    for (target, check) in fuzzing::TARGETS {
        let seeds = inputs("corpus", target);
        assert!(
            !seeds.is_empty(),
            "fuzz/corpus/{target}/ has no seed; run the seed writer (docs/FUZZING.md)"
        );
        for path in seeds.iter().chain(inputs("regressions", target).iter()) {
            let bytes = std::fs::read(path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| check(&bytes));
            assert!(
                outcome.is_ok(),
                "{target} fails on {} (reproduce: cargo fuzz run {target} {})",
                path.display(),
                path.display()
            );
            replayed += 1;
        }
    }
    // Every folder belongs to a target, so no input is silently never replayed.
    for kind in ["corpus", "regressions"] {
        for folder in folders(kind) {
            assert!(
                fuzzing::target(&folder).is_some(),
                "fuzz/{kind}/{folder}/ matches no fuzz target"
            );
        }
    }
    assert!(replayed >= fuzzing::TARGETS.len());
}

#[test]
fn every_fuzz_target_file_runs_a_check_that_the_replay_knows() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets exists")
        .map(|e| e.expect("a readable folder").path())
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let mut known: Vec<String> = fuzzing::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    known.sort();
    assert_eq!(names, known);
    for name in &names {
        let source = std::fs::read_to_string(dir.join(format!("{name}.rs"))).expect("readable");
        assert!(
            source.contains(&format!("trellis_core::fuzzing::{name}(data)")),
            "fuzz_targets/{name}.rs must call trellis_core::fuzzing::{name}"
        );
    }
}

/// Writes the seed corpus from real encodings (`trellis_core::fuzzing::seeds`) and the sample
/// address-book exports in `core/tests/fixtures`. Run by hand when an encoding changes:
/// `cargo test -p trellis-tests --test e2e fuzz_regressions:: -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    let mut count = std::collections::BTreeMap::<&str, usize>::new();
    let mut write = |target: &str, bytes: &[u8]| {
        let target: &'static str = fuzzing::TARGETS
            .iter()
            .find(|(n, _)| *n == target)
            .map(|(n, _)| *n)
            .expect("a known target");
        let n = count.entry(target).or_default();
        *n += 1;
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("the corpus folder can be made");
        std::fs::write(dir.join(format!("seed-{n:02}")), bytes).expect("the seed is written");
    };
    for (target, bytes) in fuzzing::seeds() {
        write(target, &bytes);
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures");
    let mut cards: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .expect("core/tests/fixtures exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
        .collect();
    cards.sort();
    for card in cards {
        write("vcard", &std::fs::read(card).expect("a readable fixture"));
    }
}
