//! Wiring Label Studio: `ppi ls bootstrap` from another working directory with the same config
//! finds `serve`'s data dir (and says which it used); a lesson uploaded before the projects
//! existed becomes a task once bootstrap runs, exactly once; `serve`'s own wiring failing is a
//! clear `/ready` answer, not a crash.

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
