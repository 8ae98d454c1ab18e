//! PPI against a real Label Studio 1.23.2 (started by scripts/label-studio.sh): bootstrap,
//! pre-annotation of an uploaded speech video, `/predict` through LS's own action, webhooks,
//! and the reconcile loop catching an annotation saved while PPI was down.

use std::time::{Duration, Instant};

use crate::support::ls::{
    bootstrap, ppi_annotations, ppi_env, speech_lesson, start_ppi, wait_for, Ls,
};
use crate::support::server::TestServer;
use crate::support::services::Service;
use crate::support::{fixture, scratch};
use reqwest::blocking::Client;
use serde_json::{json, Value};

#[test]
fn label_studio_round_trip() {
    let svc = Service::label_studio();
    let ls = Ls::new(&svc);
    let dir = scratch();
    let video = speech_lesson(dir.path());
    let data = dir.path().join("ppi");
    let env = ppi_env(&svc);
    let mut server = start_ppi(&data, &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");

    // 1. Bootstrap, twice: the second run finds everything in place.
    let first = bootstrap(&server, &[]);
    for want in [
        "created   project \"PPI lessons\"",
        "created   project \"PPI clip review\"",
        "created   ML backend",
        "webhook",
        // LS and PPI share this host: the SSRF/local-IP settings are named and seen in effect.
        "is a private address",
        "LABEL_STUDIO_ML_BLOCK_LOCAL_IP=false",
        "checked   Label Studio reaches PPI on a private address",
    ] {
        assert!(first.contains(want), "{want} in\n{first}");
    }
    let second = bootstrap(&server, &[]);
    assert!(
        !second.contains("created") && !second.contains("updated"),
        "{second}"
    );
    let (a, r) = ls.ppi_projects();
    let labels =
        ls.get(&format!("/api/projects/{a}/"))["parsed_label_config"]["pattern"]["labels"].clone();
    assert_eq!(
        labels,
        json!([
            "Lecture",
            "Questioning",
            "GroupWork",
            "Demonstration",
            "Speech"
        ])
    );
    for p in [a, r] {
        let hooks = ls.get(&format!("/api/webhooks/?project={p}"));
        let hook = &hooks.as_array().unwrap()[0];
        assert_eq!(hook["send_for_all_actions"], false);
        assert!(
            hook["headers"]["X-PPI-Webhook-Secret"]
                .as_str()
                .unwrap()
                .len()
                >= 32
        );
    }
    // The generated configs (with speakers and crop) are accepted by LS as they are.
    let out_dir = dir.path().join("configs");
    let out = server
        .ppi()
        .args([
            "ls",
            "config",
            "--speakers",
            "teacher,student",
            "--crop",
            "--patterns",
        ])
        .arg(fixture("patterns.xlsx"))
        .arg("--out-dir")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    for name in ["annotation.xml", "review.xml"] {
        let xml = std::fs::read_to_string(out_dir.join(name)).unwrap();
        ls.post("/api/projects/validate/", json!({ "label_config": xml }));
    }
    let ml = ls.get(&format!("/api/ml/?project={a}"));
    assert_eq!(ml[0]["state"], "CO", "{ml}");

    // 2-3. An upload becomes a task, transcribed once and pre-annotated.
    let (status, body) = server.upload(&token, &video, Some("Questions"));
    assert_eq!(status, 201, "{body}");
    let lesson_id = body["lesson"]["id"].as_str().unwrap().to_owned();
    let task = wait_for("the imported task", 120, || {
        let tasks = ls.get(&format!("/api/tasks/?project={a}&page_size=10"));
        tasks["tasks"].as_array()?.first()?["id"].as_i64()
    });
    let prediction = wait_for("the prediction in LS", 240, || {
        ls.predictions(task).into_iter().next()
    });
    assert_eq!(prediction["model_version"], "whisper-base-q8_0+rules-3");
    let result = prediction["result"].as_array().unwrap().clone();
    let config = ls.get(&format!("/api/projects/{a}/"))["label_config"]
        .as_str()
        .unwrap()
        .to_owned();
    let config = ppi_label_studio::config::LabelConfig::parse(&config).unwrap();
    let problems = ppi_label_studio::validate::check_result(&config, &result, Some(400), "result");
    assert!(problems.is_empty(), "{problems:?}");
    let regions: Vec<&Value> = result
        .iter()
        .filter(|i| i["type"] == "timelinelabels" && i["from_name"] == "pattern")
        .collect();
    // The speaker lane: the turns, labelled by role.
    let lane: Vec<&Value> = result
        .iter()
        .filter(|i| i["from_name"] == "speaker")
        .collect();
    assert!(
        lane.iter()
            .any(|r| r["value"]["timelinelabels"] == json!(["Teacher"])),
        "{result:?}"
    );
    assert!(lane.iter().all(|r| {
        let l = &r["value"]["timelinelabels"][0];
        r["type"] == "timelinelabels" && (l == "Teacher" || l == "Student" || l == "Several")
    }));
    let texts: Vec<&Value> = result.iter().filter(|i| i["type"] == "textarea").collect();
    // One region per stretch of one activity (here the question and the answers), with its
    // transcript and its evidence in the region's meta.
    assert!(
        !regions.is_empty() && texts.len() == regions.len(),
        "{result:?}"
    );
    let first = &regions[0]["value"]["ranges"][0];
    let (s, e) = (
        first["start"].as_u64().unwrap(),
        first["end"].as_u64().unwrap(),
    );
    assert!(
        (15..=40).contains(&s) && e > s,
        "English question at 1 s: {first}"
    );
    let why = regions[0]["meta"]["text"][0].as_str().unwrap_or("");
    assert!(why.contains("teacher question(s)"), "{result:?}");
    assert_eq!(
        regions[0]["value"]["timelinelabels"],
        json!(["Questioning"])
    );
    let all_text = texts
        .iter()
        .map(|t| t["value"]["text"][0].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(all_text.to_lowercase().contains("who knows"), "{all_text}");
    let state = server
        .get(&format!("/api/ls/tasks/{task}"), &token)
        .json::<Value>()
        .unwrap();
    assert_eq!(state["lesson_id"], lesson_id.as_str());
    assert_eq!(state["transcribed"], true);

    // A second task showing the same video is pre-annotated from the same transcript.
    let video_url =
        ls.get(&format!("/api/tasks/{task}?resolve_uri=false"))["data"]["video"].clone();
    let second = ls.post(
        &format!("/api/projects/{a}/import?return_task_ids=true"),
        json!([{"data": {"video": video_url, "fps": 25}}]),
    )["task_ids"][0]
        .as_i64()
        .unwrap();
    let p2 = wait_for("the second task's prediction", 60, || {
        ls.predictions(second).into_iter().next()
    });
    assert_eq!(p2["result"], prediction["result"]);
    let transcriptions = crate::support::python_run(
        "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from ppi_jobs where kind='transcribe'\").fetchone()[0])",
        &[data.join("ppi.db").to_str().unwrap()],
    );
    assert_eq!(transcriptions.trim(), "1", "one transcription per video");

    // LS's own editor shows the draft: the suggested pattern's region and its transcript.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("ls-editor.png");
    crate::support::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e/ls_editor.mjs"))
            .args([
                ls.url.as_str(),
                &svc.var("LS_EMAIL"),
                &svc.var("LS_PASSWORD"),
                &a.to_string(),
                &task.to_string(),
                "Questioning",
                "who knows",
            ])
            .arg(&shot)
            .arg("Teacher"),
    );

    // 4. LS's own retrieve action calls /predict, which answers from the cache.
    let all = json!({"selectedItems": {"all": true, "excluded": []}});
    ls.post(
        &format!("/api/dm/actions?id=delete_tasks_predictions&project={a}"),
        all.clone(),
    );
    assert!(ls.predictions(task).is_empty());
    ls.post(
        &format!("/api/dm/actions?id=retrieve_tasks_predictions&project={a}"),
        all,
    );
    let again = ls.predictions(task);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["result"], prediction["result"]);

    // 5. An annotation arrives by webhook and is kept with its intervals.
    let ann = ls.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [{"id": "q1", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                           "value": {"ranges": [{"start": 26, "end": 90}], "timelinelabels": ["Questioning"]}}]}),
    );
    let ann_id = ann["id"].as_i64().unwrap();
    let kept = wait_for("the annotation in PPI", 30, || {
        ppi_annotations(&server, &token, a)
            .into_iter()
            .find(|x| x["annotation_id"] == ann_id)
    });
    assert_eq!(kept["status"], "accepted", "{kept}");
    assert_eq!(kept["intervals"][0]["start"], 26);
    assert_eq!(kept["intervals"][0]["label"], "Questioning");

    // Bad input: an unknown label and frames beyond the 400-frame video are refused by name.
    let bad = ls.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [{"id": "b1", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                           "value": {"ranges": [{"start": 390, "end": 900}], "timelinelabels": ["Lectur"]}},
                          {"id": "b2", "from_name": "patern", "to_name": "video", "type": "timelinelabels",
                           "value": {"ranges": [{"start": 1, "end": 2}], "timelinelabels": ["Lecture"]}}]}),
    );
    let bad_id = bad["id"].as_i64().unwrap();
    let refused = wait_for("the refused annotation", 30, || {
        ppi_annotations(&server, &token, a)
            .into_iter()
            .find(|x| x["annotation_id"] == bad_id)
    });
    assert_eq!(refused["status"], "invalid");
    let errors = refused["errors"].to_string();
    assert!(
        errors.contains("unknown label(s) Lectur")
            && errors.contains("beyond the video (400 frames)"),
        "{errors}"
    );

    // Bad tasks: no video URL, and a URL on a host outside the allow-list (SSRF guard).
    let imported = ls.post(
        &format!("/api/projects/{a}/import?return_task_ids=true"),
        json!([{"data": {"video": "", "title": "no video"}},
               {"data": {"video": "http://169.254.169.254/latest/meta-data/x.mp4", "fps": 25}}]),
    );
    let ids: Vec<i64> = imported["task_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    for (id, want) in ids.iter().zip([
        "the task has no video URL in data.video",
        "host \"169.254.169.254\" is not allowed",
    ]) {
        let err = wait_for("the refused task", 30, || {
            let v = server
                .get(&format!("/api/ls/tasks/{id}"), &token)
                .json::<Value>()
                .ok()?;
            v["error"].as_str().map(str::to_owned)
        });
        assert!(err.contains(want), "{err}");
        assert!(ls.predictions(*id).is_empty());
    }

    // `ppi ls predict` queues what is not handled yet (here: nothing).
    let out = server
        .ppi()
        .args(["ls", "predict", "--project", &a.to_string()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!(
            "project {a}: 4 task(s), 0 queued for pre-annotation, 4 already handled"
        )),
        "{said}"
    );

    // 6. Saved while PPI is down: the webhook is lost; reconcile picks it up after restart.
    server.stop();
    let t0 = Instant::now();
    let missed = ls.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [{"id": "l1", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                           "value": {"ranges": [{"start": 200, "end": 300}], "timelinelabels": ["Lecture"]}}]}),
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "LS saves even when PPI is down"
    );
    let missed_id = missed["id"].as_i64().unwrap();
    let server = start_ppi(&data, &env);
    let token = server.token("root", "root-password-1");
    let reconciled = wait_for("the reconciled annotation", 60, || {
        ppi_annotations(&server, &token, a)
            .into_iter()
            .find(|x| x["annotation_id"] == missed_id)
    });
    assert_eq!(reconciled["status"], "accepted", "{reconciled}");
    assert_eq!(reconciled["intervals"][0]["label"], "Lecture");
}

