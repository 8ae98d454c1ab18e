//! Learning from reviewers' decisions, through `ppi learn`:
//! - key frames: on a fixture of reviewed items whose reviewers keep stiller, better exposed
//!   frames than the rules choose, the learned weights rank the kept frames first more often
//!   than the rules do (held out), are deployed, and the next build names them
//!   (`best+learned-<n>`);
//! - suggestions: on a fixture corpus of classroom transcripts (en and ru), the learned
//!   suggester beats the rules on held-out transcripts and is deployed
//!   (`whisper-<model>+learned-<n>`); on a corpus the rules already get right it does not beat
//!   them, and the rules stay; with too few examples nothing is fitted;
//! - bad input: a corpus with a broken line is refused naming the line (exit 2).

use std::path::Path;

use crate::support::{ffmpeg, fixture, scratch};
use ppi_learn::fit::Reviewed;
use ppi_media::scoring::{Candidate, Terms, Weights};
use ppi_store::db::review::{ReviewItem, APPROVED};
use ppi_store::db::Db;
use serde_json::Value;

/// A small deterministic generator (no dependency on a seeded crate).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What these reviewers want: a still, well exposed frame matters more than sharpness.
fn reviewers() -> Weights {
    Weights {
        sharpness: 0.2,
        contrast: 0.1,
        exposure: 1.6,
        clipped: 0.8,
        motion: 1.4,
        extra: 1.0,
        middle: 0.05,
    }
}

/// `n` reviewed items of three candidates each, ordered by the rules (the chosen first, as
/// extraction stores them), with the frame the reviewers kept.
fn reviewed(n: usize) -> Vec<(Reviewed, i64)> {
    let (rules, want) = (Weights::default(), reviewers());
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let mut c: Vec<Candidate> = (0..3)
                .map(|k| {
                    let terms = Terms {
                        sharpness: rng.next(),
                        contrast: rng.next(),
                        exposure: rng.next(),
                        clipped: rng.next() * 0.3,
                        motion: rng.next(),
                        extra: 0.0,
                        middle: rng.next(),
                    };
                    Candidate {
                        time: i as f64 * 10.0 + k as f64,
                        score: rules.score(&terms),
                        terms,
                    }
                })
                .collect();
            c.sort_by(|a, b| b.score.total_cmp(&a.score));
            let kept = (0..3)
                .max_by(|&a, &b| want.score(&c[a].terms).total_cmp(&want.score(&c[b].terms)))
                .unwrap();
            (
                Reviewed {
                    pattern: "Lecture".into(),
                    transcript: String::new(),
                    cues: Vec::new(),
                    candidates: c,
                },
                kept as i64,
            )
        })
        .collect()
}

/// Approved review items in the service database of `data` (created if need be).
pub(crate) fn seed(data: &Path, items: &[(Reviewed, i64)]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        std::fs::create_dir_all(data).unwrap();
        let db = Db::connect(&format!(
            "sqlite://{}?mode=rwc",
            data.join("ppi.db").display()
        ))
        .await
        .unwrap();
        for (i, (r, kept)) in items.iter().enumerate() {
            let item = ReviewItem {
                item_id: format!("lesson_{i:06}-{:06}", i + 1),
                stage: "task-1".into(),
                source_task: 1,
                annotation_id: 1,
                lesson_id: Some("lesson".into()),
                review_task: Some(1000 + i as i64),
                fingerprint: format!("f{i}"),
                status: "pending".into(),
                crop: None,
                learning: Some(serde_json::to_string(r).unwrap()),
                frame_choice: None,
            };
            db.put_review_item(&item).await.unwrap();
            db.decide_review_item("task-1", &item.item_id, APPROVED, None, Some(*kept))
                .await
                .unwrap();
        }
    });
}

fn learn(data: &Path, args: &[&str]) -> (i32, Value, String) {
    let (code, out, err) = crate::support::run(
        crate::support::ppi()
            .env("PPI_DATA_DIR", data)
            .args(["learn", "--json"])
            .args(args),
    );
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn deployed(data: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(data.join("models/deployed.json")).unwrap()).unwrap()
}

