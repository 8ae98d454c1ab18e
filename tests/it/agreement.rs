//! `ppi agreement` against golden figures from the reference libraries (tests/agreement/
//! golden.py: scikit-learn, statsmodels, krippendorff, nltk, pyannote.metrics, scipy), on LS
//! exports with 2 and 3 annotators: overlapping multi-label intervals, a single-frame range, a
//! label nobody used, identical and disjoint annotations, an annotator who marked nothing.
//! Every figure matches to 1e-9; undefined is undefined on both sides.

use std::path::Path;

use crate::support::{fixture, ppi, python_run, run, run_stderr_closed, run_stdout_closed};
use serde_json::Value;

const LABELS: &str = "Lecture,Questioning,GroupWork,Demonstration";

fn golden(export: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/agreement/golden.py");
    let code = std::fs::read_to_string(script).unwrap();
    serde_json::from_str(&python_run(
        &code,
        &[export.to_str().unwrap(), LABELS, "0.5"],
    ))
    .unwrap()
}

fn ours(export: &Path) -> Value {
    let (code, out, err) = run(ppi()
        .arg("agreement")
        .arg(export)
        .args(["--labels", LABELS, "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// Both undefined, or equal within 1e-9.
fn same(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{what}: {g} vs {w}"),
        (None, None) => assert!(got.is_null() && want.is_null(), "{what}: {got} vs {want}"),
        _ => panic!("{what}: PPI {got}, reference {want}"),
    }
}

fn compare(file: &str) -> usize {
    let export = fixture(&format!("agreement/{file}"));
    let (g, o) = (golden(&export), ours(&export));
    let mut checked = 0;
    for t in o["tasks"].as_array().unwrap() {
        let task = t["task"].as_str().unwrap();
        let (r, want) = (&t["report"], &g[task]);
        for l in r["frame"]["labels"].as_array().unwrap() {
            let label = l["label"].as_str().unwrap();
            for k in ["cohen", "fleiss", "alpha", "percent", "frame_f1"] {
                same(
                    &format!("task {task} {label} {k}"),
                    &l[k],
                    &want["labels"][label][k],
                );
                checked += 1;
            }
        }
        for k in ["cohen", "fleiss", "alpha", "percent", "frame_f1"] {
            same(
                &format!("task {task} pooled {k}"),
                &r["frame"]["pooled"][k],
                &want["pooled"][k],
            );
            checked += 1;
        }
        for (p, gp) in r["intervals"]["segments"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["pairs"].as_array().unwrap())
        {
            assert_eq!((&p["a"], &p["b"]), (&gp["a"], &gp["b"]));
            for k in ["agreement", "disagreement", "miss"] {
                assert_eq!(p[k], gp["segment"][k], "task {task} segments {k}");
            }
            for k in ["percent", "kappa"] {
                same(
                    &format!("task {task} segment {k}"),
                    &p[k],
                    &gp["segment"][k],
                );
                checked += 1;
            }
        }
        for l in r["intervals"]["labels"].as_array().unwrap() {
            let label = l["label"].as_str().unwrap();
            for (p, gp) in l["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .zip(want["pairs"].as_array().unwrap())
            {
                let gl = &gp["labels"][label];
                for k in ["tp", "fp", "fn"] {
                    assert_eq!(p[k], gl[k], "task {task} {label} {k}");
                }
                for k in ["f1", "mean_iou"] {
                    same(&format!("task {task} {label} {k}"), &p[k], &gl[k]);
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn figures_match_the_reference_libraries_for_two_annotators() {
    let n = compare("two_annotators.json");
    assert!(n > 100, "{n} figures checked");
}

#[test]
fn figures_match_the_reference_libraries_for_three_annotators() {
    let n = compare("three_annotators.json");
    assert!(n > 100, "{n} figures checked");
}

#[test]
fn the_cli_answers_text_csv_and_names_bad_input() {
    let export = fixture("agreement/two_annotators.json");
    let (code, out, err) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--labels", LABELS]));
    assert_eq!(code, 0, "{err}");
    // Identical annotations: κ = 1; the unused label: undefined; the gate names its verdict.
    assert!(
        out.contains("task 2: 2 annotators (1, 2), 500 frames"),
        "{out}"
    );
    assert!(
        out.contains("Demonstration") && out.contains("undefined"),
        "{out}"
    );
    assert!(
        out.contains("→ passed") && out.contains("→ flagged for adjudication"),
        "{out}"
    );
    let (code, csv, _) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--labels", LABELS, "--format", "csv"]));
    assert_eq!(code, 0);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(r.headers().unwrap().len(), 16);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(
        rows.len(),
        4 * 5,
        "four tasks, four labels and the pooled row each"
    );
    let pooled2 = rows
        .iter()
        .find(|x| &x[0] == "2" && &x[1] == "(pooled)")
        .unwrap();
    assert_eq!(&pooled2[4], "1");
    // `| head`: a reader that leaves before the CSV is written is not a failure.
    let (code, err) = run_stdout_closed(
        ppi()
            .arg("agreement")
            .arg(&export)
            .args(["--labels", LABELS, "--format", "csv"]),
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A report that cannot be written (a full disk) is a failure, named once the work is done.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (code, _, err) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--labels", LABELS, "--format", "csv"])
        .stdout(full));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error[io-error]: cannot write the report to stdout"),
        "{err}"
    );

    for (args, want) in [
        (vec!["--iou", "0"], "--iou 0 must be in (0, 1]"),
        (vec!["--gate", "7"], "--gate 7 must be in [-1, 1]"),
        (vec!["--consensus", "median"], "expected majority or mean"),
        (vec!["--task", "99"], "no task 99"),
    ] {
        let (code, _, err) = run(ppi().arg("agreement").arg(&export).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let (code, _, err) = run(ppi().args(["agreement", "/no/such/export.json"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/no/such/export.json"), "{err}");
    // With stderr closed the error cannot be shown, but the exit code still says bad input
    // (`eprintln!` would have panicked: 101).
    assert_eq!(
        run_stderr_closed(ppi().args(["agreement", "/no/such/export.json"])),
        2
    );
}
