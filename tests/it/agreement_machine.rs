//! The machine as one more annotator (`ppi agreement --with-predictions`) against the
//! reference libraries (tests/agreement/golden.py with `--with-predictions`): on an export
//! whose tasks carry predictions of two model versions (one of them on every task, one on two)
//! and one of PPI's consensus predictions, which is not a machine. Each version is paired with
//! every human in the matrix and measured against all of them, and against the humans'
//! majority consensus beside every pair of humans: κ per label and pooled, interval TP/FP/FN
//! and F1, the boundary error in seconds. Every figure matches to 1e-9.

use crate::agreement::{compare_matrix, golden, ours, same, LABELS};
use crate::support::{fixture, ppi, run};
use serde_json::Value;

const RULES: &str = "ppi-ggml-base-q8_0-rules";
const LEARNED: &str = "ppi-ggml-base-q8_0-learned-v2";

fn check_side(who: &str, got: &Value, want: &Value) -> usize {
    let mut n = 0;
    same(
        &format!("{who} pooled κ"),
        &got["cells"]["pooled"]["kappa"],
        &want["pooled"],
    );
    for (label, k) in want["labels"].as_object().unwrap() {
        let l = got["cells"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["label"] == label.as_str())
            .unwrap_or_else(|| panic!("{who}: no {label} in {got}"));
        same(&format!("{who} {label} κ"), &l["kappa"], k);
        n += 1;
    }
    for k in ["tp", "fp", "fn", "comparisons"] {
        assert_eq!(got[k], want[k], "{who} {k}");
    }
    same(&format!("{who} F1"), &got["f1"], &want["f1"]);
    same(
        &format!("{who} boundary error"),
        &got["boundaries"]["mean_s"],
        &want["boundary_mean_s"],
    );
    n + 3
}

#[test]
fn the_machine_as_an_annotator_matches_the_reference_libraries() {
    let flag = ["--with-predictions"];
    // The matrix with the predictions as annotators (named by their model version).
    let (n, m) = compare_matrix("with_predictions.json", &flag);
    assert!(n >= 60, "{n} figures checked");
    let names: Vec<&str> = m["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(names, ["11", "12", "13", RULES, LEARNED], "{m}");
    // The machine section: the humans pairwise, each version against the consensus.
    let export = fixture("agreement/with_predictions.json");
    let (g, o) = (golden(&export, &flag), ours(&export, &flag));
    let (want, got) = (&g["machine"], &o["machine"]);
    let mut checked = check_side("humans", &got["humans"], &want["humans"]);
    let versions = got["machines"].as_array().unwrap();
    assert_eq!(
        versions.len(),
        2,
        "the consensus prediction is no machine: {got}"
    );
    for v in versions {
        let name = v["model_version"].as_str().unwrap();
        checked += check_side(name, v, &want["machines"][name]);
    }
    assert_eq!(versions[0]["tasks"], 2);
    assert_eq!(versions[1]["tasks"], 3);
    assert_eq!(checked, 21, "three sides, four labels each");
    // Each task's report carries its own bench.
    let t33 = o["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == "33")
        .unwrap();
    assert_eq!(
        t33["report"]["machine"]["machines"][0]["model_version"],
        LEARNED
    );

    // Text and the CSV table.
    let (code, out, err) =
        run(ppi()
            .arg("agreement")
            .arg(&export)
            .args(["--labels", LABELS, "--with-predictions"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("the machine against the human consensus"),
        "{out}"
    );
    assert!(out.contains("over every task:"), "{out}");
    assert!(out.contains(&format!("{LEARNED} (3 task(s))")), "{out}");
    assert!(!out.contains("consensus-0.6"), "{out}");
    let (code, csv, err) = run(ppi().arg("agreement").arg(&export).args([
        "--labels",
        LABELS,
        "--with-predictions",
        "--format",
        "csv",
        "--table",
        "machine",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(r.headers().unwrap().len(), 11);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let all = rows
        .iter()
        .find(|x| &x[0] == "all" && &x[1] == LEARNED && &x[2] == "(pooled)")
        .unwrap();
    let k: f64 = all[5].parse().unwrap();
    let w = want["machines"][LEARNED]["pooled"].as_f64().unwrap();
    assert!((k - w).abs() < 1e-9, "{k} vs {w}");

    // Without the flag the table is refused; an export of prediction ids without Label
    // Studio configured is named.
    let (code, _, err) = run(ppi()
        .arg("agreement")
        .arg(&export)
        .args(["--format", "csv", "--table", "machine"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--with-predictions"), "{err}");
    let dir = crate::support::scratch();
    let ids = dir.path().join("ls-export.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    for t in v.as_array_mut().unwrap() {
        let list: Vec<Value> = t["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect();
        t["predictions"] = Value::Array(list);
    }
    std::fs::write(&ids, v.to_string()).unwrap();
    let (code, _, err) = run(ppi()
        .arg("agreement")
        .arg(&ids)
        .arg("--with-predictions")
        .env_remove("LABEL_STUDIO_URL")
        .env_remove("LABEL_STUDIO_API_KEY"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ls-export.json") && err.contains("[0].predictions lists prediction ids only"),
        "{err}"
    );
}
