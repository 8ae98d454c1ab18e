//! `ppi agreement` against golden figures from the reference libraries (tests/agreement/
//! golden.py: scikit-learn, statsmodels, krippendorff, nltk, pyannote.metrics, scipy), on LS
//! exports with 2 and 3 annotators: overlapping multi-label intervals, a single-frame range, a
//! label nobody used, identical and disjoint annotations, an annotator who marked nothing.
//! Every figure matches to 1e-9; undefined is undefined on both sides.

use std::path::Path;

use crate::support::{fixture, ppi, python_run, run, run_stderr_closed, run_stdout_closed};
use serde_json::Value;

pub(crate) const LABELS: &str = "Lecture,Questioning,GroupWork,Demonstration";

pub(crate) fn golden(export: &Path, extra: &[&str]) -> Value {
    let script = ppi_testkit::workspace_root().join("tests/agreement/golden.py");
    let code = std::fs::read_to_string(script).unwrap();
    let mut args = vec![export.to_str().unwrap(), LABELS, "0.5"];
    args.extend(extra);
    serde_json::from_str(&python_run(&code, &args)).unwrap()
}

pub(crate) fn ours(export: &Path, extra: &[&str]) -> Value {
    let (code, out, err) = run(ppi()
        .arg("agreement")
        .arg(export)
        .args(["--labels", LABELS, "--format", "json"])
        .args(extra));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// Both undefined, or equal within 1e-9.
pub(crate) fn same(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{what}: {g} vs {w}"),
        (None, None) => assert!(got.is_null() && want.is_null(), "{what}: {got} vs {want}"),
        _ => panic!("{what}: PPI {got}, reference {want}"),
    }
}

fn compare(file: &str) -> usize {
    let export = fixture(&format!("agreement/{file}"));
    let (g, o) = (golden(&export, &[]), ours(&export, &[]));
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

/// One label's cells in a matrix entry.
fn label_cells<'a>(cells: &'a Value, label: &str) -> &'a Value {
    cells["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == label)
        .unwrap()
}

/// The annotator matrix over the whole export against scikit-learn's `cohen_kappa_score` on the
/// concatenated cells of each pair's shared tasks, and each annotator against the majority of
/// the others; returns the figures checked.
pub(crate) fn compare_matrix(file: &str, extra: &[&str]) -> (usize, Value) {
    let export = fixture(&format!("agreement/{file}"));
    let (g, o) = (golden(&export, extra), ours(&export, extra));
    let (want, got) = (&g["matrix"], &o["matrix"]);
    let mut checked = 0;
    let wp = want["pairs"].as_array().unwrap();
    assert_eq!(got["pairs"].as_array().unwrap().len(), wp.len());
    for w in wp {
        let (a, b) = (w["a"].as_str().unwrap(), w["b"].as_str().unwrap());
        let p = got["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| (p["a"] == a && p["b"] == b) || (p["a"] == b && p["b"] == a))
            .unwrap_or_else(|| panic!("no pair {a}, {b} in {got}"));
        assert_eq!(p["tasks"], w["tasks"], "{a}–{b} tasks shared");
        same(
            &format!("{a}–{b} pooled"),
            &p["cells"]["pooled"]["kappa"],
            &w["pooled"],
        );
        checked += 1;
        for (label, k) in w["labels"].as_object().unwrap() {
            let l = label_cells(&p["cells"], label);
            same(&format!("{a}–{b} {label}"), &l["kappa"], k);
            checked += 1;
        }
    }
    for w in want["versus_others"].as_array().unwrap() {
        let who = w["annotator"].as_str().unwrap();
        let v = got["versus_others"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["annotator"] == who)
            .unwrap();
        assert_eq!(v["tasks"], w["tasks"], "{who} tasks");
        for k in ["tp", "fp", "fn"] {
            assert_eq!(v[k], w[k], "{who} {k} against the others");
        }
        same(&format!("{who} vs others F1"), &v["f1"], &w["f1"]);
        same(
            &format!("{who} vs others pooled"),
            &v["cells"]["pooled"]["kappa"],
            &w["pooled"],
        );
        checked += 2;
        for (label, k) in w["labels"].as_object().unwrap() {
            let l = label_cells(&v["cells"], label);
            same(&format!("{who} vs others {label}"), &l["kappa"], k);
            checked += 1;
        }
    }
    (checked, got.clone())
}

/// The annotator whose pooled κ against the others is lowest.
fn odd_one_out(m: &Value) -> String {
    m["versus_others"]
        .as_array()
        .unwrap()
        .iter()
        .min_by(|x, y| {
            let k = |v: &Value| v["cells"]["pooled"]["kappa"].as_f64().unwrap_or(1.0);
            k(x).total_cmp(&k(y))
        })
        .unwrap()["annotator"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_annotator_matrix_matches_scikit_learn_with_three_and_four_annotators() {
    let (n, m) = compare_matrix("matrix_three_annotators.json", &[]);
    assert!(n >= 20, "{n} figures checked");
    assert_eq!(odd_one_out(&m), "13");
    let (n, m) = compare_matrix("matrix_four_annotators.json", &[]);
    assert!(n >= 40, "{n} figures checked");
    assert_eq!(odd_one_out(&m), "24");
    // Annotator 25 met only 21: the other pairs have no figure, never 0.
    let none = m["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| (p["a"] == "22" && p["b"] == "25") || (p["a"] == "25" && p["b"] == "22"));
    let none = none.unwrap();
    assert_eq!(none["tasks"], 0);
    assert!(none["cells"]["pooled"].is_null(), "{none}");

    // Text and the CSV tables.
    let export = fixture("agreement/matrix_four_annotators.json");
    let (code, out, err) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--labels", LABELS]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("annotator matrix: pooled Cohen's κ (tasks shared)"),
        "{out}"
    );
    assert!(out.contains("no shared task"), "{out}");
    assert!(
        out.contains("each annotator against the consensus of the others"),
        "{out}"
    );
    for (table, header, rows) in [("pairs", 9, 10), ("annotators", 8, 5)] {
        let (code, csv, err) = run(ppi()
            .arg("agreement")
            .arg(&export)
            .args(["--labels", LABELS, "--format", "csv", "--table", table]));
        assert_eq!(code, 0, "{err}");
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(r.headers().unwrap().len(), header, "{table}");
        let recs: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        let pooled = recs
            .iter()
            .filter(|x| x.iter().any(|c| c == "(pooled)"))
            .count();
        assert_eq!(
            pooled, rows,
            "{table}: one pooled row per pair or annotator\n{csv}"
        );
    }
    let (code, csv, _) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--labels", LABELS, "--format", "csv", "--table", "pairs"]));
    assert_eq!(code, 0);
    let silent = csv.lines().find(|l| l.starts_with("22,25,0,")).unwrap();
    assert_eq!(
        silent, "22,25,0,(pooled),,,,,",
        "a pair with no shared task has no figures"
    );
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
