//! Assembly and publish of 100 items to the Hub double: `ppi dataset build --parquet` (the
//! dataset folder with its Parquet table) then `ppi dataset publish`, first and again
//! unchanged, against the real `huggingface_hub` client's `upload_folder` on the same folder
//! and the same double. Reports wall times and bytes received by the double.
//!
//! Run: `benches/publish/run.sh` (or `cargo bench --bench publish`). Figures:
//! docs/benchmarks.md.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::json;

const ITEMS: u64 = 100;
const FPS: u64 = 25;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-y", "-v", "error"])
        .args(args)
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bytes_in(h: &support::hub::HubDouble) -> u64 {
    let st = h.state.lock().unwrap();
    st.lfs_bytes_in + st.commit_bytes_in
}

fn run(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes --bench; test runners (cargo test/nextest --all-targets) list or run
    // bench targets without it, and the benchmark is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("PPI_PYTHON")
        .unwrap_or_else(|_| root.join(".venv/bin/python").display().to_string());
    let ppi = env!("CARGO_BIN_EXE_ppi");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A 170 s lesson (320x240, 25 fps, tone audio) and 100 intervals of 1.2 s, 1.6 s apart.
    let video = d.join("lesson.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=170",
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=170",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "50",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        video.to_str().unwrap(),
    ]);
    let labels = ["Lecture", "Questioning", "GroupWork", "Demonstration"];
    let result: Vec<_> = (0..ITEMS)
        .map(|i| {
            let start = 1 + i * 40;
            json!({"id": format!("r{i}"), "from_name": "pattern", "to_name": "video",
                   "type": "timelinelabels",
                   "value": {"ranges": [{"start": start, "end": start + 29}],
                             "timelinelabels": [labels[i as usize % 4]]}})
        })
        .collect();
    let export = d.join("export.json");
    std::fs::write(
        &export,
        json!([{"id": 1, "data": {"video": "lesson.mp4", "fps": FPS, "lesson_id": "bench"},
                "annotations": [{"id": 1, "result": result, "was_cancelled": false}]}])
        .to_string(),
    )
    .unwrap();
    let out = d.join("dataset");
    let assemble = run(Command::new(ppi)
        .args(["--quiet", "dataset", "build", "--parquet", "--video"])
        .arg(&video)
        .arg("--annotations")
        .arg(&export)
        .arg("--patterns")
        .arg(root.join("tests/fixtures/patterns.csv"))
        .arg("--out")
        .arg(&out));
    let (files, size) = tally(&out);

    let h = support::hub::HubDouble::start();
    let publish = |repo: &str| {
        let before = bytes_in(&h);
        let secs = run(Command::new(ppi)
            .args(["--quiet", "dataset", "publish"])
            .arg(&out)
            .args(["--repo", repo])
            .env("HF_ENDPOINT", &h.url)
            .env("HF_TOKEN", "hf_bench"));
        (secs, bytes_in(&h) - before)
    };
    // The anchor gets its own double: LFS objects are shared across repositories on a Hub,
    // so after PPI's publish it would find every object already stored.
    let anchor = support::hub::HubDouble::start();
    let upload_folder = |repo: &str| {
        let h = &anchor;
        let before = bytes_in(h);
        let home = tempfile::tempdir().unwrap();
        let secs = run(Command::new(&python)
            .arg("-c")
            .arg("import sys; from huggingface_hub import HfApi\napi = HfApi()\n\
                  api.create_repo(sys.argv[2], repo_type='dataset', exist_ok=True)\n\
                  api.upload_folder(folder_path=sys.argv[1], repo_id=sys.argv[2], repo_type='dataset')")
            .arg(&out)
            .arg(repo)
            .env("HF_ENDPOINT", &h.url)
            .env("HF_TOKEN", "hf_bench")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("HF_HOME", home.path()));
        (secs, bytes_in(h) - before)
    };
    let (p1, b1) = publish("testorg/bench-ppi");
    let (p2, b2) = publish("testorg/bench-ppi");
    let (u1, c1) = upload_folder("testorg/bench-hf");
    let (u2, c2) = upload_folder("testorg/bench-hf");
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "dataset: {ITEMS} items, {} files, {:.1} MB (Parquet included)",
        files,
        mb(size)
    );
    println!("| step | wall (s) | bytes received by the Hub |");
    println!("|---|---|---|");
    println!("| assembly: `ppi dataset build --parquet` | {assemble:.2} | — |");
    println!(
        "| `ppi dataset publish`, first | {p1:.2} | {:.1} MB |",
        mb(b1)
    );
    println!("| `ppi dataset publish`, unchanged | {p2:.2} | {b2} bytes |");
    println!(
        "| anchor: huggingface_hub `upload_folder`, first | {u1:.2} | {:.1} MB |",
        mb(c1)
    );
    println!("| anchor: huggingface_hub `upload_folder`, unchanged | {u2:.2} | {c2} bytes |");
    println!(
        "ratios: first publish {:.2}x the anchor's time; bytes {:.3}x",
        p1 / u1,
        b1 as f64 / c1 as f64
    );
}

/// Files and bytes under `p`, hidden names skipped.
fn tally(p: &Path) -> (usize, u64) {
    let mut out = (0, 0);
    for e in std::fs::read_dir(p).unwrap().map(|e| e.unwrap()) {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let (n, b) = if e.path().is_dir() {
            tally(&e.path())
        } else {
            (1, e.metadata().unwrap().len())
        };
        out = (out.0 + n, out.1 + b);
    }
    out
}
