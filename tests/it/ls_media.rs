//! Annotators see the media: in Label Studio's own editor, in headless Chromium, PPI's lesson
//! video, review clip, key frame and audio load and play, on local storage (PPI's signed
//! `/files` URLs) and on S3 (SeaweedFS presigned URLs). The CORS answers are checked at the
//! HTTP level too. Screenshots: `<target tmp>/ui-screenshots/ls-media-{local,s3}-*.png`.

use std::path::Path;

use crate::support::ls::{bootstrap, ppi_env, speech_lesson, start_ppi, wait_for, Ls};
use crate::support::scratch;
use crate::support::services::Service;
use serde_json::{json, Value};

/// The CORS answers a browser needs from a media URL: preflight, then a ranged GET.
fn check_cors(url: &str, origin: &str) {
    let http = reqwest::blocking::Client::new();
    let pre = http
        .request(reqwest::Method::OPTIONS, url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range")
        .send()
        .unwrap();
    assert!(
        pre.status().is_success(),
        "preflight {url}: {}",
        pre.status()
    );
    let h = pre.headers();
    let allow = h["access-control-allow-origin"].to_str().unwrap();
    assert!(allow == "*" || allow == origin, "{allow}");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("range"),
        "{h:?}"
    );
    let got = http
        .get(url)
        .header("Origin", origin)
        .header("Range", "bytes=0-99")
        .send()
        .unwrap();
    assert_eq!(got.status(), 206, "{url}");
    let h = got.headers();
    assert!(h.contains_key("access-control-allow-origin"), "{h:?}");
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["content-range", "accept-ranges", "content-length"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
}

fn media_plays(storage: &str) {
    let s3 = (storage == "s3").then(Service::seaweedfs);
    let svc = Service::label_studio();
    let lsapi = Ls::new(&svc);
    let dir = scratch();
    let video = speech_lesson(dir.path());
    let data = dir.path().join("ppi");
    let mut env = ppi_env(&svc);
    if let Some(s) = &s3 {
        env.extend(s.env.iter().cloned());
        env.push(("PPI_S3_BUCKET".into(), "ppi-media".into()));
    }
    let server = start_ppi(&data, &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    let report = bootstrap(&server, &[]);
    if s3.is_some() {
        assert!(
            report.contains("S3 storage s3://ppi-media")
                && report.contains("CORS on s3://ppi-media for http://127.0.0.1:"),
            "{report}"
        );
        let again = bootstrap(&server, &[]);
        assert!(
            again.contains("existing  CORS on s3://ppi-media"),
            "{again}"
        );
    } else {
        assert!(report.contains("signed media URLs answer CORS"), "{report}");
    }
    let (a, r) = lsapi.ppi_projects();
    let (status, body) = server.upload(&token, &video, Some("Media"));
    assert_eq!(status, 201, "{body}");
    let task = wait_for("the imported task", 120, || {
        lsapi.get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"]
            .as_array()?
            .first()?["id"]
            .as_i64()
    });
    wait_for("the prediction", 240, || {
        lsapi.predictions(task).into_iter().next()
    });
    let origin = lsapi.url.clone();
    if s3.is_none() {
        let lesson = body["lesson"]["id"].as_str().unwrap();
        let v: Value = server
            .get(&format!("/api/lessons/{lesson}"), &token)
            .json()
            .unwrap();
        check_cors(v["urls"]["video"].as_str().unwrap(), &origin);
    }
    lsapi.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [{"id": "q1", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                           "value": {"ranges": [{"start": 1, "end": 100}], "timelinelabels": ["Questioning"]}}]}),
    );
    let review = wait_for("the review task", 180, || {
        lsapi.get(&format!("/api/tasks/?project={r}&page_size=10&fields=all"))["tasks"]
            .as_array()?
            .first()
            .cloned()
    });
    let d = &review["data"];
    assert!(
        d["source_task"].is_i64() && d["source_annotation"].is_i64(),
        "Label Studio ids are integers: {d}"
    );
    for field in ["clip_url", "keyframe_url", "frame_2_url", "audio_url"] {
        check_cors(d[field].as_str().unwrap(), &origin);
    }

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let prefix = shots.join(format!("ls-media-{storage}-"));
    let said = crate::support::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e/ls_media.mjs"))
            .args([
                lsapi.url.as_str(),
                &svc.var("LS_EMAIL"),
                &svc.var("LS_PASSWORD"),
                &a.to_string(),
                &task.to_string(),
                "Questioning",
                &r.to_string(),
                &review["id"].to_string(),
                prefix.to_str().unwrap(),
            ]),
    );
    eprintln!("{storage}: {said}");
    for page in ["annotation", "review", "review-frame", "review-candidates"] {
        let shot = shots.join(format!("ls-media-{storage}-{page}.png"));
        assert!(std::fs::metadata(&shot).unwrap().len() > 20_000, "{shot:?}");
    }
}

#[test]
fn media_plays_in_label_studio_on_local_storage() {
    media_plays("local");
}

#[test]
fn media_plays_in_label_studio_on_s3() {
    media_plays("s3");
}
