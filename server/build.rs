//! Tells `src/routes/app.rs` where the browser app's files are.
//!
//! The web build (`scripts/web.sh`, `scripts/run.sh`) writes the app to `web/dist/`
//! (`TRELLIS_WEB_DIST` names another directory, relative to the workspace's root). A release build **embeds** every file of it
//! in the binary (`include_bytes!`), so the relay that ships carries the exact build it serves;
//! any other profile records only the directory's path and reads it when the relay starts, so
//! a debug relay built before the web build (as CI's workspace build is) serves the app once
//! it exists, without being rebuilt. `TRELLIS_EMBED_APP=1` embeds in any profile, `=0` never.
//! A missing directory is no error: the relay then answers `/` with a page that says how to
//! build the app.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TRELLIS_WEB_DIST");
    println!("cargo:rerun-if-env-changed=TRELLIS_EMBED_APP");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = match std::env::var_os("TRELLIS_WEB_DIST") {
        Some(dir) => manifest.join("..").join(dir),
        None => manifest.join("..").join("web").join("dist"),
    };
    let embed = match std::env::var("TRELLIS_EMBED_APP").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => std::env::var("PROFILE").as_deref() == Ok("release"),
    };
    let mut code = String::from("// Written by build.rs.\n");
    if embed {
        // Watched for changes: the directory, or while it is missing the one it will appear in.
        let watched = if dist.is_dir() {
            dist.clone()
        } else {
            dist.parent()
                .map_or_else(|| dist.clone(), Path::to_path_buf)
        };
        println!("cargo:rerun-if-changed={}", watched.display());
        let mut files = Vec::new();
        if dist.is_dir() {
            walk(&dist, &dist, &mut files);
        }
        files.sort();
        code.push_str("pub(crate) const SOURCE: Source = Source::Embedded(&[\n");
        for (name, path) in &files {
            let _ = writeln!(code, "    ({name:?}, include_bytes!({path:?})),");
        }
        code.push_str("]);\n");
    } else {
        let path = dist
            .to_str()
            .expect("the web app's directory has a UTF-8 path");
        let _ = writeln!(
            code,
            "pub(crate) const SOURCE: Source = Source::Directory({path:?});"
        );
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("web_app.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Every file under `dir`, as (its path relative to `root` with `/` between parts, its full
/// path).
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir).expect("the web app's directory is readable");
    for entry in entries {
        let path = entry.expect("the web app's directory is readable").path();
        if path.is_dir() {
            walk(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let full = path.to_str().expect("the web app's files have UTF-8 paths");
            files.push((name.join("/"), full.to_owned()));
        }
    }
}
