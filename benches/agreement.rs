//! Agreement + consensus for a 45-minute lesson at 25 fps (67 500 frames), 3 annotators with
//! 200 intervals each over 4 patterns: PPI (`agreement::analyse`, in process, median of 21
//! runs) against the same figures from the Python reference libraries
//! (tests/agreement/golden.py: scikit-learn, statsmodels, krippendorff, nltk, pyannote, scipy;
//! the computation timed inside Python, imports excluded, median of 3).
//!
//! Run: `cargo bench --bench agreement`. Figures: docs/benchmarks.md.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ppi_agreement::{analyse, Marking, Options, Span};
use serde_json::json;

const FRAMES: u64 = 67_500;
const LABELS: [&str; 4] = ["Lecture", "Questioning", "GroupWork", "Demonstration"];

/// A small deterministic generator (no dependency, same data every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn markings() -> Vec<Marking> {
    let mut g = Lcg(7);
    // 200 reference intervals; each annotator shifts bounds, relabels or drops a few.
    let base: Vec<Span> = (0..200)
        .map(|i| {
            let start = i * (FRAMES / 200) + g.next(50);
            Span {
                label: LABELS[g.next(4) as usize].into(),
                start,
                end: (start + 60 + g.next(200)).min(FRAMES),
            }
        })
        .collect();
    (0..3)
        .map(|a| Marking {
            annotator: format!("{}", a + 1),
            annotation_id: Some(a as i64 + 1),
            spans: base
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    if g.next(10) == 0 {
                        s.label = LABELS[g.next(4) as usize].into();
                    }
                    let d = |g: &mut Lcg| g.next(41) as i64 - 20;
                    s.start = (s.start as i64 + d(&mut g)).max(0) as u64;
                    s.end = ((s.end as i64 + d(&mut g)) as u64).clamp(s.start + 1, FRAMES);
                    s
                })
                .collect(),
        })
        .collect()
}

fn export(m: &[Marking], path: &Path) {
    let anns: Vec<serde_json::Value> = m
        .iter()
        .map(|k| {
            let result: Vec<serde_json::Value> = k
                .spans
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    json!({"id": format!("r{i}"), "from_name": "pattern", "to_name": "video",
                           "type": "timelinelabels",
                           "value": {"ranges": [{"start": s.start + 1, "end": s.end}],
                                     "timelinelabels": [s.label]}})
                })
                .collect();
            json!({"id": k.annotation_id, "completed_by": k.annotator.parse::<i64>().unwrap(),
                   "result": result})
        })
        .collect();
    let task = json!([{"id": 1, "data": {"video": "/data/upload/lesson.mp4", "fps": 25, "frames": FRAMES},
                       "annotations": anns}]);
    std::fs::write(path, task.to_string()).unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let m = markings();
    let o = Options {
        frames: FRAMES,
        all_labels: LABELS.iter().map(|l| l.to_string()).collect(),
        ..Options::default()
    };
    let _ = analyse(&m, &o);
    let runs: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let r = analyse(&m, &o);
            std::hint::black_box(&r);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let ppi = median(runs);
    let r = analyse(&m, &o);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("PPI_PYTHON")
        .unwrap_or_else(|_| root.join(".venv/bin/python").display().to_string());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lesson.json");
    export(&m, &file);
    let py: Vec<f64> = (0..3)
        .map(|_| {
            let out = Command::new(&python)
                .arg(root.join("tests/agreement/golden.py"))
                .arg(&file)
                .arg(LABELS.join(","))
                .arg("0.5")
                .env("GOLDEN_TIMING", "1")
                .output()
                .expect("python");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err.lines().rev().find(|l| l.contains("seconds")).unwrap();
            serde_json::from_str::<serde_json::Value>(line).unwrap()["seconds"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let py = median(py);
    println!(
        "agreement + consensus, {FRAMES} frames, 3 annotators x 200 intervals, 4 patterns:\n\
         PPI     {:.2} ms (median of 21; pooled κ {:.4}, F1 {:.4}, {} consensus intervals)\n\
         Python  {:.2} s (reference libraries, median of 3)\n\
         ratio   {:.0}x",
        ppi * 1e3,
        r.frame.pooled.kappa.unwrap_or(f64::NAN),
        r.intervals.f1.unwrap_or(f64::NAN),
        r.consensus.len(),
        py,
        py / ppi
    );
}