#[test]
fn personal_access_tokens_work_and_ls_trouble_is_named() {
    let svc = Service::label_studio();
    let ls = Ls::new(&svc);
    let dir = scratch();
    let data = dir.path().join("ppi");
    let env = ppi_env(&svc);
    let server = start_ppi(&data, &env);
    // A personal access token (a refresh JWT), exchanged for access tokens by PPI.
    let pat = ls.post("/api/token/", json!({}))["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = |key: &str, url: &str| {
        server
            .ppi()
            .env("LABEL_STUDIO_API_KEY", key)
            .env("LABEL_STUDIO_URL", url)
            .args(["ls", "bootstrap", "--patterns"])
            .arg(fixture("patterns.xlsx"))
            .args(["--ml-url", &format!("{}/ml", server.url)])
            .output()
            .unwrap()
    };
    let url = svc.var("LABEL_STUDIO_URL");
    let out = run(&pat, &url);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("created   project"), "{text}");

    // A wrong key and an unreachable LS: clear errors, non-zero exits, no token in the output.
    let out = run("0123456789abcdef0123456789abcdef01234567", &url);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("ls-unauthorized") && err.contains("401"),
        "{err}"
    );
    assert!(
        !err.contains("0123456789abcdef0123456789abcdef01234567"),
        "{err}"
    );
    let out = run(&pat, "http://127.0.0.1:9");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("Label Studio at http://127.0.0.1:9 is unreachable"),
        "{err}"
    );
    assert!(!err.contains(&pat), "the token leaked: {err}");
}

