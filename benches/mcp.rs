//! MCP `tools/call` against the same call over the REST API, on one running release server:
//! `job_status` vs `GET /api/jobs/{id}` and `list_lessons` vs `GET /api/lessons`, each on a
//! kept-alive connection, raw HTTP (the server's own overhead: JSON-RPC framing, the session,
//! SSE answers), then with the official Python `mcp` client against `httpx` (what a Python
//! agent sees). Medians of 300 calls after 30 of warm-up.
//!
//! Run: `cargo bench --bench mcp`. Figures: docs/benchmarks.md.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::time::Instant;

use reqwest::blocking::Client;
use serde_json::{json, Value};

const CALLS: usize = 300;
const WARM: usize = 30;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The JSON-RPC answer in a streamable-HTTP response (plain JSON or an SSE `data:` line).
fn answer(body: &str) -> Value {
    if let Ok(v) = serde_json::from_str(body) {
        return v;
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("id").is_some())
        .unwrap_or_else(|| panic!("no JSON-RPC answer in {body:?}"))
}

struct Mcp<'a> {
    http: &'a Client,
    url: String,
    token: String,
    session: String,
    next: i64,
}

impl<'a> Mcp<'a> {
    fn open(http: &'a Client, url: String, token: &str) -> Mcp<'a> {
        let r = http
            .post(&url)
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"}}}),
            )
            .send()
            .unwrap();
        let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        answer(&r.text().unwrap());
        let mut m = Mcp {
            http,
            url,
            token: token.to_owned(),
            session,
            next: 1,
        };
        m.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        m
    }

    fn post(&mut self, body: Value) -> String {
        self.http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.session)
            .header("mcp-protocol-version", "2025-06-18")
            .json(&body)
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    fn call(&mut self, tool: &str, args: Value) -> Value {
        self.next += 1;
        let body = json!({"jsonrpc": "2.0", "id": self.next, "method": "tools/call",
                          "params": {"name": tool, "arguments": args}});
        let v = answer(&self.post(body));
        assert_eq!(v["result"]["isError"], false, "{v}");
        v
    }
}

fn timed(mut f: impl FnMut()) -> f64 {
    for _ in 0..WARM {
        f();
    }
    median(
        (0..CALLS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

const PY: &str = r#"
import asyncio, json, sys, time, statistics
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
url, token, job, calls, warm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
async def timed(f):
    for _ in range(warm):
        await f()
    out = []
    for _ in range(calls):
        t = time.perf_counter(); await f(); out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
async def main():
    h = {"Authorization": f"Bearer {token}"}
    http = httpx2.AsyncClient(headers=h, timeout=60)
    async with Client(streamable_http_client(url + "/mcp", http_client=http)) as c:
        mcp = await timed(lambda: c.call_tool("job_status", {"job_id": job}))
    async with httpx2.AsyncClient(headers=h, timeout=60) as r:
        async def rest():
            x = await r.get(f"{url}/api/jobs/{job}"); x.raise_for_status(); x.json()
        rest_ms = await timed(rest)
    print(json.dumps({"mcp": mcp, "rest": rest_ms}))
asyncio.run(main())
"#;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = support::server::TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("bob", "DL-user", "bob-password");
    let token = srv.token("bob", "bob-password");
    let video = dir.path().join("lesson.mp4");
    support::lesson_video(&video);
    let (_, body) = srv.upload(&token, &video, Some("bench"));
    let lesson = body["lesson"]["id"].as_str().unwrap().to_owned();
    let done = srv.wait_lesson(&token, &lesson);
    let job = done["job"]["id"].as_str().unwrap().to_owned();

    let http = Client::builder().pool_max_idle_per_host(4).build().unwrap();
    let mut mcp = Mcp::open(&http, format!("{}/mcp", srv.url), &token);
    let rest = |path: String| {
        let http = &http;
        let (url, token) = (srv.url.clone(), token.clone());
        move || {
            let r = http
                .get(format!("{url}{path}"))
                .bearer_auth(&token)
                .send()
                .unwrap();
            assert!(r.status().is_success());
            std::hint::black_box(r.json::<Value>().unwrap());
        }
    };
    let rest_job = timed(rest(format!("/api/jobs/{job}")));
    let mcp_job = timed(|| {
        std::hint::black_box(mcp.call("job_status", json!({"job_id": job})));
    });
    let rest_list = timed(rest("/api/lessons".into()));
    let mcp_list = timed(|| {
        std::hint::black_box(mcp.call("list_lessons", json!({})));
    });
    println!("raw HTTP, median of {CALLS} (ms):");
    println!(
        "  job_status    REST {rest_job:.3}  MCP {mcp_job:.3}  ratio {:.2}×  overhead {:.3} ms",
        mcp_job / rest_job,
        mcp_job - rest_job
    );
    println!(
        "  list_lessons  REST {rest_list:.3}  MCP {mcp_list:.3}  ratio {:.2}×  overhead {:.3} ms",
        mcp_list / rest_list,
        mcp_list - rest_list
    );
    let out = std::process::Command::new(support::python())
        .args(["-c", PY, &srv.url, &token, &job])
        .args([CALLS.to_string(), WARM.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (m, r) = (py["mcp"].as_f64().unwrap(), py["rest"].as_f64().unwrap());
    println!(
        "Python clients (mcp 2.3.0 / httpx), job_status: REST {r:.3}  MCP {m:.3}  ratio {:.2}×",
        m / r
    );
}
