//! Label Studio's "Start Training" through real Label Studio 1.23.2: with LS's webhook flag on,
//! the ML connection posts `START_TRAINING` to PPI's `/webhook` (under the backend's auth, not
//! the webhook secret); PPI answers at once and queues a `learn` job for the project. The fit
//! beats the rules on held-out transcripts, so `model_version` changes: `/versions` lists both,
//! `/setup` names the new one, and a new task's prediction carries it. Without the flag (LS's
//! default) the button posts to the legacy `/train`, which queues the same job.

use serde_json::{json, Value};

use crate::support::ls::{bootstrap, ppi_env, speech_lesson, start_ppi, wait_for, Ls};
use crate::support::scratch;
use crate::support::services::Service;
use ppi_learn::fit::Reviewed;

/// The learn fixture's transcripts as approved review items (nothing about frames).
fn reviewed_transcripts() -> Vec<(Reviewed, i64)> {
    std::fs::read_to_string(crate::support::fixture("learn/transcripts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                Reviewed {
                    pattern: v["label"].as_str().unwrap().to_owned(),
                    transcript: v["text"].as_str().unwrap().to_owned(),
                    cues: Vec::new(),
                    candidates: Vec::new(),
                },
                0,
            )
        })
        .collect()
}

fn ml(server_url: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::blocking::Client::new();
    let r = match body {
        Some(b) => http.post(format!("{server_url}/ml/{path}")).json(&b),
        None => http.get(format!("{server_url}/ml/{path}")),
    }
    .send()
    .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn start_training_in_label_studio_fits_and_changes_the_model_version() {
    let svc = Service::label_studio_with(
        "ff_back_dev_1417_start_training_mlbackend_webhooks_250122_long=true",
    );
    let lsapi = Ls::new(&svc);
    let dir = scratch();
    let data = dir.path().join("ppi");
    // Reviewers already approved clips: their transcripts are what the suggester learns from.
    crate::learn::seed(&data, &reviewed_transcripts());
    let server = start_ppi(&data, &ppi_env(&svc));
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    bootstrap(&server, &[]);
    let (a, _) = lsapi.ppi_projects();
    // The wiring it made is in the audit log, by the command line.
    let audit: Value = server
        .get("/api/audit?action=ls-wiring-changed", &token)
        .json()
        .unwrap();
    let wired = &audit["events"][0];
    assert!(
        wired["actor"].as_str().unwrap_or("").starts_with("cli:")
            && wired["detail"].as_str().unwrap_or("").contains("created"),
        "{audit}"
    );

    let (_, v) = ml(&server.url, "versions", None);
    let before = v["model_version"].as_str().unwrap().to_owned();
    assert!(before.ends_with("+rules-3"), "{v}");
    assert_eq!(v["versions"], json!([before]), "{v}");

    // A lesson with the rules' draft.
    let video = speech_lesson(dir.path());
    let (status, body) = server.upload(&token, &video, Some("Training"));
    assert_eq!(status, 201, "{body}");
    let t1 = wait_for("the imported task", 120, || {
        lsapi.get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"]
            .as_array()?
            .first()?["id"]
            .as_i64()
    });
    let p1 = wait_for("the prediction", 240, || {
        lsapi.predictions(t1).into_iter().next()
    });
    assert_eq!(p1["model_version"], before.as_str(), "{p1}");

    // The project's "Start Training" (what the button calls).
    let backend = lsapi.get(&format!("/api/ml?project={a}"))[0]["id"]
        .as_i64()
        .unwrap();
    lsapi.post(&format!("/api/ml/{backend}/train"), json!({}));
    let v = wait_for("the new model version", 120, || {
        let (_, v) = ml(&server.url, "versions", None);
        (v["versions"].as_array()?.len() == 2).then_some(v)
    });
    let after = v["model_version"].as_str().unwrap().to_owned();
    assert!(after.ends_with("+learned-1"), "{v}");
    assert_eq!(v["versions"], json!([before, after]), "{v}");
    let jobs = wait_for("the learn job's end", 60, || {
        let jobs = server
            .get("/api/jobs?kind=learn", &token)
            .json::<Value>()
            .ok()?;
        (jobs["jobs"][0]["status"] == "succeeded").then_some(jobs)
    });
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 1, "{jobs}");
    assert!(
        jobs.to_string().contains(&format!("learn:train-{a}:")),
        "the learn job is the project's: {jobs}"
    );
    // `/setup` names the current version.
    let (status, s) = ml(
        &server.url,
        "setup",
        Some(
            json!({"project": format!("{a}.1700000000"), "schema": lsapi.get(&format!("/api/projects/{a}/"))["label_config"]}),
        ),
    );
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["model_version"], after.as_str(), "{s}");

    // A new task of the same video gets the learned suggester's version.
    let t2 = lsapi.import_same_video(a, t1);
    let p2 = wait_for("the new task's prediction", 120, || {
        lsapi.predictions(t2).into_iter().next()
    });
    assert_eq!(p2["model_version"], after.as_str(), "{p2}");

    // LS's default (no flag) posts to the legacy `/train`: the same job, once per reason.
    let (status, t) = ml(
        &server.url,
        "train",
        Some(json!({"project": format!("{a}.1700000000"), "annotations": []})),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        t["status"], "already requested",
        "nothing new since the last fit: {t}"
    );
    let (status, t) = ml(&server.url, "train", Some(json!({"annotations": []})));
    assert_eq!(
        (status, t["code"].as_str()),
        (422, Some("ml-bad-request")),
        "{t}"
    );
    // Any other action without the webhook secret is refused.
    let (status, _) = ml(
        &server.url,
        "webhook",
        Some(json!({"action": "ANNOTATION_CREATED", "project": {"id": a}})),
    );
    assert_eq!(status, 401);
}
