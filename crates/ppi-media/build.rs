//! Embeds the face detector's model: the SeetaFace frontal model (BSD-2) that ships inside the
//! `rustface` crate package, found where Cargo unpacked that package (the registry source
//! cache, or a `vendor/` folder), at the version Cargo.lock pins.

use std::path::{Path, PathBuf};

const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

/// The workspace root: the nearest folder above the crate that holds `Cargo.lock`.
fn workspace_root(manifest_dir: &Path) -> PathBuf {
    manifest_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

fn locked_version(root: &Path) -> Option<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"rustface\"" {
            let v = lines.next()?.trim();
            return v
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(String::from);
        }
    }
    None
}

fn candidates(root: &Path, version: &str) -> Vec<PathBuf> {
    let dir = format!("rustface-{version}");
    let mut out = vec![root.join("vendor").join("rustface").join(MODEL)];
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = home {
        if let Ok(registries) = std::fs::read_dir(home.join("registry").join("src")) {
            for r in registries.flatten() {
                out.push(r.path().join(&dir).join(MODEL));
            }
        }
    }
    out
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = workspace_root(&manifest_dir);
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let version = locked_version(&root).unwrap_or_else(|| "0.1.7".into());
    let found = candidates(&root, &version)
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("the rustface {version} package's {MODEL} was not found in the Cargo registry cache or vendor/")
        });
    std::fs::copy(&found, out.join("seeta_fd_frontal.bin")).expect("copy the face model");
}
