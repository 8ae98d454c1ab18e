//! The service under crashes and bad requests: a job whose worker was killed is delivered
//! again within 10 s and finishes once; a crash's scratch is removed at the next start;
//! SIGTERM answers within 2 s and hands the running job back to the queue; every HTTP error,
//! the framework's own included, is `{code, message}` JSON (snapshot-tested).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::scratch;
use crate::support::server::TestServer;
use serde_json::Value;

/// A lesson whose audio takes a few seconds to extract: 40 minutes of sound under a tiny
/// picture.
fn long_lesson(path: &Path) {
    let d = 1800;
    crate::support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("color=c=gray:s=64x48:r=1:d={d}"),
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=300:sample_rate=8000:duration={d}"),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "240",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "16k",
        "-shortest",
        path.to_str().unwrap(),
    ]);
}

fn job(srv: &TestServer, token: &str, id: &str) -> Value {
    srv.get(&format!("/api/jobs/{id}"), token).json().unwrap()
}

fn wait_status(srv: &TestServer, token: &str, id: &str, want: &[&str], secs: u64) -> Value {
    let t0 = Instant::now();
    loop {
        let j = job(srv, token, id);
        if want.iter().any(|w| j["status"] == *w) {
            return j;
        }
        assert!(t0.elapsed() < Duration::from_secs(secs), "{j}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tmp_entries(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("tmp"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_killed_workers_job_is_delivered_again_within_ten_seconds_and_runs_once() {
    let dir = scratch();
    let data = dir.path().join("data");
    let video = dir.path().join("long.mp4");
    long_lesson(&video);
    let srv = TestServer::start(&data, &[], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let (status, body) = srv.upload(&token, &video, None);
    assert_eq!(status, 201, "{body}");
    let id = body["job"]["id"].as_str().unwrap().to_owned();
    wait_status(&srv, &token, &id, &["running"], 30);
    std::thread::sleep(Duration::from_millis(300));
    // kill -9: no goodbye to the queue.
    let killed = Instant::now();
    drop(srv);
    assert!(
        tmp_entries(&data).iter().any(|n| n.starts_with("job-")),
        "the crash left its scratch: {:?}",
        tmp_entries(&data)
    );
    std::fs::write(data.join("tmp/upload-01LEFTOVER.part"), b"half an upload").unwrap();

    let srv = TestServer::start(&data, &[], &[]);
    let token = srv.token("ann", "ann-password");
    let t0 = Instant::now();
    let running_again = loop {
        let j = job(&srv, &token, &id);
        if j["attempts"].as_i64() >= Some(2) {
            break killed.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "not delivered again: {j}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "re-delivered {:.1} s after the kill",
        running_again.as_secs_f64()
    );
    assert!(
        running_again < Duration::from_millis(10_500),
        "{running_again:?}"
    );
    let done = wait_status(&srv, &token, &id, &["succeeded", "failed"], 120);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        done["attempts"], 2,
        "the killed attempt and one more: {done}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(job(&srv, &token, &id)["attempts"], 2, "and never again");
    assert!(
        tmp_entries(&data).is_empty(),
        "scratch cleaned: {:?}",
        tmp_entries(&data)
    );
}

#[test]
fn sigterm_answers_within_two_seconds_and_the_job_goes_back_to_the_queue() {
    let dir = scratch();
    let data = dir.path().join("data");
    let video = dir.path().join("long.mp4");
    long_lesson(&video);
    let mut srv = TestServer::start(&data, &[], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let (_, body) = srv.upload(&token, &video, None);
    let id = body["job"]["id"].as_str().unwrap().to_owned();
    wait_status(&srv, &token, &id, &["running"], 30);
    let t0 = Instant::now();
    srv.stop();
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?}");

    let srv = TestServer::start(&data, &[], &["--no-worker"]);
    let token = srv.token("ann", "ann-password");
    assert_eq!(job(&srv, &token, &id)["status"], "queued");
    drop(srv);
    let srv = TestServer::start(&data, &[], &[]);
    let token = srv.token("ann", "ann-password");
    let done = wait_status(&srv, &token, &id, &["succeeded", "failed"], 120);
    assert_eq!(done["status"], "succeeded", "{done}");
}

/// A request: what it tries, method, path, content type, body, and extra headers (`auth`
/// stands for the admin's bearer token).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    &'static [(&'static str, &'static str)],
);

const AUTH: &[(&str, &str)] = &[("auth", "")];
const SECRET: &[(&str, &str)] = &[(
    "X-PPI-Webhook-Secret",
    "s3cr3t-0123456789-0123456789-0123456789",
)];

/// Each case → its answer, one line each.
fn error_table(srv: &TestServer, token: &str) -> String {
    let http = reqwest::blocking::Client::new();
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "POST",
            "/api/auth/login",
            Some("application/json"),
            b"{".to_vec(),
            &[],
        ),
        (
            "a field of the wrong type",
            "POST",
            "/api/auth/login",
            Some("application/json"),
            br#"{"username": 1, "password": "x"}"#.to_vec(),
            &[],
        ),
        (
            "the wrong content type",
            "POST",
            "/api/auth/login",
            Some("text/plain"),
            b"hello".to_vec(),
            &[],
        ),
        ("no body", "POST", "/api/auth/login", None, Vec::new(), &[]),
        (
            "an upload that is not multipart",
            "POST",
            "/api/lessons",
            Some("application/json"),
            b"{}".to_vec(),
            AUTH,
        ),
        (
            "an expiry that overflows",
            "GET",
            "/files/lessons/x/source.mp4?exp=99999999999999999999999&sig=ab",
            None,
            Vec::new(),
            &[],
        ),
        (
            "a query value of the wrong type",
            "GET",
            "/api/jobs?limit=ten",
            None,
            Vec::new(),
            AUTH,
        ),
        (
            "an unknown query field",
            "GET",
            "/api/jobs?colour=red",
            None,
            Vec::new(),
            AUTH,
        ),
        (
            "an unknown route",
            "GET",
            "/no/such/route",
            None,
            Vec::new(),
            &[],
        ),
        (
            "a method a route lacks",
            "DELETE",
            "/health",
            None,
            Vec::new(),
            &[],
        ),
        ("another", "PUT", "/api/lessons", None, Vec::new(), AUTH),
        (
            "a webhook that is not JSON",
            "POST",
            "/ml/webhook",
            Some("application/json"),
            b"{not json".to_vec(),
            SECRET,
        ),
        (
            "a webhook without the secret",
            "POST",
            "/ml/webhook",
            Some("application/json"),
            b"{}".to_vec(),
            &[],
        ),
    ];
    let mut out = String::new();
    for (what, method, path, ct, body, headers) in cases {
        let mut r = http.request(method.parse().unwrap(), format!("{}{path}", srv.url));
        if let Some(ct) = ct {
            r = r.header("Content-Type", ct);
        }
        for (k, v) in headers {
            r = match *k {
                "auth" => r.bearer_auth(token),
                _ => r.header(*k, *v),
            };
        }
        let resp = r.body(body).send().unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let v: Value = resp.json().unwrap_or(Value::Null);
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        assert!(
            v["code"].is_string() && v["message"].is_string(),
            "{method} {path}: {v}"
        );
        out.push_str(&format!("{what}: {method} {path} -> {status} {v}\n"));
    }
    out
}

#[test]
fn every_http_error_is_coded_json() {
    let dir = scratch();
    let srv = TestServer::start(
        dir.path(),
        &[(
            "PPI_LS_WEBHOOK_SECRET",
            "s3cr3t-0123456789-0123456789-0123456789",
        )],
        &[],
    );
    srv.add_user("root", "admin", "root-password-1");
    let token = srv.token("root", "root-password-1");
    let table = error_table(&srv, &token);
    let snap = ppi_testkit::workspace_root().join("tests/snapshots/http_errors.txt");
    if std::env::var_os("PPI_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, &table).unwrap();
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with PPI_UPDATE_SNAPSHOTS=1",
            snap.display()
        )
    });
    assert_eq!(
        table, want,
        "error bodies changed (PPI_UPDATE_SNAPSHOTS=1 rewrites the snapshot)"
    );

    // An over-limit body on /ml is read to its end, then answered: no broken pipe.
    let big = vec![b' '; (64 << 20) + 1024];
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/ml/webhook", srv.url))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .expect("the answer, not a broken pipe");
    assert_eq!(r.status(), 413);
    let v: Value = r.json().unwrap();
    assert_eq!(v["code"], "body-too-large", "{v}");
}
