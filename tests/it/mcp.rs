//! The MCP server with the official Python `mcp` client (in the test venv), over streamable
//! HTTP at `/mcp` and over stdio (`ppi mcp`): the tools and their schemas, a DL-user's own
//! lesson and job, another user's lesson refused as missing, cancellation, coded errors as
//! `isError` results; unauthenticated and wrong-Host requests refused before MCP; the
//! Inspector's CLI lists the tools; the session closes cleanly (204). The long tools are in
//! `mcp_jobs.rs`.

use std::path::Path;
use std::process::Command;

use crate::mcp_jobs::one_lesson_export;
use crate::support::server::TestServer;
use crate::support::{fixture, lesson_video, python, scratch};
use serde_json::{json, Value};

fn client(
    mode: &str,
    target: &str,
    token: &str,
    lesson: &str,
    other: &str,
    srv: &TestServer,
    build: Option<(&Path, &Path)>,
) -> Value {
    let script = ppi_testkit::workspace_root().join("tests/mcp/client.py");
    let mut c = Command::new(python());
    c.arg(script).args([mode, target, token, lesson, other]);
    if let Some((video, export)) = build {
        c.arg(video).arg(export);
        let root = video.parent().unwrap();
        c.env("PPI_MCP_ROOTS", root)
            .env("PPI_PATTERNS", fixture("patterns.xlsx"));
    }
    c.env("PPI_DATA_DIR", &srv.data)
        .env("PPI_JWT_SECRET", crate::support::server::JWT_SECRET);
    let out = c.output().expect("python");
    assert!(
        out.status.success(),
        "client.py {mode}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The session closes cleanly: the client's DELETE is answered 204, not 202 (which the
    // official client logs as "Session termination failed: 202").
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("Session termination failed") && !stderr.contains("WARNING"),
        "client.py {mode} warned on stderr:\n{stderr}"
    );
    serde_json::from_slice(&out.stdout).expect("client.py prints JSON")
}

