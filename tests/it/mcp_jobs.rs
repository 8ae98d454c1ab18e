//! MCP's long tools over streamable HTTP with the official Python client (`tests/mcp/jobs.py`):
//! builds and publishes as jobs followed to their end, the lesson resources and their
//! ownership rules, and the storage watcher inside `serve` (queued once a copied pair settles,
//! not again after a restart).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::server::TestServer;
use crate::support::{fixture, index_video, lesson_video, python, scratch, VideoSpec};
use serde_json::{json, Value};

/// The fixture export's first task alone: the export of one lesson.
pub(crate) fn one_lesson_export() -> String {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("export_lesson-001.json")).unwrap())
            .unwrap();
    Value::Array(vec![v[0].clone()]).to_string()
}

/// One lesson with `n` one-second intervals, one second apart (a build that takes a while).
fn many_intervals_export(n: usize) -> String {
    let mut v: Value = serde_json::from_str(&one_lesson_export()).unwrap();
    let regions: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("m{i}"), "from_name": "pattern", "to_name": "video",
                   "type": "timelinelabels", "origin": "manual",
                   "value": {"ranges": [{"start": 1 + i * 50, "end": 25 + i * 50}],
                             "timelinelabels": ["Lecture"]}})
        })
        .collect();
    for a in v[0]["annotations"].as_array_mut().unwrap() {
        if a["was_cancelled"] == false {
            a["result"] = Value::Array(regions.clone());
        }
    }
    v.to_string()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn jobs(srv: &TestServer, token: &str, kind: &str) -> Vec<Value> {
    let v: Value = srv
        .get(&format!("/api/jobs?kind={kind}"), token)
        .json()
        .unwrap();
    v["jobs"].as_array().cloned().unwrap_or_default()
}

/// Users first (the watcher's owner must exist when `serve` starts), then the real server.
fn server_with_users(data: &Path, env: &[(&str, &str)]) -> TestServer {
    let mut first = TestServer::start(data, &[], &[]);
    first.add_user("admin", "admin", "admin-password");
    first.add_user("bob", "DL-user", "bob-password");
    first.add_user("carol", "DL-user", "carol-password");
    first.stop();
    TestServer::start(data, env, &[])
}

