//! The storage watcher's idle cost: one round over a source of 10 000 files that did not
//! change (listing, diff against the saved listing, pairing, fingerprints), on a local folder
//! and on an S3 prefix (SeaweedFS, ListObjectsV2), with `find` listing the same folder with the
//! same facts (size, mtime) as the local anchor. Then the latency from a settled lesson to the
//! start of its processing, with the release `ppi watch`.
//!
//! Run: `cargo bench --bench watch`. Figures: docs/benchmarks.md.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ppi_core::secret::Secret;
use ppi_server::watch::{source, state, Entry, Pairing};
use ppi_store::storage::s3::S3Store;
use ppi_store::storage::settings::{StorageBackend, StorageSettings};
use ppi_store::storage::{ObjectKey, ObjectStore};

const FILES: usize = 10_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// 100 folders of 50 lessons (video + export): 10 000 files.
fn names() -> Vec<String> {
    (0..FILES / 2)
        .flat_map(|i| {
            let (d, n) = (i / 50, i % 50);
            [
                format!("term{d:03}/lesson{n:02}.mp4"),
                format!("term{d:03}/lesson{n:02}.json"),
            ]
        })
        .collect()
}

/// One idle round, as the watch loop does it; returns its seconds.
fn idle_round(src: &mut dyn source::Source, saved: &BTreeMap<String, Entry>) -> f64 {
    let t = Instant::now();
    let files = src.scan().expect("scan");
    assert_eq!(files.len(), FILES);
    assert!(state::diff(saved, &files).is_empty());
    let pairs = Pairing::default().pairs(&files);
    let fps: usize = pairs.values().map(|p| p.fingerprint().len()).sum();
    std::hint::black_box(fps);
    t.elapsed().as_secs_f64()
}

fn rounds(src: &mut dyn source::Source) -> (f64, Vec<f64>) {
    let saved = src.scan().expect("scan");
    let runs: Vec<f64> = (0..7).map(|_| idle_round(src, &saved)).collect();
    (median(runs.clone()), runs)
}

fn settled_to_processing(dir: &Path) -> (f64, f64) {
    let src = dir.join("incoming");
    std::fs::create_dir_all(&src).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ppi"))
        .arg("watch")
        .arg(&src)
        .arg("--out")
        .arg(dir.join("dataset"))
        .arg("--patterns")
        .arg(fixture.join("patterns.xlsx"))
        .args(["--settle", "1", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // A lesson whose export names no media is enough: the watcher's part ends where the
    // builder starts (it fails fast on a video that is not one).
    std::fs::write(src.join("x.mp4"), b"not a video").unwrap();
    std::fs::write(src.join("x.json"), "[]").unwrap();
    let written = Instant::now();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut stable = f64::NAN;
    for line in out.lines().map_while(Result::ok) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["event"] == "lesson" {
            stable = v["stable_s"].as_f64().unwrap();
            break;
        }
    }
    let total = written.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    (total, stable)
}

fn main() {
    // `cargo bench` passes --bench; test runners (nextest --all-targets) list or run the
    // binary without it, and there is nothing to test here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    for n in names() {
        let p = root.join(&n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, n.as_bytes()).unwrap();
    }
    let settings = StorageSettings::default();
    let mut local = source::open(root.to_str().unwrap(), &settings).unwrap();
    let (local_s, local_runs) = rounds(local.as_mut());
    let find: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let out = Command::new("find")
                .arg(&root)
                .args(["-type", "f", "-printf", "%s %T@ %P\n"])
                .output()
                .unwrap();
            assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), FILES);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let find_s = median(find);

    let s3 = support::services::Service::seaweedfs();
    let st = StorageSettings {
        backend: StorageBackend::S3,
        endpoint: Some(s3.var("PPI_S3_ENDPOINT")),
        bucket: "archive".into(),
        access_key_id: Some(Secret::new(s3.var("AWS_ACCESS_KEY_ID"))),
        secret_access_key: Some(Secret::new(s3.var("AWS_SECRET_ACCESS_KEY"))),
        ..StorageSettings::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = std::sync::Arc::new(rt.block_on(S3Store::connect(&st)).unwrap());
    let t = Instant::now();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for chunk in names().chunks(FILES / 16) {
            let (store, chunk) = (store.clone(), chunk.to_vec());
            set.spawn(async move {
                for n in chunk {
                    let key = ObjectKey::parse(&format!("lessons/{n}")).unwrap();
                    store
                        .put_bytes(&key, n.into_bytes(), "text/plain")
                        .await
                        .unwrap();
                }
            });
        }
        while set.join_next().await.is_some() {}
    });
    eprintln!(
        "uploaded {FILES} objects in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut remote = source::open("s3://archive/lessons", &st).unwrap();
    let (s3_s, s3_runs) = rounds(remote.as_mut());

    let (total, stable) = settled_to_processing(dir.path());
    println!(
        "idle rescan of {FILES} files (listing + diff + pairing + fingerprints), median of 7:\n\
         local folder   {:.1} ms  (runs {:?} ms)\n\
         find -printf   {:.1} ms  (anchor: listing only)\n\
         S3 prefix      {:.1} ms  (SeaweedFS, 10 pages of ListObjectsV2; runs {:?} ms)\n\
         ratio local / find {:.2}x\n\
         settle 1 s: last write → processing {:.3} s; stable → processing {:.3} s",
        local_s * 1e3,
        local_runs
            .iter()
            .map(|r| (r * 1e4).round() / 10.0)
            .collect::<Vec<_>>(),
        find_s * 1e3,
        s3_s * 1e3,
        s3_runs
            .iter()
            .map(|r| (r * 1e4).round() / 10.0)
            .collect::<Vec<_>>(),
        local_s / find_s,
        total,
        stable,
    );
}