fn check(v: &Value, lesson: &str) {
    let tools = v["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for want in [
        "list_lessons",
        "lesson_status",
        "job_status",
        "cancel_job",
        "hub_status",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let schema = |name: &str| &tools.iter().find(|t| t["name"] == name).unwrap()["inputSchema"];
    assert_eq!(schema("lesson_status")["type"], "object");
    assert_eq!(schema("lesson_status")["required"], json!(["lesson_id"]));
    assert_eq!(
        schema("lesson_status")["properties"]["lesson_id"]["type"],
        "string"
    );
    assert_eq!(schema("job_status")["required"], json!(["job_id"]));
    assert!(schema("list_lessons")["properties"]["limit"].is_object());
    let ro = &tools.iter().find(|t| t["name"] == "list_lessons").unwrap()["annotations"];
    assert_eq!(ro["readOnlyHint"], true, "{ro}");

    // Bob sees his lesson, and only his.
    assert_eq!(v["list"]["isError"], false);
    let lessons = v["list"]["structured"]["lessons"].as_array().unwrap();
    assert_eq!(lessons.len(), 1, "{lessons:?}");
    assert_eq!(lessons[0]["id"], lesson);
    assert_eq!(v["status"]["structured"]["lesson"]["id"], lesson);
    assert_eq!(v["other"]["isError"], true);
    assert_eq!(v["other"]["structured"]["code"], "lesson-not-found");
    assert_eq!(v["job"]["isError"], false);
    assert!(v["job"]["structured"]["status"].is_string());
    assert_eq!(v["cancel"]["isError"], false);
    assert_eq!(v["unknown_job"]["isError"], true);
    assert_eq!(v["unknown_job"]["structured"]["code"], "job-not-found");
}

#[test]
fn python_mcp_client_over_http_and_stdio() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("admin", "admin", "admin-password");
    srv.add_user("bob", "DL-user", "bob-password");
    srv.add_user("carol", "DL-user", "carol-password");
    let video = dir.path().join("lesson.mp4");
    lesson_video(&video);
    let export = dir.path().join("lesson.json");
    std::fs::write(&export, one_lesson_export()).unwrap();
    let bob = srv.token("bob", "bob-password");
    let carol = srv.token("carol", "carol-password");
    let (status, body) = srv.upload(&bob, &video, Some("Bob's lesson"));
    assert_eq!(status, 201, "{body}");
    let lesson = body["lesson"]["id"].as_str().unwrap().to_owned();
    srv.wait_lesson(&bob, &lesson);
    let (_, other) = srv.upload(&carol, &video, Some("Carol's lesson"));
    let other = other["lesson"]["id"].as_str().unwrap().to_owned();

    let http = client(
        "http",
        &format!("{}/mcp", srv.url),
        &bob,
        &lesson,
        &other,
        &srv,
        None,
    );
    check(&http, &lesson);
    // A service account's API token (long-lived, `ppi users token`) works like a login.
    let (code, api, stderr) =
        crate::support::run(srv.ppi().args(["users", "token", "bob", "--label", "mcp"]));
    assert_eq!(code, 0, "{stderr}");
    let api = api.trim().to_owned();
    assert!(api.starts_with("ppi_"), "{api}");
    let stdio = client(
        "stdio",
        env!("CARGO_BIN_EXE_ppi"),
        &api,
        &lesson,
        &other,
        &srv,
        Some((&video, &export)),
    );
    check(&stdio, &lesson);
    // A build over stdio, followed to its end with progress (run by a worker of the shared
    // database: `ppi mcp`'s own or the server's).
    assert_eq!(stdio["build"]["isError"], false, "{}", stdio["build"]);
    let built = &stdio["built"]["structured"];
    assert_eq!(built["status"], "succeeded", "{built}");
    assert!(
        built["result"]["build"]["items"].as_u64().unwrap() > 0,
        "{built}"
    );
    assert!(!stdio["progress"].as_array().unwrap().is_empty());

    // The Inspector's CLI (npm @modelcontextprotocol/inspector, installed by setup with the
    // browser-test driver) lists the same tools.
    let root = ppi_testkit::workspace_root();
    let out = Command::new(root.join("tests/e2e/node_modules/.bin/mcp-inspector"))
        .args(["--cli", &format!("{}/mcp", srv.url), "--transport", "http"])
        .args(["--method", "tools/list", "--header"])
        .arg(format!("Authorization: Bearer {bob}"))
        .env("MCP_CATALOG_PATH", dir.path().join("inspector.json"))
        .output()
        .expect("the Inspector CLI (scripts/setup.sh installs it)");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "inspector: {listed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_str(&listed).expect("the Inspector prints JSON");
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"lesson_status") && names.contains(&"cancel_job"),
        "{names:?}"
    );

    // Before MCP: no token, a wrong one, a foreign Host.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}});
    let post = |auth: Option<&str>, host: Option<&str>| {
        let mut r = srv
            .http
            .post(format!("{}/mcp", srv.url))
            .header("accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        if let Some(h) = host {
            r = r.header("host", h);
        }
        r.send().unwrap()
    };
    let r = post(None, None);
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap()["code"], "auth-missing");
    assert_eq!(post(Some("forged"), None).status(), 401);
    assert_eq!(
        post(Some(&bob), Some("evil.example")).status().as_u16() / 100,
        4
    );
    assert_eq!(post(Some(&bob), None).status(), 200);
    assert_eq!(post(Some(&api), None).status(), 200);
    let (_, list, _) = crate::support::run(srv.ppi().args(["users", "tokens"]));
    let id = list.split('\t').next().unwrap().to_owned();
    let (code, _, stderr) = crate::support::run(srv.ppi().args(["users", "revoke-token", &id]));
    assert_eq!(code, 0, "{stderr}");
    let r = post(Some(&api), None);
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap()["code"], "auth-invalid");
    let (code, _, stderr) = crate::support::run(srv.ppi().args(["users", "revoke-token", &id]));
    assert_eq!(code, 2, "{stderr}");

    // stdio without a token: exit 2, named.
    let (code, _, stderr) = crate::support::run(srv.ppi().arg("mcp").env_remove("PPI_TOKEN"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("PPI_TOKEN"), "{stderr}");
}
