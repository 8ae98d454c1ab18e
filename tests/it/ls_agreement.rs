//! Several annotators per task through real Label Studio 1.23.2: `ppi ls bootstrap
//! --annotators 2` sets the project's `maximum_annotations`; users created through LS's API
//! annotate one task each (`completed_by`). Above the gate the consensus reaches review; below
//! it the task is flagged (`meta.ppi_agreement`) and not reviewed; a third annotation that
//! lifts κ over the gate releases it. The figures come back from `GET /api/ls/agreement`, with
//! the annotator matrix. Each consensus is written back to its LS task as a prediction scored
//! with κ (`consensus-0.6`); sorted by that score, LS's Data Manager puts the flagged task first,
//! and a newer consensus replaces the older. PPI's own draft is measured like one more
//! annotator: the report shows the humans' κ and the draft's κ against their consensus, per
//! task and per project and model version.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::ls::{bootstrap, ppi_env, speech_lesson, start_ppi, wait_for, Ls};
use crate::support::scratch;
use crate::support::services::Service;
use serde_json::{json, Value};

fn region(id: &str, start: u64, end: u64, label: &str) -> Value {
    json!({"id": id, "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
           "value": {"ranges": [{"start": start, "end": end}], "timelinelabels": [label]}})
}

/// Review tasks of one source task, by item id.
fn reviews(ls: &Ls, project: i64, source: i64) -> BTreeMap<String, Value> {
    ls.get(&format!(
        "/api/tasks/?project={project}&page_size=100&fields=all"
    ))["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t["data"]["source_task"] == source)
        .map(|t| (t["data"]["item_id"].as_str().unwrap_or("").to_owned(), t))
        .collect()
}

#[test]
fn consensus_above_the_gate_reaches_review_and_below_it_waits_for_adjudication() {
    let svc = Service::label_studio();
    let lsapi = Ls::new(&svc);
    let dir = scratch();
    let video = speech_lesson(dir.path());
    let data = dir.path().join("ppi");
    let server = start_ppi(&data, &ppi_env(&svc));
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    let report = bootstrap(&server, &["--annotators", "2"]);
    assert!(report.contains("2 annotator(s) per task"), "{report}");
    let (a, r) = lsapi.ppi_projects();
    assert_eq!(
        lsapi.get(&format!("/api/projects/{a}/"))["maximum_annotations"],
        2
    );
    // Three annotators, created through LS's own API.
    let users: Vec<i64> = ["ann1", "ann2", "ann3"]
        .iter()
        .map(|u| {
            lsapi.post(
                "/api/users/",
                json!({"email": format!("{u}@example.com"), "username": u, "first_name": u}),
            )["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let annotate = |task: i64, who: i64, result: Vec<Value>| {
        let v = lsapi.post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"completed_by": who, "result": result}),
        );
        assert_eq!(v["completed_by"], who, "{v}");
    };

    let (status, body) = server.upload(&token, &video, Some("Agreement"));
    assert_eq!(status, 201, "{body}");
    let t1 = wait_for("the imported task", 120, || {
        lsapi.get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"]
            .as_array()?
            .first()?["id"]
            .as_i64()
    });
    wait_for("the prediction", 240, || {
        lsapi.predictions(t1).into_iter().next()
    });

    // One annotation of two planned: nothing goes to review yet.
    annotate(
        t1,
        users[0],
        vec![
            region("q", 26, 90, "Questioning"),
            region("l", 200, 300, "Lecture"),
        ],
    );
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        reviews(&lsapi, r, t1).is_empty(),
        "waiting for the second annotator"
    );
    // The second agrees well: the consensus (the frames both marked) reaches review.
    annotate(
        t1,
        users[1],
        vec![
            region("q", 30, 95, "Questioning"),
            region("l", 205, 300, "Lecture"),
        ],
    );
    let first = wait_for("the consensus's review tasks", 180, || {
        let m = reviews(&lsapi, r, t1);
        (m.len() == 2).then_some(m)
    });
    assert!(
        first.keys().any(|k| k.ends_with("_000030-000090")),
        "{:?}",
        first.keys()
    );
    assert!(
        first.keys().any(|k| k.ends_with("_000205-000300")),
        "{:?}",
        first.keys()
    );
    let figures = server
        .get(&format!("/api/ls/agreement?task={t1}"), &token)
        .json::<Value>()
        .unwrap();
    assert_eq!(figures["passed"], true, "{figures}");
    let kappa = figures["report"]["gate"]["value"].as_f64().unwrap();
    assert!(kappa >= 0.6, "{figures}");
    assert_eq!(figures["report"]["annotators"].as_array().unwrap().len(), 2);
    // The machine as one more annotator: the task's report shows the humans against each
    // other and PPI's draft (named by its model version) against their consensus.
    let draft = lsapi
        .predictions(t1)
        .into_iter()
        .find(|p| {
            !p["model_version"]
                .as_str()
                .unwrap_or("")
                .starts_with("consensus-")
        })
        .unwrap();
    let machine = figures["machine"]
        .as_array()
        .unwrap_or_else(|| panic!("{figures}"));
    assert_eq!(machine.len(), 2, "{figures}");
    assert_eq!(machine[0]["who"], "humans");
    let humans = machine[0]["kappa"].as_f64().unwrap();
    assert!(
        (humans - kappa).abs() < 1e-9,
        "two humans: their κ is the gate's"
    );
    assert_eq!(machine[1]["who"], draft["model_version"], "{figures}");
    assert_eq!(machine[1]["tasks"], 1);
    let versus = machine[1]["kappa"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&versus), "{figures}");
    assert!(machine[1]["f1"].is_number(), "{figures}");
    eprintln!(
        "task {t1}: humans κ {humans:.3}, {} κ {versus:.3}",
        draft["model_version"]
    );

    // A second task of the same video where the two disagree: flagged, not reviewed.
    let t2 = lsapi.import_same_video(a, t1);
    wait_for("the second task's prediction", 120, || {
        lsapi.predictions(t2).into_iter().next()
    });
    annotate(
        t2,
        users[0],
        vec![
            region("q", 26, 90, "Questioning"),
            region("l", 200, 300, "Lecture"),
        ],
    );
    annotate(t2, users[1], vec![region("q", 26, 90, "Questioning")]);
    let flagged = wait_for("the flag", 120, || {
        let t = lsapi.get(&format!("/api/tasks/{t2}/"));
        (t["meta"]["ppi_agreement"]["status"] == "flagged for adjudication").then_some(t)
    });
    let k = flagged["meta"]["ppi_agreement"]["kappa"].as_f64().unwrap();
    assert!(k < 0.6, "{flagged}");
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        reviews(&lsapi, r, t2).is_empty(),
        "below the gate: not reviewed"
    );
    // LS's own views: each task's consensus is a prediction scored with its κ.
    let consensus_of = |task: i64| -> Vec<Value> {
        lsapi
            .predictions(task)
            .into_iter()
            .filter(|p| {
                p["model_version"]
                    .as_str()
                    .is_some_and(|v| v.starts_with("consensus-"))
            })
            .collect()
    };
    let c1 = wait_for("the first task's consensus prediction", 60, || {
        let c = consensus_of(t1);
        (c.len() == 1).then_some(c)
    });
    assert_eq!(c1[0]["model_version"], "consensus-0.6", "{c1:?}");
    assert!(
        (c1[0]["score"].as_f64().unwrap() - kappa).abs() < 1e-4,
        "{c1:?}"
    );
    assert_eq!(c1[0]["result"].as_array().unwrap().len(), 2, "{c1:?}");
    let c2 = wait_for("the flagged task's consensus prediction", 60, || {
        let c = consensus_of(t2);
        (c.len() == 1).then_some(c)
    });
    assert!(
        (c2[0]["score"].as_f64().unwrap() - k).abs() < 1e-4,
        "{c2:?}"
    );
    // The admin picks the consensus version in the project's settings (Predictions) and sorts
    // the Data Manager by prediction score: the flagged task comes first.
    lsapi.call(
        reqwest::Method::PATCH,
        &format!("/api/projects/{a}/"),
        Some(json!({"model_version": "consensus-0.6"})),
    );
    let q = url::form_urlencoded::byte_serialize(
        json!({"ordering": ["tasks:predictions_score"]})
            .to_string()
            .as_bytes(),
    )
    .collect::<String>();
    let sorted = lsapi.get(&format!(
        "/api/tasks/?project={a}&fields=all&page_size=10&query={q}"
    ));
    let order: Vec<(Value, Value)> = sorted["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].clone(), t["predictions_score"].clone()))
        .collect();
    assert_eq!(order[0].0, t2, "{order:?}");
    assert_eq!(order[1].0, t1, "{order:?}");
    // The same in the Data Manager a person sees: a tab sorted by prediction score.
    let view = lsapi.post(
        "/api/dm/views/",
        json!({"project": a, "data": {"title": "Agreement", "ordering": ["tasks:predictions_score"],
               "hiddenColumns": {"explore": ["tasks:inner_id", "tasks:annotations_results",
                   "tasks:annotations_ids", "tasks:predictions_results", "tasks:file_upload",
                   "tasks:storage_filename", "tasks:created_at", "tasks:updated_at",
                   "tasks:updated_by", "tasks:avg_lead_time", "tasks:draft_exists",
                   "tasks:cancelled_annotations", "tasks:total_predictions"],
               "labeling": []}}}),
    )["id"]
        .as_i64()
        .unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    crate::support::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e/ls_data_manager.mjs"))
            .args([
                lsapi.url.as_str(),
                &svc.var("LS_EMAIL"),
                &svc.var("LS_PASSWORD"),
                &a.to_string(),
                &view.to_string(),
                &t2.to_string(),
            ])
            .arg(shots.join("ls-data-manager-agreement.png")),
    );

    let brief = server
        .get(&format!("/api/ls/agreement?project={a}"), &token)
        .json::<Value>()
        .unwrap();
    // The annotator matrix over the project: ann1 and ann2 share both tasks.
    let m = &brief["matrix"];
    let p12 = m["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["tasks"] == 2)
        .unwrap_or_else(|| panic!("a pair sharing both tasks: {m}"));
    assert!(p12["cells"]["pooled"]["kappa"].as_f64().is_some(), "{m}");
    let t2_brief = brief["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task_id"] == t2)
        .cloned()
        .unwrap();
    assert_eq!(t2_brief["passed"], false, "{brief}");
    // Per project and model version: the draft was measured on both tasks.
    let per_version = brief["machine"].as_array().unwrap();
    assert_eq!(per_version[1]["who"], draft["model_version"], "{brief}");
    assert_eq!(per_version[1]["tasks"], 2, "{brief}");
    assert_eq!(per_version[0]["comparisons"], 2, "{brief}");

    // A third annotator sides with the first: κ over the gate, the task is released.
    annotate(
        t2,
        users[2],
        vec![
            region("q", 26, 90, "Questioning"),
            region("l", 200, 300, "Lecture"),
        ],
    );
    let released = wait_for("the released task's review tasks", 180, || {
        let m = reviews(&lsapi, r, t2);
        (m.len() == 2).then_some(m)
    });
    assert!(
        released.keys().any(|k| k.ends_with("_000026-000090")),
        "{:?}",
        released.keys()
    );
    assert!(
        released.keys().any(|k| k.ends_with("_000200-000300")),
        "{:?}",
        released.keys()
    );
    let t = lsapi.get(&format!("/api/tasks/{t2}/"));
    assert!(
        t["meta"]["ppi_agreement"].is_null(),
        "the flag is cleared: {t}"
    );
    let figures = server
        .get(&format!("/api/ls/agreement?task={t2}"), &token)
        .json::<Value>()
        .unwrap();
    assert_eq!(figures["passed"], true, "{figures}");
    // The newer consensus replaced the older: one prediction, the new κ.
    let kappa2 = figures["report"]["gate"]["value"].as_f64().unwrap();
    let c2 = wait_for("the replaced consensus prediction", 60, || {
        let c = consensus_of(t2);
        (c.len() == 1 && (c[0]["score"].as_f64()? - kappa2).abs() < 1e-4).then_some(c)
    });
    assert!(c2[0]["score"].as_f64().unwrap() >= 0.6, "{c2:?}");
    // Of three, the one who disagreed stands out against the consensus of the others.
    let versus = figures["report"]["matrix"]["versus_others"]
        .as_array()
        .unwrap();
    let worst = versus
        .iter()
        .min_by(|x, y| {
            let k = |v: &Value| v["cells"]["pooled"]["kappa"].as_f64().unwrap_or(-1.0);
            k(x).total_cmp(&k(y))
        })
        .unwrap();
    assert_eq!(worst["annotator"], users[1].to_string(), "{versus:?}");
    assert!(
        figures["report"]["frame"]["pooled"]["fleiss"]
            .as_f64()
            .unwrap()
            >= 0.6
    );
    // The first task's review tasks were not touched meanwhile.
    let again = reviews(&lsapi, r, t1);
    assert_eq!(
        first.values().map(|t| t["id"].clone()).collect::<Vec<_>>(),
        again.values().map(|t| t["id"].clone()).collect::<Vec<_>>()
    );

    // The lesson's analytics: a timeline with a lane per pattern and a sub-row per annotator.
    let lesson = body["lesson"]["id"].as_str().unwrap();
    let an = server
        .get(&format!("/api/lessons/{lesson}/analytics"), &token)
        .json::<Value>()
        .unwrap();
    let svg = an["timeline_svg"].as_str().unwrap();
    for label in ["Lecture", "Questioning", "GroupWork", "Demonstration"] {
        assert!(svg.contains(&format!("\n{label}\n</text>")), "{label} lane");
    }
    assert_eq!(an["summary"]["annotators"].as_array().unwrap().len(), 2);
    assert_eq!(
        an["summary"]["matrix"]["pairs"].as_array().map(Vec::len),
        Some(1),
        "the lesson's annotator matrix: {}",
        an["summary"]
    );
    // The draft against the humans, and what happens in the lesson (from its transcript).
    assert_eq!(
        an["summary"]["machine"]["machines"][0]["model_version"], draft["model_version"],
        "{}",
        an["summary"]
    );
    let activity = &an["summary"]["activity"];
    assert!(
        !activity["bins"].as_array().unwrap().is_empty(),
        "{}",
        an["summary"]
    );
    assert!(
        svg.contains("activity per 2 min (PPI)"),
        "the activity strip"
    );
    // And on the lesson's page in the web UI, in a real browser.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    crate::support::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e/ui_analytics.mjs"))
            .args([server.url.as_str(), "root", "root-password-1", lesson])
            .arg(shots.join("lesson-analytics.png"))
            .args(["Lecture", "Questioning", "GroupWork", "Demonstration"]),
    );
}
