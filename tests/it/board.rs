//! The pipeline board (issue 29): `GET /api/board` on a project with lessons at every stage
//! (three annotators planned, two owners), its filters, paging and bad input, a `DL-user`
//! seeing only their own rows; then the page in headless Chromium, whose numbers must equal
//! the API's, with no console error and no failed request. Screenshots land in
//! `<target tmp>/ui-screenshots/` (the ones in docs/ui/ were copied from there).

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::support::board::{in_chromium, project, Project, REVISION, STAGES};
use crate::support::scratch;
use crate::support::server::TestServer;

fn board(srv: &TestServer, token: &str, query: &str) -> Value {
    let r = srv.get(&format!("/api/board{query}"), token);
    assert_eq!(r.status(), 200, "{query}");
    r.json().unwrap()
}

#[test]
fn the_board_shows_each_lesson_at_its_stage_to_whom_it_belongs() {
    let dir = scratch();
    let Project {
        srv,
        root,
        teacher,
        seeded,
        ..
    } = project(dir.path());

    // The admin sees every lesson, each at the stage it was made to reach.
    let all = board(&srv, &root, "?limit=500");
    assert_eq!(all["total"], 16, "{all}");
    let by_id: HashMap<&str, &Value> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    for s in &seeded {
        assert_eq!(
            by_id[s.id.as_str()]["stage"],
            s.stage,
            "{}",
            by_id[s.id.as_str()]
        );
    }
    for c in all["stages"].as_array().unwrap() {
        assert_eq!(c["count"], 2, "{c}");
    }
    assert_eq!(all["dataset"]["revision"], REVISION);
    let first_at = |stage: &str| -> &Value {
        all["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["stage"] == stage)
            .unwrap()
    };
    let published = first_at("published");
    assert_eq!(published["approved"], 2);
    assert_eq!(published["rejected"], 1);
    assert_eq!(published["annotations"], 3);
    assert_eq!(published["planned"], 3);
    assert_eq!(published["passed"], true);
    assert!(published["links"]["agreement"]
        .as_str()
        .unwrap()
        .starts_with("/api/ls/agreement?task="));
    let in_ls = first_at("in-ls");
    assert_eq!(in_ls["annotations"], 1, "{in_ls}");
    assert!(
        in_ls["kappa"].is_null() && in_ls["passed"].is_null(),
        "{in_ls}"
    );
    let annotated = first_at("annotated");
    assert_eq!(annotated["passed"], false, "{annotated}");

    // Filters and paging.
    for stage in STAGES {
        let only = board(&srv, &root, &format!("?stage={stage}"));
        assert_eq!(only["total"], 2, "{stage}");
        assert!(only["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["stage"] == stage));
    }
    let mine = board(&srv, &root, "?owner=other");
    assert_eq!(mine["total"], 8);
    let page = board(&srv, &root, "?offset=5&limit=5");
    assert_eq!(page["rows"].as_array().unwrap().len(), 5);
    assert_eq!(page["rows"][0]["id"], all["rows"][5]["id"]);

    // A DL-user sees only their own lessons, whatever owner they ask for.
    let own = board(&srv, &teacher, "?limit=500&owner=other");
    assert_eq!(own["total"], 0);
    let own = board(&srv, &teacher, "?limit=500");
    assert_eq!(own["total"], 8);
    assert!(own["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["owner"] == "teacher"));
    assert_eq!(own["owners"], serde_json::json!(["teacher"]));

    // Bad input: a clear 400 with {code, message}.
    let r = srv.get("/api/board?stage=done", &root);
    assert_eq!(r.status(), 400);
    let e: Value = r.json().unwrap();
    assert_eq!(e["code"], "bad-stage", "{e}");
    assert!(e["message"].as_str().unwrap().contains("stage"), "{e}");
    let r = srv.get("/api/board?colour=red", &root);
    assert_eq!(r.status(), 400);
    assert!(
        srv.http
            .get(format!("{}/api/board", srv.url))
            .send()
            .unwrap()
            .status()
            == 401
    );

    // The page in Chromium.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let said = in_chromium(
        "ui_board.mjs",
        &srv,
        ("root", "root-password-1"),
        ("teacher", "teacher-password"),
        &shots,
    );
    eprintln!("{said}");
    for name in ["board.png", "board-teacher.png"] {
        assert!(
            std::fs::metadata(shots.join(name)).unwrap().len() > 10_000,
            "{name}"
        );
    }
}
