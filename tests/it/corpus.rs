//! Corpus analytics and the wiring page (issue 29) on a project with three annotators and
//! lessons at every stage, two owners: `GET /api/analytics` adds up the stored agreement
//! reports and transcripts (patterns, κ against the gate, the annotator matrix, talk and
//! questions, the machine per model version), for the whole corpus or chosen lessons, each
//! chart as SVG and its table as CSV; bad selections are clear 4xx answers; a `DL-user` sees
//! their own lessons and no wiring. Then both pages in headless Chromium (numbers equal the
//! API's, CSV equals the table, retry and cancel from the wiring page). Screenshots land in
//! `<target tmp>/ui-screenshots/`.

use std::path::Path;

use serde_json::Value;

use crate::support::board::{in_chromium, project, seed_jobs, Project, Seeded};
use crate::support::scratch;
use crate::support::server::TestServer;

fn get(srv: &TestServer, path: &str, token: &str) -> (u16, Value) {
    let r = srv.get(path, token);
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn corpus_analytics_and_wiring_show_what_the_api_computes() {
    let dir = scratch();
    let Project {
        srv,
        root,
        teacher,
        seeded,
        ..
    } = project(dir.path());
    let (failed, queued) = seed_jobs(&srv.data);

    // The whole corpus: 16 lessons; 10 measured tasks (annotated onwards), 8 passed the gate.
    let (status, all) = get(&srv, "/api/analytics", &root);
    assert_eq!(status, 200, "{all}");
    let f = &all["figures"];
    assert_eq!(
        (f["lessons"].as_u64(), f["tasks"].as_u64()),
        (Some(16), Some(10)),
        "{f}"
    );
    assert_eq!(f["kappa"]["passed"], 8);
    assert_eq!(f["kappa"]["flagged"], 2);
    assert_eq!(f["kappa"]["gate"], 0.6);
    let binned: u64 = f["kappa"]["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tasks"].as_u64().unwrap())
        .sum();
    assert_eq!(binned + f["kappa"]["undefined"].as_u64().unwrap(), 10);
    // Every passed task agreed on one interval of each pattern.
    for p in f["patterns"].as_array().unwrap() {
        assert_eq!(p["intervals"], 8, "{p}");
    }
    assert_eq!(f["patterns"].as_array().unwrap().len(), 3);
    assert_eq!(
        f["matrix"]["annotators"],
        serde_json::json!(["annotator-0", "annotator-1", "annotator-2"])
    );
    for pair in f["matrix"]["pairs"].as_array().unwrap() {
        assert_eq!(pair["tasks"], 10, "{pair}");
    }
    let machine = f["machine"].as_array().unwrap();
    assert_eq!(machine[0]["who"], "humans");
    assert_eq!(machine[1]["who"], "whisper-base+rules-0");
    assert_eq!(machine[1]["tasks"], 10);
    // Talk for every transcribed lesson (all but the 2 only uploaded), with its questions.
    let talk = f["talk"].as_array().unwrap();
    assert_eq!(talk.len(), 14);
    for t in talk {
        let i: usize = t["title"].as_str().unwrap()[7..].parse().unwrap();
        assert_eq!(t["questions"], 2 + i % 4, "{t}");
        assert_eq!(t["open_questions"], (2 + i % 4).div_ceil(2), "{t}");
    }
    assert_eq!(all["tables"].as_array().unwrap().len(), 6);

    // Chosen lessons: the selection's own figures.
    let chosen: Vec<&str> = seeded
        .iter()
        .filter(|s| s.stage == "published" || s.stage == "annotated")
        .map(|s| s.id.as_str())
        .collect();
    let (status, some) = get(
        &srv,
        &format!("/api/analytics?lessons={}", chosen.join(",")),
        &root,
    );
    assert_eq!(status, 200, "{some}");
    assert_eq!(some["figures"]["lessons"], 4);
    assert_eq!(some["figures"]["tasks"], 4);
    assert_eq!(some["figures"]["kappa"]["flagged"], 2);

    // Each chart as SVG, each table as CSV.
    let svg = srv.get("/api/analytics/matrix.svg", &root);
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().unwrap();
    assert!(
        svg.contains("role=\"img\"") && svg.contains("annotator-1"),
        "{svg}"
    );
    let csv = srv.get("/api/analytics/patterns.csv", &root);
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("ppi-patterns.csv"));
    let csv = csv.text().unwrap();
    assert!(
        csv.starts_with("pattern,intervals,seconds,flagged_intervals,flagged_seconds\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // Bad input: a clear 4xx naming what is wrong.
    for (path, want, code) in [
        ("/api/analytics?lessons=nope", 400, "bad-lessons"),
        ("/api/analytics/pie.svg", 404, "chart-not-found"),
        ("/api/analytics/patterns.png", 404, "chart-not-found"),
    ] {
        let (status, body) = get(&srv, path, &root);
        assert_eq!(
            (status, body["code"].as_str()),
            (want, Some(code)),
            "{path}: {body}"
        );
    }
    let theirs = seeded.iter().find(|s| s.owner == "other").unwrap();
    let (status, body) = get(
        &srv,
        &format!("/api/analytics?lessons={}", theirs.id),
        &teacher,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("lesson-not-found")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains(&theirs.id),
        "{body}"
    );

    // A DL-user: their own lessons only; the wiring is for admins.
    let (_, mine) = get(&srv, "/api/analytics", &teacher);
    let measured = |s: &&Seeded| !matches!(s.stage, "uploaded" | "transcribed" | "in-ls");
    let own = seeded.iter().filter(|s| s.owner == "teacher");
    assert_eq!(mine["figures"]["lessons"], own.clone().count());
    assert_eq!(mine["figures"]["tasks"], own.filter(measured).count());
    let (status, _) = get(&srv, "/api/wiring", &teacher);
    assert_eq!(status, 403);

    // The wiring without Label Studio: said plainly; the seeded jobs listed.
    let (status, wiring) = get(&srv, "/api/wiring", &root);
    assert_eq!(status, 200, "{wiring}");
    assert_eq!(wiring["label_studio"]["configured"], false);
    assert_eq!(wiring["webhooks"][0]["health"], "off", "{wiring}");
    assert_eq!(wiring["storage"]["ok"], true);
    assert_eq!(wiring["jobs"]["failed"][0]["id"], failed.as_str());
    assert!(wiring["jobs"]["active"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["id"] == queued.as_str()));
    // Only a failed or canceled job is retried.
    let client = reqwest::blocking::Client::new();
    let retry = client
        .post(format!("{}/api/jobs/{queued}/retry", srv.url))
        .bearer_auth(&root)
        .send()
        .unwrap();
    assert_eq!(retry.status(), 409);

    // The new routes are described.
    let spec: Value = reqwest::blocking::get(format!("{}/openapi.json", srv.url))
        .unwrap()
        .json()
        .unwrap();
    for path in [
        "/api/analytics",
        "/api/analytics/{file}",
        "/api/wiring",
        "/api/wiring/check",
        "/api/jobs/{id}/retry",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} is not in /openapi.json"
        );
    }

    // Both pages in Chromium.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let said = in_chromium(
        "ui_corpus.mjs",
        &srv,
        ("root", "root-password-1"),
        ("teacher", "teacher-password"),
        &shots,
    );
    eprintln!("{said}");
    for name in [
        "analytics.png",
        "analytics-chosen.png",
        "analytics-teacher.png",
        "wiring.png",
    ] {
        assert!(
            std::fs::metadata(shots.join(name)).unwrap().len() > 10_000,
            "{name}"
        );
    }
}