#[test]
fn the_ml_endpoints_guard_themselves() {
    let dir = scratch();
    let server = TestServer::start(
        dir.path(),
        &[
            ("BASIC_AUTH_USER", "ls"),
            ("BASIC_AUTH_PASS", "ml-pass"),
            (
                "PPI_LS_WEBHOOK_SECRET",
                "s3cr3t-0123456789-0123456789-0123456789",
            ),
        ],
        &[],
    );
    let http = Client::new();
    let url = |p: &str| format!("{}/ml/{p}", server.url);
    // Basic auth on health, setup, predict; none on the webhook, which needs the secret.
    assert_eq!(http.get(url("health")).send().unwrap().status(), 401);
    let t0 = Instant::now();
    let ok = http
        .get(url("health"))
        .basic_auth("ls", Some("ml-pass"))
        .send()
        .unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "LS gives /health 1 s"
    );
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().unwrap()["status"], "UP");
    let hook = json!({"action": "ANNOTATION_CREATED", "project": {"id": 1, "token": "secret-ls-token"},
                      "annotation": {"id": 5, "task": 1, "result": [], "updated_at": "2026-01-01T00:00:00Z"},
                      "task": {"id": 1, "data": {}}});
    let r = http.post(url("webhook")).json(&hook).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap()["code"], "webhook-unauthorized");
    let r = http
        .post(url("webhook"))
        .header("X-PPI-Webhook-Secret", "wrong")
        .json(&hook)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let deliver = || {
        http.post(url("webhook"))
            .header(
                "X-PPI-Webhook-Secret",
                "s3cr3t-0123456789-0123456789-0123456789",
            )
            .json(&hook)
            .send()
            .unwrap()
    };
    let t0 = Instant::now();
    let r = deliver();
    assert_eq!(r.status(), 200);
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
    // The same delivery again (LS never retries, but a proxy might): deduplicated.
    let r = deliver();
    assert_eq!(r.status(), 200);
    std::thread::sleep(Duration::from_millis(500));
    let counts = crate::support::python_run(
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from ppi_ls_events').fetchone()[0], c.execute(\"select count(*) from ppi_jobs where kind='ls-annotation'\").fetchone()[0])",
        &[dir.path().join("ppi.db").to_str().unwrap()],
    );
    assert_eq!(counts.trim(), "1 1", "one event, one job");
    let r = http
        .post(url("webhook"))
        .header(
            "X-PPI-Webhook-Secret",
            "s3cr3t-0123456789-0123456789-0123456789",
        )
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    // /setup refuses a config it cannot pre-annotate; /predict answers one element per task.
    let r = http
        .post(url("setup"))
        .basic_auth("ls", Some("ml-pass"))
        .json(&json!({"project": "3.1795562568", "schema": "<View><Text name=\"t\" value=\"$t\"/></View>",
                      "access_token": "x", "hostname": "http://ls"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().unwrap()["code"], "ml-config-unsupported");
    let t0 = Instant::now();
    let r = http
        .post(url("setup"))
        .basic_auth("ls", Some("ml-pass"))
        .json(&json!({"project": "3.1795562568", "access_token": "x", "hostname": "http://ls",
                      "schema": "<View><Video name=\"video\" value=\"$video\" frameRate=\"$fps\"/><TimelineLabels name=\"pattern\" toName=\"video\"><Label value=\"Lecture\"/></TimelineLabels></View>"}))
        .send()
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3), "LS gives /setup 3 s");
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().unwrap()["model_version"]
        .as_str()
        .unwrap()
        .contains("+rules-3"));
    let r = http
        .post(url("predict"))
        .basic_auth("ls", Some("ml-pass"))
        .json(&json!({"tasks": [{"id": 11, "data": {}}, {"id": 12, "data": {}}], "project": "3.1795562568"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"results": [[], []]}));
}