#[test]
fn long_tools_resources_and_the_service_watcher() {
    let dir = scratch();
    let roots = dir.path().join("roots");
    let incoming = dir.path().join("incoming");
    let lesson_dir = roots.join("lessons");
    std::fs::create_dir_all(&lesson_dir).unwrap();
    std::fs::create_dir_all(&incoming).unwrap();
    let video = lesson_dir.join("a.mp4");
    lesson_video(&video);
    let export = lesson_dir.join("a.json");
    std::fs::write(&export, one_lesson_export()).unwrap();
    let long = lesson_dir.join("long.mp4");
    std::fs::write(lesson_dir.join("long.json"), many_intervals_export(100)).unwrap();
    index_video(
        &long,
        &VideoSpec {
            seconds: 201.0,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: true,
        },
    );
    let outside = dir.path().join("outside.mp4");
    std::fs::copy(&video, &outside).unwrap();
    let hub = crate::support::hub::HubDouble::start();
    let patterns = fixture("patterns.xlsx");
    let env = [
        ("PPI_MCP_ROOTS", roots.to_str().unwrap()),
        ("PPI_PATTERNS", patterns.to_str().unwrap()),
        ("PPI_WATCH_SOURCES", incoming.to_str().unwrap()),
        ("PPI_WATCH_OWNER", "admin"),
        ("PPI_WATCH_SETTLE_SECS", "1"),
        ("HF_ENDPOINT", hub.url.as_str()),
        ("HF_TOKEN", "hf_mcp_token"),
    ];
    let data = dir.path().join("data");
    let mut srv = server_with_users(&data, &env);
    let admin = srv.token("admin", "admin-password");

    // The watcher in `serve`: a pair copied in slowly is queued once it settles.
    let bytes = std::fs::read(&video).unwrap();
    let mut f = std::fs::File::create(incoming.join("w1.mp4")).unwrap();
    for chunk in bytes.chunks(bytes.len().div_ceil(4)) {
        use std::io::Write;
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(f);
    std::fs::write(incoming.join("w1.json"), one_lesson_export()).unwrap();
    let last_write = now_ms();
    let end = Instant::now() + Duration::from_secs(30);
    let queued = loop {
        let found = jobs(&srv, &admin, "dataset-build");
        if let Some(j) = found.into_iter().next() {
            break j;
        }
        assert!(Instant::now() < end, "the watched pair was never queued");
        std::thread::sleep(Duration::from_millis(50));
    };
    let lag = (queued["created_at"].as_i64().unwrap() - last_write) as f64 / 1000.0;
    // Target settle + 1 s (measured ~1.00 s); the bound leaves room for a loaded machine.
    eprintln!("service watcher: last write → job queued {lag:.3} s (settle 1 s)");
    assert!(
        (1.0..=3.0).contains(&lag),
        "queued {lag:.3} s after the last write"
    );
    assert!(queued["idempotency_key"]
        .as_str()
        .unwrap()
        .starts_with("watch:"));

    // The long tools, the resources and their rules, with the official client.
    let cfg = json!({
        "bob": srv.token("bob", "bob-password"), "carol": srv.token("carol", "carol-password"),
        "admin": admin, "video": video, "export": "lessons/a.json", "long_video": long, "long_export": lesson_dir.join("long.json"),
        "outside": outside, "repo": "testuser/mcp-test",
    });
    let script = ppi_testkit::workspace_root().join("tests/mcp/jobs.py");
    let out = Command::new(python())
        .arg(script)
        .arg(format!("{}/mcp", srv.url))
        .arg(cfg.to_string())
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "jobs.py:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("jobs.py prints JSON");
    check_long_tools(&v);
    // The publication is in the audit log, with the admin who asked for it.
    let audit: Value = srv
        .get("/api/audit?action=dataset-published", &admin)
        .json()
        .unwrap();
    let published = &audit["events"][0];
    assert_eq!(
        (&published["actor"], &published["target"]),
        (&json!("admin"), &json!("testuser/mcp-test")),
        "{audit}"
    );
    // The canceled build left a consistent folder: fewer items than asked, each complete.
    let canceled = data.join("datasets/bob/canceled");
    let csv = std::fs::read_to_string(canceled.join("metadata.csv")).unwrap_or_default();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(
        rows.len() < 100,
        "{} rows: the cancel came too late",
        rows.len()
    );
    for row in &rows {
        for cell in row.split(',') {
            if [".mp4", ".jpg", ".wav"].iter().any(|e| cell.ends_with(e))
                && cell.contains('/')
                && !cell.contains("://")
            {
                assert!(canceled.join(cell).is_file(), "{cell} listed but missing");
            }
        }
    }
    eprintln!("canceled build kept {} complete item(s) of 100", rows.len());

    // The watched lesson was built once; a restart queues nothing again.
    let built = jobs(&srv, &admin, "dataset-build");
    let watched: Vec<&Value> = built
        .iter()
        .filter(|j| {
            j["idempotency_key"]
                .as_str()
                .unwrap_or("")
                .starts_with("watch:")
        })
        .collect();
    assert_eq!(watched.len(), 1, "{watched:?}");
    srv.stop();
    let srv = TestServer::start(&data, &env, &[]);
    std::thread::sleep(Duration::from_secs(3));
    let admin = srv.token("admin", "admin-password");
    let again = jobs(&srv, &admin, "dataset-build");
    let watched: Vec<&Value> = again
        .iter()
        .filter(|j| {
            j["idempotency_key"]
                .as_str()
                .unwrap_or("")
                .starts_with("watch:")
        })
        .collect();
    assert_eq!(
        watched.len(),
        1,
        "queued again after a restart: {watched:?}"
    );
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let j: Value = srv
            .get(
                &format!("/api/jobs/{}", watched[0]["id"].as_str().unwrap()),
                &admin,
            )
            .json()
            .unwrap();
        if j["status"] == "succeeded" {
            assert_eq!(j["result"]["status"], "built", "{j}");
            break;
        }
        assert!(j["status"] != "failed", "{j}");
        assert!(Instant::now() < end, "the watched lesson never built: {j}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let csv = data.join("datasets/admin/watch/metadata.csv");
    assert!(std::fs::read_to_string(csv).unwrap().lines().count() > 1);
}

fn check_long_tools(v: &Value) {
    let bob = &v["bob"];
    let tools = bob["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for want in [
        "list_lessons",
        "lesson_status",
        "ingest_lesson",
        "scan_storage",
        "hub_status",
        "build_dataset",
        "transcribe",
        "agreement_report",
        "publish_dataset",
        "job_status",
        "cancel_job",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let schema = |name: &str| &tools.iter().find(|t| t["name"] == name).unwrap()["inputSchema"];
    assert_eq!(
        schema("build_dataset")["required"],
        json!(["video", "export"])
    );
    assert_eq!(
        schema("build_dataset")["properties"]["publish"]["type"],
        "boolean"
    );
    assert!(schema("job_status")["properties"]["wait_secs"].is_object());

    // A handle at once, then followed to the end with progress.
    assert_eq!(bob["build"]["isError"], false, "{}", bob["build"]);
    assert!(
        bob["build_answer_s"].as_f64().unwrap() < 2.0,
        "{}",
        bob["build_answer_s"]
    );
    let fin = &bob["followed"]["final"]["structured"];
    assert_eq!(fin["status"], "succeeded", "{fin}");
    assert_eq!(fin["result"]["status"], "built", "{fin}");
    let items = fin["result"]["build"]["items"].as_u64().unwrap();
    assert!(items > 0, "{fin}");
    let progress = bob["followed"]["progress"].as_array().unwrap();
    assert!(progress.len() >= 2, "{progress:?}");
    assert_eq!(progress.last().unwrap()["progress"], 100.0, "{progress:?}");
    assert!(progress.iter().all(|p| p["total"] == 100.0));
    assert_eq!(
        bob["build_again"]["structured"]["job"]["id"], fin["id"],
        "unchanged files: the same job"
    );

    // Resources: the dataset's card and metadata.csv, and the templates.
    let res: Vec<&str> = bob["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(res.contains(&"ppi://datasets/bob/default/card"), "{res:?}");
    assert!(
        res.contains(&"ppi://datasets/bob/default/metadata.csv"),
        "{res:?}"
    );
    assert_eq!(bob["templates"].as_array().unwrap().len(), 5);
    assert!(bob["templates"]
        .as_array()
        .unwrap()
        .contains(&json!("ppi://lessons/{lesson_id}/turns")));
    assert!(bob["templates"]
        .as_array()
        .unwrap()
        .contains(&json!("ppi://lessons/{lesson_id}/activity")));
    assert!(
        bob["card"].as_str().unwrap().starts_with("---"),
        "{}",
        bob["card"]
    );
    assert_eq!(bob["csv_mime"], "text/csv");
    assert_eq!(
        bob["csv"].as_str().unwrap().lines().count() as u64,
        items + 1
    );

    // Ingest: from a root; refused outside the roots and from a host not allowed.
    assert_eq!(bob["ingest"]["isError"], false, "{}", bob["ingest"]);
    assert!(bob["ingest"]["structured"]["job"]["id"].is_string());
    assert_eq!(
        bob["ingest_outside"]["structured"]["code"],
        "path-not-allowed"
    );
    assert_eq!(
        bob["ingest_host"]["structured"]["code"],
        "media-host-not-allowed"
    );
    assert_eq!(bob["ingest_both"]["structured"]["code"], "invalid-argument");
    assert_eq!(bob["transcribe"]["isError"], false, "{}", bob["transcribe"]);
    assert_eq!(bob["transcribe"]["structured"]["job"]["kind"], "transcribe");
    assert_eq!(bob["transcribe_cancel"]["isError"], false);
    assert_eq!(
        bob["agreement"]["structured"]["code"],
        "agreement-not-found"
    );
    assert!(
        bob["transcript_error"]
            .as_str()
            .unwrap()
            .contains("not transcribed"),
        "{}",
        bob["transcript_error"]
    );
    assert!(
        bob["turns_error"]
            .as_str()
            .unwrap()
            .contains("not transcribed"),
        "{}",
        bob["turns_error"]
    );
    assert!(
        bob["activity_error"]
            .as_str()
            .unwrap()
            .contains("not transcribed"),
        "{}",
        bob["activity_error"]
    );

    // Cancel: the job ends canceled, whatever state it was in.
    eprintln!("cancelled a build while it was {}", bob["cancel_state"]);
    assert_eq!(bob["cancel"]["isError"], false, "{}", bob["cancel"]);
    let c = &bob["canceled"]["final"]["structured"];
    assert_eq!(c["status"], "canceled", "{c}");
    assert_eq!(bob["scan_bob"]["structured"]["code"], "forbidden");
    assert_eq!(bob["publish_bob"]["structured"]["code"], "forbidden");

    // Carol neither sees nor writes Bob's dataset.
    let carol = &v["carol"];
    assert!(
        carol["resources"].as_array().unwrap().is_empty(),
        "{}",
        carol["resources"]
    );
    assert!(
        carol["read_error"]
            .as_str()
            .unwrap()
            .contains("no resource"),
        "{}",
        carol["read_error"]
    );
    assert_eq!(
        carol["build_into_bob"]["structured"]["code"],
        "dataset-not-found"
    );

    // The admin scans the watched storage and publishes Bob's dataset to the Hub double.
    let admin = &v["admin"];
    let scan = &admin["scan"]["structured"]["sources"][0];
    assert_eq!(scan["available"], true, "{scan}");
    assert!(
        scan["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["lesson"] == "w1"),
        "{scan}"
    );
    assert_eq!(admin["publish"]["isError"], false, "{}", admin["publish"]);
    let p = &admin["published"]["final"]["structured"];
    assert_eq!(p["status"], "succeeded", "{p}");
    assert!(
        p["result"]["publish"]["changed"].as_u64().unwrap() > 0,
        "{p}"
    );
    let res: Vec<&str> = admin["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(res.contains(&"ppi://datasets/bob/default/card"), "{res:?}");
}
