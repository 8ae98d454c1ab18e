//! Wiring Label Studio: `ppi ls bootstrap` from another working directory with the same config
//! finds `serve`'s data dir (and says which it used); a lesson uploaded before the projects
//! existed becomes a task once bootstrap runs, exactly once; `serve`'s own wiring failing is a
//! clear `/ready` answer, not a crash.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::ls::{ppi_env, speech_lesson, wait_for, Ls};
use crate::support::server::TestServer;
use crate::support::services::Service;
use crate::support::{fixture, ppi, scratch};
use serde_json::Value;

#[test]
fn bootstrap_elsewhere_backfills_earlier_uploads_once() {
    let svc = Service::label_studio();
    let lsapi = Ls::new(&svc);
    let dir = scratch();
    // The deployment's folder: a config with relative paths, beside its data dir and sheet.
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::copy(fixture("patterns.xlsx"), site.join("patterns.xlsx")).unwrap();
    let config = site.join("ppi.toml");
    std::fs::write(
        &config,
        "[server]\ndata_dir = \"data\"\n[label_studio]\npatterns = \"patterns.xlsx\"\n",
    )
    .unwrap();
    let data = site.join("data");
    let mut env = ppi_env(&svc);
    env.retain(|(k, _)| k != "PPI_PATTERNS");
    let server = crate::support::ls::start_ppi(&data, &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");

    // Uploaded before any project exists: ready, but no task yet.
    let video = speech_lesson(dir.path());
    let (status, body) = server.upload(&token, &video, Some("Early"));
    assert_eq!(status, 201, "{body}");
    let lesson = body["lesson"]["id"].as_str().unwrap().to_owned();
    server.wait_lesson(&token, &lesson);

    // Bootstrap from another working directory, given only the config.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let bootstrap = || {
        let out = ppi()
            .current_dir(&elsewhere)
            .arg("--config")
            .arg(&config)
            .args(["ls", "bootstrap", "--ml-url", &format!("{}/ml", server.url)])
            .env("LABEL_STUDIO_URL", svc.var("LABEL_STUDIO_URL"))
            .env("LABEL_STUDIO_API_KEY", svc.var("LABEL_STUDIO_API_KEY"))
            .env_remove("PPI_DATA_DIR")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let first = bootstrap();
    assert!(
        first.contains(&format!("in the data dir {}", data.display())),
        "it names serve's data dir: {first}"
    );
    assert!(
        first.contains("queued    1 lesson(s) uploaded before project"),
        "{first}"
    );
    let (a, _) = lsapi.ppi_projects();
    let tasks = || -> Vec<Value> {
        lsapi.get(&format!("/api/tasks/?project={a}&page_size=100"))["tasks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let task = wait_for("the backfilled task", 120, || {
        tasks().first().and_then(|t| t["id"].as_i64())
    });
    wait_for("its prediction", 240, || {
        lsapi.predictions(task).into_iter().next()
    });
    assert_eq!(tasks()[0]["data"]["lesson_id"], lesson.as_str());

    // Again: nothing to import, and still one task for the lesson.
    let second = bootstrap();
    assert!(!second.contains("queued"), "{second}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(tasks().len(), 1, "imported exactly once");

    // From the wrong place without the config, bootstrap says where it recorded the projects.
    let lost = ppi()
        .current_dir(&elsewhere)
        .args(["ls", "bootstrap", "--patterns"])
        .arg(fixture("patterns.xlsx"))
        .args(["--ml-url", &format!("{}/ml", server.url)])
        .env("LABEL_STUDIO_URL", svc.var("LABEL_STUDIO_URL"))
        .env("LABEL_STUDIO_API_KEY", svc.var("LABEL_STUDIO_API_KEY"))
        .env_remove("PPI_DATA_DIR")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lost.stdout);
    assert!(
        said.contains(&format!(
            "in the data dir {} (`ppi serve` must use the same)",
            elsewhere.join("ppi-data").display()
        )),
        "{said}"
    );
}

#[test]
fn serve_wiring_failure_is_a_clear_ready_answer() {
    let dir = scratch();
    let server = TestServer::start(
        dir.path(),
        &[
            ("LABEL_STUDIO_URL", "http://127.0.0.1:9"),
            (
                "LABEL_STUDIO_API_KEY",
                "0123456789abcdef0123456789abcdef01234567",
            ),
            ("PPI_PATTERNS", fixture("patterns.xlsx").to_str().unwrap()),
        ],
        &[],
    );
    let t0 = Instant::now();
    let ready = loop {
        let r = server
            .http
            .get(format!("{}/ready", server.url))
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().unwrap();
        if v["label_studio"]["status"] == "failed" {
            break (status, v);
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "{v}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(ready.0, 503, "{}", ready.1);
    let ls = &ready.1["label_studio"];
    assert_eq!(ls["code"], "ls-unreachable", "{ls}");
    assert!(
        ls["message"]
            .as_str()
            .unwrap()
            .contains("Label Studio at http://127.0.0.1:9 is unreachable"),
        "{ls}"
    );
    assert!(ls["retry_in_secs"].as_u64().unwrap() >= 2);
    // The server itself goes on.
    let health = server
        .http
        .get(format!("{}/health", server.url))
        .send()
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// The wiring page against a real Label Studio: a webhook waits for its first delivery, is
/// healthy once one arrives, silent while LS is stopped and after it comes back, and healthy
/// again after the next delivery; the page in Chromium shows each verdict after "Check again".
#[test]
fn the_wiring_page_shows_a_webhook_silent_while_ls_is_stopped_and_healthy_after_a_delivery() {
    let svc = Service::label_studio();
    let lsapi = Ls::new(&svc);
    let dir = scratch();
    // `serve` wires LS itself at start, as "Check again" does.
    let mut env = ppi_env(&svc);
    env.retain(|(k, _)| k != "PPI_LS_AUTO_WIRE");
    let server = crate::support::ls::start_ppi(&dir.path().join("data"), &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    let wiring = || -> Value {
        let r = server.get("/api/wiring", &token);
        assert_eq!(r.status(), 200);
        r.json().unwrap()
    };
    let hook = |w: &Value, project: i64| -> Value {
        w["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["project"] == project)
            .cloned()
            .unwrap_or_else(|| panic!("no webhook for project {project}: {w}"))
    };
    // Wired by `serve`.
    let w = wait_for("serve's own wiring", 120, || {
        let w = wiring();
        (w["label_studio"]["wiring"]["status"] == "wired").then_some(w)
    });
    let (annotation, review) = lsapi.ppi_projects();
    let deliver = |n: u32| {
        lsapi.post(
            &format!("/api/projects/{annotation}/import"),
            serde_json::json!([{"data": {"video": format!("http://127.0.0.1:9/lesson-{n}.mp4")}}]),
        );
    };
    let healthy = || {
        wait_for("a healthy webhook after a delivery", 60, || {
            let w = wiring();
            (hook(&w, annotation)["health"] == "healthy").then_some(w)
        })
    };
    let page = |expected: &str, shot: &str| {
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        crate::support::e2e(
            std::process::Command::new("node")
                .arg(ppi_testkit::workspace_root().join("tests/e2e/ui_wiring.mjs"))
                .args([server.url.as_str(), "root", "root-password-1"])
                .arg(annotation.to_string())
                .arg(expected)
                .arg(shots.join(shot)),
        )
    };

    // Nothing delivered yet.
    assert_eq!(w["label_studio"]["reachable"], true, "{w}");
    assert_eq!(w["label_studio"]["version"], "1.23.2", "{w}");
    let ml = w["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == annotation)
        .unwrap();
    assert_eq!(ml["ml_backend"], true, "{w}");
    assert_eq!(hook(&w, annotation)["registered"], true);
    assert_eq!(hook(&w, annotation)["health"], "waiting", "{w}");
    assert_eq!(hook(&w, review)["health"], "waiting", "{w}");

    // A delivery (a task imported: TASKS_CREATED).
    deliver(1);
    let w = healthy();
    let last = &hook(&w, annotation)["last_delivery"];
    assert_eq!(last["action"], "TASKS_CREATED", "{w}");
    assert_eq!(last["outcome"], "ok", "{w}");
    eprintln!("{}", page("healthy", "wiring-healthy.png"));

    // LS stops: silent, on the API and on the page.
    svc.pause();
    let w = wiring();
    assert_eq!(w["label_studio"]["reachable"], false, "{w}");
    let h = hook(&w, annotation);
    assert_eq!(h["health"], "silent", "{h}");
    assert!(
        h["why"].as_str().unwrap().contains("does not answer"),
        "{h}"
    );
    eprintln!("{}", page("silent", "wiring-silent.png"));

    // LS is back: still silent until a delivery arrives; then healthy again.
    svc.resume();
    let client = reqwest::blocking::Client::new();
    let checked: Value = client
        .post(format!("{}/api/wiring/check", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(checked["label_studio"]["reachable"], true, "{checked}");
    assert_eq!(
        checked["label_studio"]["wiring"]["status"], "wired",
        "{checked}"
    );
    let h = hook(&checked, annotation);
    assert_eq!(h["health"], "silent", "{h}");
    assert!(
        h["why"].as_str().unwrap().contains("no delivery since"),
        "{h}"
    );
    deliver(2);
    healthy();
    eprintln!("{}", page("healthy", "wiring-healthy-again.png"));
}
