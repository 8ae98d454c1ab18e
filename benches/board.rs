//! The pipeline board on a 500-lesson project (issue 29): `GET /api/board` (the first page of
//! 50, and all 500 rows) against `GET /api/lessons` on the same lessons (the list the UI had,
//! one table and no pipeline), as an admin and as a `DL-user`; p50 and p99 of 300 calls after
//! 30 of warm-up, on a kept-alive connection to the release server. Then the board page in
//! headless Chromium: from the click on "Pipeline" to the first page of rows shown.
//!
//! Run: `cargo bench --bench board`. Figures: docs/benchmarks.md.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::time::Instant;

use serde_json::Value;

use support::server::TestServer;

const CALLS: usize = 300;
const WARM: usize = 30;
const LESSONS: usize = 500;

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// p50 and p99 of `GET path`, in milliseconds.
fn time(srv: &TestServer, token: &str, path: &str) -> (f64, f64) {
    let mut ms = Vec::with_capacity(CALLS);
    for i in 0..CALLS + WARM {
        let t = Instant::now();
        let r = srv.get(path, token);
        assert_eq!(r.status(), 200, "{path}");
        let _ = r.bytes().unwrap();
        if i >= WARM {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    (percentile(ms.clone(), 0.5), percentile(ms, 0.99))
}

fn main() {
    // `cargo bench` passes --bench; test runners (nextest --all-targets) list or run the
    // binary without it, and there is nothing to test here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = support::scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("root", "admin", "root-password-1");
    let mut owners = Vec::new();
    for n in 0..5 {
        let name = format!("teacher{n}");
        srv.add_user(&name, "DL-user", "teacher-password");
        let t = srv.token(&name, "teacher-password");
        let me: Value = srv.get("/api/me", &t).json().unwrap();
        owners.push((me["id"].as_str().unwrap().to_owned(), name));
    }
    let t = Instant::now();
    support::board::seed(&srv.data, &owners, LESSONS);
    println!(
        "seeded {LESSONS} lessons in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let root = srv.token("root", "root-password-1");
    let teacher = srv.token("teacher0", "teacher-password");
    let all: Value = srv.get("/api/board?limit=500", &root).json().unwrap();
    assert_eq!(all["total"], LESSONS);
    println!("| call | caller | p50 ms | p99 ms |");
    println!("|---|---|---:|---:|");
    let mut p99 = Vec::new();
    for (path, who, token) in [
        ("/api/board", "admin", &root),
        ("/api/board?limit=500", "admin", &root),
        ("/api/board?stage=published", "admin", &root),
        ("/api/board", "DL-user", &teacher),
        ("/api/lessons", "admin", &root),
        ("/api/lessons?limit=500", "admin", &root),
        ("/api/analytics", "admin", &root),
        ("/api/analytics", "DL-user", &teacher),
        ("/api/analytics/kappa.svg", "admin", &root),
        ("/api/analytics/matrix.svg", "admin", &root),
        ("/api/analytics/talk.svg", "admin", &root),
        ("/api/wiring", "admin", &root),
    ] {
        let (a, b) = time(&srv, token, path);
        println!("| `GET {path}` | {who} | {a:.2} | {b:.2} |");
        p99.push((path, b));
    }
    println!(
        "board p99 / lessons p99 (first page, all rows): {:.2}×, {:.2}×",
        p99[0].1 / p99[4].1,
        p99[1].1 / p99[5].1
    );
    let said = support::board::in_chromium(
        "ui_board.mjs",
        &srv,
        ("root", "root-password-1"),
        ("teacher0", "teacher-password"),
        &std::env::temp_dir().join("ppi-board-bench"),
    );
    println!("Chromium: {}", said.trim());
}