#[test]
fn learned_frame_weights_rank_the_kept_frames_higher_than_the_rules() {
    let dir = scratch();
    let data = dir.path().join("data");
    seed(&data, &reviewed(60));
    let (code, r, err) = learn(&data, &[]);
    assert_eq!(code, 0, "{err}");
    let f = &r["frames"];
    let (rules, learned) = (
        f["rules_accuracy"].as_f64().unwrap(),
        f["learned_accuracy"].as_f64().unwrap(),
    );
    assert_eq!(f["examples"], 60);
    assert!(
        learned > rules + 0.2,
        "held out: learned {learned} vs rules {rules}"
    );
    assert_eq!(f["deployed"], true, "{r}");
    assert_eq!(f["in_use"], "learned-1");
    // No transcripts among these items: the suggester is not fitted, the rules stay.
    assert_eq!(r["text"]["in_use"], "rules-3");
    assert_eq!(deployed(&data)["frames"], 1);
    let w: Weights =
        serde_json::from_slice(&std::fs::read(data.join("models/1/frames.json")).unwrap()).unwrap();
    assert!(w.motion > Weights::default().motion && w.exposure > Weights::default().exposure);
    assert!(data.join("models/1/report.json").is_file());

    // The next build uses and names them.
    let video = dir.path().join("lesson.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=6",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        video.to_str().unwrap(),
    ]);
    let export = dir.path().join("lesson.json");
    std::fs::write(
        &export,
        serde_json::json!([{"id": 1, "data": {"video": "/data/lesson.mp4", "fps": 25},
            "annotations": [{"id": 1, "was_cancelled": false, "result": [{"id": "a",
                "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                "value": {"ranges": [{"start": 1, "end": 140}], "timelinelabels": ["Lecture"]}}]}]}])
        .to_string(),
    )
    .unwrap();
    let out = dir.path().join("ds");
    let (code, _, err) = crate::support::run(
        crate::support::ppi()
            .env("PPI_DATA_DIR", &data)
            .args(["dataset", "build", "--quiet", "--video"])
            .arg(&video)
            .arg("--annotations")
            .arg(&export)
            .arg("--patterns")
            .arg(fixture("patterns.csv"))
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(out.join("metadata.csv")).unwrap();
    assert!(csv.contains(",best+learned-1,"), "{csv}");
}

/// `ppi learn | head -1`: a reader that leaves early is not a panic, and the fit is still kept.
#[test]
fn a_reader_that_leaves_early_is_not_a_panic() {
    let dir = scratch();
    let data = dir.path().join("data");
    seed(&data, &reviewed(60));
    let (code, err) = crate::support::run_stdout_closed(
        crate::support::ppi()
            .env("PPI_DATA_DIR", &data)
            .arg("learn"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(deployed(&data)["frames"], 1);
}

/// Writes `rows` of the corpus as a JSON-lines file.
fn corpus(path: &Path, rows: &[(String, String)]) {
    let body: String = rows
        .iter()
        .map(|(t, l)| serde_json::json!({"text": t, "label": l}).to_string() + "\n")
        .collect();
    std::fs::write(path, body).unwrap();
}

#[test]
fn the_learned_suggester_beats_the_rules_on_held_out_transcripts_or_the_rules_stay() {
    let dir = scratch();
    let sheet = fixture("patterns.xlsx");
    let sheet = sheet.to_str().unwrap();

    // Too few examples: nothing fitted.
    let few = dir.path().join("few");
    let small = dir.path().join("small.jsonl");
    corpus(
        &small,
        &[("Watch the flask".into(), "Demonstration".into())],
    );
    let (code, r, err) = learn(
        &few,
        &["--corpus", small.to_str().unwrap(), "--patterns", sheet],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["fit"], Value::Null);
    assert_eq!(r["text"]["in_use"], "rules-3");
    assert!(
        r["text"]["reason"].as_str().unwrap().contains("needed"),
        "{r}"
    );

    // The fixture corpus (96 transcripts, half Russian): the learned suggester wins.
    let data = dir.path().join("data");
    let fixture_corpus = fixture("learn/transcripts.jsonl");
    let (code, r, err) = learn(
        &data,
        &[
            "--corpus",
            fixture_corpus.to_str().unwrap(),
            "--patterns",
            sheet,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let t = &r["text"];
    let (rules, learned) = (
        t["rules_accuracy"].as_f64().unwrap(),
        t["learned_accuracy"].as_f64().unwrap(),
    );
    eprintln!("held-out accuracy: rules {rules}, learned {learned}");
    assert_eq!(t["examples"], 96);
    assert!(learned > rules, "learned {learned} vs rules {rules}");
    assert_eq!(t["deployed"], true);
    assert_eq!(t["in_use"], "learned-1");
    assert_eq!(deployed(&data)["text"], 1);
    let mut settings = ppi_server::config::Settings::default();
    settings.server.data_dir = data.clone();
    assert!(
        ppi_server::ls_sync::model_version(&settings.job_settings()).ends_with("+learned-1"),
        "{}",
        ppi_server::ls_sync::model_version(&settings.job_settings())
    );

    // A corpus the rules already get right (each text names its pattern): the learned model
    // cannot beat them, so the rules stay.
    let named = dir.path().join("named.jsonl");
    let rows: Vec<(String, String)> = (0..40)
        .map(|i| {
            let (label, text) = [
                ("Lecture", "a lecture about topic"),
                ("Questioning", "questioning time for question"),
                ("GroupWork", "group work on item"),
                ("Demonstration", "demonstration of device"),
            ][i % 4];
            (format!("{text} {i}"), label.to_owned())
        })
        .collect();
    corpus(&named, &rows);
    let data2 = dir.path().join("data2");
    let (code, r, err) = learn(
        &data2,
        &["--corpus", named.to_str().unwrap(), "--patterns", sheet],
    );
    assert_eq!(code, 0, "{err}");
    let t = &r["text"];
    assert_eq!(t["rules_accuracy"], 1.0, "{r}");
    assert_eq!(t["deployed"], false, "{r}");
    assert_eq!(t["in_use"], "rules-3");
    assert_eq!(deployed(&data2)["text"], Value::Null);
    settings.server.data_dir = data2;
    assert!(ppi_server::ls_sync::model_version(&settings.job_settings()).ends_with("+rules-3"));

    // Bad input names the line.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\": \"a\", \"label\": \"Lecture\"}\n{not json\n",
    )
    .unwrap();
    let (code, _, err) = learn(&few, &["--corpus", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.jsonl line 2"), "{err}");
}

/// (suggested, right, with a pattern) over the rules' own held-out fixture (40 transcripts,
/// 26 with a pattern, 14 without: greetings, organisation).
fn tally(s: &ppi_learn::suggest::Suggester) -> (usize, usize, usize) {
    let body = std::fs::read_to_string(fixture("suggestions/heldout.jsonl")).unwrap();
    let (mut suggested, mut right, mut with) = (0, 0, 0);
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let truth = v["pattern"].as_str();
        with += usize::from(truth.is_some());
        if let Some(g) = s
            .suggest(v["text"].as_str().unwrap())
            .filter(|g| g.label != "Speech")
        {
            suggested += 1;
            right += usize::from(truth == Some(g.label.as_str()));
        }
    }
    (suggested, right, with)
}

#[test]
fn on_another_fixture_the_learned_suggester_finds_more_patterns_and_keeps_precision() {
    let catalog = ppi_core::catalog::sheet::load(&fixture("patterns.xlsx")).unwrap();
    let mut labels: Vec<String> = catalog.patterns().iter().map(|p| p.name.clone()).collect();
    labels.push("Speech".into());
    let rules = ppi_learn::suggest::Suggester::new(&labels, Some(&catalog), Some("Speech"));
    let corpus = ppi_learn::fit::read_corpus(&fixture("learn/transcripts.jsonl")).unwrap();
    let model = ppi_learn::text::TextModel::fit(&corpus);
    let learned = rules.clone().with_learned(std::sync::Arc::new(model), 0.5);
    let (r, l) = (tally(&rules), tally(&learned));
    let p = |t: (usize, usize, usize)| t.1 as f64 / t.0.max(1) as f64;
    eprintln!(
        "rules' held-out fixture: rules {}/{} right (precision {:.3}, recall {}/{}), \
         learned {}/{} (precision {:.3}, recall {}/{})",
        r.1,
        r.0,
        p(r),
        r.1,
        r.2,
        l.1,
        l.0,
        p(l),
        l.1,
        l.2
    );
    assert!(
        l.1 >= r.1,
        "the learned suggester finds at least as many patterns"
    );
    assert!(p(l) >= 0.6, "and keeps precision: {:.3}", p(l));
}
