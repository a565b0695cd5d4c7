//! trellis-bench: the instruments of the performance suite (docs/PERFORMANCE.md).
//!
//! * [`gen`]: a realistic practice written through the public core API (contacts, their
//!   organizations, ten activities per contact over two years by three members, notes,
//!   follow-ups, referrals), cached under `target/bench-data/`.
//! * [`relay`]: a real `trellis-relay` process on loopback.
//! * [`proxy`]: a TCP proxy in front of the relay that counts every byte on the wire and every
//!   HTTP request (a round trip).
//! * [`stats`]: percentiles, peak memory from `/proc`, and the markdown tables every command
//!   prints (`docs/PERFORMANCE.md` is pasted from them).
//!
//! The benches (`cargo bench -p trellis-bench --bench core`, `--bench sync`) and the binaries
//! (`trellis-gen`, `relay-load`, `open-probe`) are built on these.

pub mod gen;
pub mod proxy;
pub mod relay;
pub mod stats;

/// What the instruments fail with: a message for the person running the benchmark.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Result of the instruments.
pub type Result<T> = std::result::Result<T, BenchError>;

/// The workspace's root directory (the parent of `bench/`).
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The workspace's target directory: `$CARGO_TARGET_DIR`, or `target/` in the workspace root.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The machine, as PERFORMANCE.md states it: cores, memory, and the commit measured.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    format!(
        "{cores} cores, {:.1} GiB memory, commit {commit}",
        mem_kib as f64 / 1024.0 / 1024.0
    )
}
