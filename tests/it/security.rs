//! Security on a shared network, against the real `ppi serve`: wrong passwords, refresh tokens
//! and API tokens are throttled per user and client address (429 with a growing
//! `Retry-After`, the right password from elsewhere still works); browser security headers on
//! every kind of response; the audit log records who did what from where, for admins only; and
//! hostile text in the web UI is shown as text under its CSP (headless Chromium).

use std::path::Path;
use std::time::Duration;

use reqwest::blocking::Response;
use serde_json::{json, Value};

use crate::support::server::TestServer;
use crate::support::{lesson_video, scratch};

fn login(srv: &TestServer, user: &str, password: &str, from: &str) -> Response {
    srv.http
        .post(format!("{}/api/auth/login", srv.url))
        .header("X-Forwarded-For", from)
        .json(&json!({"username": user, "password": password}))
        .send()
        .unwrap()
}

fn retry_after(r: &Response) -> Option<u64> {
    r.headers().get("retry-after")?.to_str().ok()?.parse().ok()
}

#[test]
fn guesses_are_throttled_headers_are_set_and_the_audit_log_records_who() {
    let dir = scratch();
    // The test client is the proxy: X-Forwarded-For names the address each request is from.
    let srv = TestServer::start(
        &dir.path().join("data"),
        &[("PPI_TRUSTED_PROXIES", "127.0.0.1")],
        &[],
    );
    srv.add_user("root", "admin", "root-password-1");
    srv.add_user("ann", "DL-user", "ann-password-1");
    let attacker = "203.0.113.5";

    // 30 wrong passwords for ann from one address: refused, then throttled by the 10th.
    let mut statuses = Vec::new();
    let mut first_wait = None;
    for i in 0..30 {
        let r = login(&srv, "ann", &format!("guess-{i}"), attacker);
        let status = r.status().as_u16();
        if status == 429 {
            first_wait.get_or_insert(retry_after(&r));
            let body: Value = r.json().unwrap();
            assert_eq!(body["code"], "auth-throttled", "{body}");
        }
        statuses.push(status);
    }
    let first_429 = statuses.iter().position(|&s| s == 429).unwrap();
    assert!(first_429 < 10, "{statuses:?}");
    assert!(
        statuses[..first_429].iter().all(|&s| s == 401),
        "{statuses:?}"
    );
    assert_eq!(first_wait, Some(Some(1)), "Retry-After on the first 429");
    // The right password from another address works at once; so does another user from the
    // attacker's address.
    assert_eq!(
        login(&srv, "ann", "ann-password-1", "198.51.100.7").status(),
        200
    );
    assert_eq!(
        login(&srv, "root", "root-password-1", attacker).status(),
        200
    );
    // The wait grows: each wrong password after a lock doubles it.
    let mut wait = retry_after(&login(&srv, "ann", "ann-password-1", attacker)).unwrap();
    let mut waits = Vec::new();
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(1000 * wait + 200));
        assert_eq!(login(&srv, "ann", "another-guess", attacker).status(), 401);
        let r = login(&srv, "ann", "ann-password-1", attacker);
        assert_eq!(r.status(), 429, "even the right password waits");
        wait = retry_after(&r).unwrap();
        waits.push(wait);
    }
    assert!(
        waits[0] >= 2 && waits[1] == 2 * waits[0],
        "the wait grows: {waits:?}"
    );

    // API tokens and refresh tokens: the same protection, per address.
    let mut token_statuses = Vec::new();
    for i in 0..25 {
        let r = srv
            .http
            .get(format!("{}/api/me", srv.url))
            .header("X-Forwarded-For", "192.0.2.9")
            .bearer_auth(format!("ppi_{i:040}"))
            .send()
            .unwrap();
        token_statuses.push(r.status().as_u16());
    }
    assert!(token_statuses.contains(&429), "{token_statuses:?}");
    assert_eq!(token_statuses[0], 401);
    let mut refresh_statuses = Vec::new();
    for i in 0..25 {
        let r = srv
            .http
            .post(format!("{}/api/auth/refresh", srv.url))
            .header("X-Forwarded-For", "192.0.2.10")
            .json(&json!({"refresh_token": format!("wrong-{i}")}))
            .send()
            .unwrap();
        refresh_statuses.push(r.status().as_u16());
    }
    assert!(refresh_statuses.contains(&429), "{refresh_statuses:?}");
    let metrics = srv
        .http
        .get(format!("{}/metrics", srv.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for line in [
        "ppi_auth_attempts_total{kind=\"password\",outcome=\"throttled\"}",
        "ppi_auth_attempts_total{kind=\"password\",outcome=\"failure\"}",
        "ppi_auth_attempts_total{kind=\"api_token\",outcome=\"throttled\"}",
        "ppi_auth_attempts_total{kind=\"refresh\",outcome=\"throttled\"}",
    ] {
        assert!(metrics.contains(line), "{line} in /metrics");
    }

    // Security headers on the UI, the API (errors too), media and the ML backend.
    for path in [
        "/",
        "/ui/app.js",
        "/api/me",
        "/files/lessons/x/source.mp4",
        "/ml/health",
    ] {
        let r = srv.http.get(format!("{}{path}", srv.url)).send().unwrap();
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "{path}: plain HTTP"
        );
    }

    // The audit log: a user added and a token issued and revoked by root, through the API.
    let root = srv.token("root", "root-password-1");
    let r = srv
        .http
        .post(format!("{}/api/users", srv.url))
        .bearer_auth(&root)
        .header("X-Forwarded-For", "198.51.100.20")
        .json(&json!({"username": "bea", "password": "bea-password-1", "role": "DL-user"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let issued: Value = srv
        .http
        .post(format!("{}/api/users/bea/tokens", srv.url))
        .bearer_auth(&root)
        .json(&json!({"label": "scripts"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = issued["token"].as_str().unwrap();
    let me: Value = srv.get("/api/me", token).json().unwrap();
    assert_eq!(me["username"], "bea", "the issued token works");
    let id = issued["id"].as_str().unwrap();
    let r = srv
        .http
        .delete(format!("{}/api/tokens/{id}", srv.url))
        .bearer_auth(&root)
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(srv.get("/api/me", token).status(), 401, "revoked");
    let ann = srv.token("ann", "ann-password-1");
    let r = srv.get("/api/audit", &ann);
    assert_eq!(r.status(), 403, "a DL-user may not read the audit log");
    let events: Value = srv.get("/api/audit?limit=500", &root).json().unwrap();
    let events = events["events"].as_array().unwrap();
    let find = |action: &str| -> &Value {
        events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {events:?}"))
    };
    let failed = find("login-failed");
    assert_eq!(
        (&failed["actor"], &failed["address"]),
        (&json!("ann"), &json!(attacker)),
        "{failed}"
    );
    let added = find("user-added");
    assert_eq!(
        (&added["actor"], &added["target"], &added["address"]),
        (&json!("root"), &json!("bea"), &json!("198.51.100.20")),
        "{added}"
    );
    assert_eq!(find("api-token-issued")["actor"], "root");
    let revoked = find("api-token-revoked");
    assert_eq!(
        (&revoked["actor"], &revoked["target"]),
        (&json!("root"), &json!(id))
    );
    assert_eq!(find("login")["actor"], "ann");
    // Users added with the command line are recorded with the command line as the actor.
    assert!(
        events.iter().any(|e| e["action"] == "user-added"
            && e["target"] == "ann"
            && e["actor"].as_str().unwrap().starts_with("cli:")),
        "{events:?}"
    );
    // No password, refresh token or API token is in the log.
    let text = Value::Array(events.clone()).to_string();
    for secret in ["guess-3", "ann-password-1", "root-password-1", token] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    // Append-only through the API: nothing changes or deletes an event.
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::POST,
    ] {
        let r = srv
            .http
            .request(method.clone(), format!("{}/api/audit", srv.url))
            .bearer_auth(&root)
            .send()
            .unwrap();
        assert_eq!(r.status(), 405, "{method} /api/audit");
    }
    // `ppi audit` reads the same log.
    let (code, out, err) =
        crate::support::run(srv.ppi().args(["audit", "--action", "api-token-revoked"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\troot\tapi-token-revoked\t") && out.contains(id),
        "{out}"
    );

    // Hostile text in the web UI: a lesson title with markup, and analytics carrying script.
    let title = "<img src=x onerror=alert(1)>Lesson";
    let video = dir.path().join("lesson.mp4");
    lesson_video(&video);
    let (status, body) = srv.upload(&ann, &video, Some(title));
    assert_eq!(status, 201, "{body}");
    let lesson = body["lesson"]["id"].as_str().unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    crate::support::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e/ui_security.mjs"))
            .args([srv.url.as_str(), "ann", "ann-password-1", lesson, title])
            .arg(shots.join("ui-hostile-text.png")),
    );

    // Retention: events older than PPI_AUDIT_RETENTION_DAYS are dropped when `serve` starts
    // (then daily); younger ones stay.
    let mut srv = srv;
    srv.stop();
    let db = srv.data.join("ppi.db");
    let old_ms = ppi_store::db::now_ms() - 40 * 86_400_000;
    crate::support::python_run(
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"insert into ppi_audit (id, at, actor, action) values ('old', ?, 'root', 'login')\", (int(sys.argv[2]),)); c.commit()",
        &[db.to_str().unwrap(), &old_ms.to_string()],
    );
    let count = |id: &str| {
        crate::support::python_run(
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from ppi_audit where id = ? or ? = \"*\"', (sys.argv[2], sys.argv[2])).fetchone()[0])",
            &[db.to_str().unwrap(), id],
        )
        .trim()
        .parse::<u64>()
        .unwrap()
    };
    let before = count("*");
    assert_eq!(count("old"), 1);
    let srv = TestServer::start(
        &srv.data.clone(),
        &[("PPI_AUDIT_RETENTION_DAYS", "30")],
        &[],
    );
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        count("old") == 0
    });
    assert!(gone, "the 40-day-old event outlived a 30-day retention");
    assert_eq!(count("*"), before - 1, "younger events stay");
    drop(srv);
}
