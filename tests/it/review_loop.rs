//! The whole loop through public APIs, with a real Label Studio, SeaweedFS (S3) and the Hub
//! double: upload a lesson with speech, see predictions, annotate three intervals, see three
//! review tasks with playable URLs, change the annotation (exactly the affected review tasks
//! change), approve two and reject one, and find a two-row dataset published and loadable.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::hub::HubDouble;
use crate::support::ls::{bootstrap, ppi_env, speech_lesson, start_ppi, wait_for, Ls};
use crate::support::services::Service;
use crate::support::{python, scratch};
use serde_json::{json, Value};

fn region(id: &str, start: u64, end: u64, label: &str) -> Value {
    json!({"id": id, "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
           "value": {"ranges": [{"start": start, "end": end}], "timelinelabels": [label]}})
}

/// Review tasks by item id.
fn review_tasks(ls: &Ls, project: i64) -> BTreeMap<String, Value> {
    ls.get_retrying(&format!(
        "/api/tasks/?project={project}&page_size=100&fields=all"
    ))["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t["data"]["item_id"].is_string())
        .map(|t| (t["data"]["item_id"].as_str().unwrap().to_owned(), t))
        .collect()
}

#[test]
fn annotate_review_assemble_publish() {
    let s3 = Service::seaweedfs();
    let svc = Service::label_studio();
    let hub = HubDouble::start();
    let ls = Ls::new(&svc);
    let dir = scratch();
    let video = speech_lesson(dir.path());
    let data = dir.path().join("ppi");
    let mut env = ppi_env(&svc);
    env.extend(s3.env.iter().cloned());
    env.extend(
        [
            ("PPI_S3_BUCKET", "ppi-review"),
            ("HF_ENDPOINT", hub.url.as_str()),
            ("HF_TOKEN", "hf_review_token"),
            ("HF_USERNAME", "testorg"),
            ("DATASET_NAME", "classroom-patterns"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let server = start_ppi(&data, &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    let report = bootstrap(&server, &["--s3", "--crop"]);
    assert!(report.contains("S3 storage s3://ppi-review"), "{report}");
    let (a, r) = ls.ppi_projects();

    // 1-2. Upload; the prediction arrives.
    let (status, body) = server.upload(&token, &video, Some("Questions"));
    assert_eq!(status, 201, "{body}");
    let task = wait_for("the imported task", 120, || {
        ls.get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"]
            .as_array()?
            .first()?["id"]
            .as_i64()
    });
    wait_for("the prediction", 240, || {
        ls.predictions(task).into_iter().next()
    });

    // 3-4. Three intervals → three review tasks whose URLs play the staged files.
    let ann = ls.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [region("r1", 1, 100, "Questioning"), region("r2", 151, 200, "Lecture"),
                          region("r3", 226, 300, "GroupWork")]}),
    );
    let first = wait_for("three review tasks", 180, || {
        let t = review_tasks(&ls, r);
        (t.len() == 3).then_some(t)
    });
    let stage = data.join(format!("review/task-{task}/dataset"));
    for (item, t) in &first {
        let clip = reqwest::blocking::get(t["data"]["clip_url"].as_str().unwrap()).unwrap();
        assert_eq!(clip.status(), 200);
        let staged = std::fs::read(stage.join(format!("videos/{item}.mp4"))).unwrap();
        assert_eq!(clip.bytes().unwrap().as_ref(), staged.as_slice(), "{item}");
        let key = reqwest::blocking::get(t["data"]["keyframe_url"].as_str().unwrap()).unwrap();
        assert_eq!(key.status(), 200);
        assert_eq!(&key.bytes().unwrap()[..2], &[0xff, 0xd8], "a JPEG");
        assert!(t["data"]["description"].as_str().unwrap().len() > 10);
        // Three frames to choose from: the key frame, then two other candidates.
        assert_eq!(t["data"]["frame_1_url"], t["data"]["keyframe_url"]);
        let (s, e) = (
            t["data"]["start_s"].as_f64().unwrap(),
            t["data"]["end_s"].as_f64().unwrap(),
        );
        let f1 = t["data"]["frame_1_s"].as_f64().unwrap();
        assert!(s <= f1 && f1 <= e, "{item}: {f1} outside {s}-{e}");
        for k in 2..=3 {
            let f = reqwest::blocking::get(t["data"][format!("frame_{k}_url")].as_str().unwrap())
                .unwrap();
            assert_eq!(f.status(), 200, "{item} frame {k}");
            assert_eq!(&f.bytes().unwrap()[..2], &[0xff, 0xd8], "a JPEG");
            assert!(t["data"][format!("frame_{k}_s")].is_number(), "{item}");
        }
    }

    // An update changes exactly the affected review tasks.
    let ann_id = ann["id"].as_i64().unwrap();
    ls.call(
        reqwest::Method::PATCH,
        &format!("/api/annotations/{ann_id}/"),
        Some(json!({"result": [region("r1", 1, 100, "Questioning"), region("r2", 151, 200, "Demonstration"),
                               region("r4", 301, 380, "Lecture")]})),
    );
    // The job creates, updates and deletes one task each: wait for all three, not for the
    // first moment the count is back to three.
    let second = wait_for("the updated review tasks", 180, || {
        let t = review_tasks(&ls, r);
        let has = |suffix: &str| t.keys().any(|k| k.ends_with(suffix));
        (t.len() == 3
            && t.values().any(|x| x["data"]["pattern"] == "Demonstration")
            && has("_000301-000380")
            && !has("_000226-000300"))
        .then_some(t)
    });
    let by_range = |m: &BTreeMap<String, Value>, suffix: &str| {
        m.iter()
            .find(|(k, _)| k.ends_with(suffix))
            .map(|(_, v)| v.clone())
    };
    let (r1a, r1b) = (
        by_range(&first, "_000001-000100").unwrap(),
        by_range(&second, "_000001-000100").unwrap(),
    );
    assert_eq!(r1a["id"], r1b["id"], "untouched interval keeps its task");
    assert_eq!(r1a["data"], r1b["data"], "and its data");
    let (r2a, r2b) = (
        by_range(&first, "_000151-000200").unwrap(),
        by_range(&second, "_000151-000200").unwrap(),
    );
    assert_eq!(r2a["id"], r2b["id"], "changed interval: same task, updated");
    assert_eq!(r2b["data"]["pattern"], "Demonstration");
    assert!(
        by_range(&second, "_000226-000300").is_none(),
        "removed interval's task deleted"
    );
    assert!(
        by_range(&second, "_000301-000380").is_some(),
        "new interval's task created"
    );

    // A review of a task PPI did not create is ignored.
    let stray = ls.post(&format!("/api/projects/{r}/import?return_task_ids=true"),
        json!([{"data": {"clip_url": "http://example.invalid/x.mp4", "keyframe_url": "http://example.invalid/x.jpg", "audio_url": "",
                         "frame_1_url": "http://example.invalid/x.jpg", "frame_2_url": "http://example.invalid/x.jpg",
                         "frame_3_url": "http://example.invalid/x.jpg", "frame_1_s": 1, "frame_2_s": 2, "frame_3_s": 3,
                         "pattern": "x", "description": "x", "transcript": "x"}}]))["task_ids"][0].as_i64().unwrap();
    let verdict = |v: &str| {
        json!({"result": [{"id": "v", "from_name": "verdict", "to_name": "clip",
                                               "type": "choices", "value": {"choices": [v]}}]})
    };
    ls.post(
        &format!("/api/tasks/{stray}/annotations/"),
        verdict("Approve"),
    );

    // 5-6. Approve two, reject one: a two-row dataset on the Hub.
    for (suffix, v) in [
        ("_000001-000100", "Approve"),
        ("_000151-000200", "Approve"),
        ("_000301-000380", "Reject"),
    ] {
        let t = by_range(&second, suffix).unwrap()["id"].as_i64().unwrap();
        let mut body = verdict(v);
        if suffix == "_000001-000100" {
            // The reviewer prefers the second candidate frame.
            body["result"].as_array_mut().unwrap().push(json!({
                "id": "k", "from_name": "key_frame", "to_name": "keyframe", "type": "choices",
                "value": {"choices": ["Frame 2"]}}));
        }
        if suffix == "_000151-000200" {
            // The reviewer corrects the crop box on the key frame: the left half, top half.
            body["result"].as_array_mut().unwrap().push(json!({
                "id": "c", "from_name": "crop", "to_name": "keyframe", "type": "rectanglelabels",
                "original_width": 160, "original_height": 120,
                "value": {"x": 0, "y": 0, "width": 50, "height": 50, "rotation": 0, "rectanglelabels": ["Crop"]}}));
        }
        ls.post(&format!("/api/tasks/{t}/annotations/"), body);
    }
    let files = wait_for("the published dataset", 180, || {
        let f = hub.files("testorg/classroom-patterns");
        f.contains_key("data/train-00000-of-00001.parquet")
            .then_some(f)
    });
    let csv = String::from_utf8(files["metadata.csv"].bytes.clone()).unwrap();
    assert_eq!(csv.lines().count(), 3, "header and two rows:\n{csv}");
    // The reviewer's frame choice is the dataset's key frame.
    let picked = by_range(&second, "_000001-000100").unwrap()["data"]["frame_2_s"]
        .as_f64()
        .unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let head = rows.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let row = rows
        .records()
        .map(|r| r.unwrap())
        .find(|r| r[col("id")].ends_with("_000001-000100"))
        .unwrap();
    assert_eq!(&row[col("key_frame_method")], "reviewer", "{csv}");
    let t: f64 = row[col("keyframe_time")].parse().unwrap();
    assert!(
        (t - picked).abs() < 0.041,
        "key frame at {t}, picked {picked}"
    );
    assert!(
        csv.contains("Questioning") && csv.contains("Demonstration") && !csv.contains("Lecture"),
        "{csv}"
    );
    assert!(
        files.keys().filter(|k| k.starts_with("videos/")).count() == 2,
        "{:?}",
        files.keys()
    );

    let cropped: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("images_cropped/"))
        .collect();
    assert_eq!(cropped.len(), 1, "{:?}", files.keys());
    let jpg = dir.path().join("crop.jpg");
    std::fs::write(&jpg, &files[cropped[0]].bytes).unwrap();
    assert_eq!(
        (
            crate::support::ffprobe(&jpg, "v:0", "width"),
            crate::support::ffprobe(&jpg, "v:0", "height")
        ),
        ("80".to_owned(), "60".to_owned()),
        "the reviewer's box: half of 160x120"
    );

    // Forced re-assembly (API and CLI) is incremental: nothing copied, nothing sent again.
    let lesson = body["lesson"]["id"].as_str().unwrap();
    let resp = server
        .http
        .post(format!("{}/api/lessons/{lesson}/assemble", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 202);
    let job = resp.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the forced assembly", 60, || {
        let j: Value = server
            .get(&format!("/api/jobs/{job}"), &token)
            .json()
            .ok()?;
        (j["status"] == "succeeded").then_some(())
    });
    let out = server.ppi().args(["dataset", "assemble"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("2 item(s), 0 copied, 0 removed, published to testorg/classroom-patterns (0 file(s) sent)"), "{err}");

    // A second lesson (another user's upload) joins the same dataset.
    server.add_user("bob", "DL-user", "bob-password-1");
    let bob = server.token("bob", "bob-password-1");
    let (status, body2) = server.upload(&bob, &video, Some("Questions again"));
    assert_eq!(status, 201, "{body2}");
    let task2 = wait_for("the second task", 120, || {
        ls.get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"]
            .as_array()?
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .find(|id| *id != task)
    });
    wait_for("the second prediction", 240, || {
        ls.predictions(task2).into_iter().next()
    });
    let ann2 = ls.post(
        &format!("/api/tasks/{task2}/annotations/"),
        json!({"result": [region("q1", 1, 100, "Lecture")]}),
    );
    let lesson2 = body2["lesson"]["id"].as_str().unwrap().to_owned();
    let t2 = wait_for("the second lesson's review task", 120, || {
        review_tasks(&ls, r)
            .into_iter()
            .find(|(k, _)| k.starts_with(&lesson2))
            .and_then(|(_, t)| t["id"].as_i64())
    });
    ls.post(&format!("/api/tasks/{t2}/annotations/"), verdict("Approve"));
    let csv = wait_for("three rows from two lessons", 120, || {
        let f = hub.files("testorg/classroom-patterns");
        let csv = String::from_utf8(f.get("metadata.csv")?.bytes.clone()).ok()?;
        (csv.lines().count() == 4).then_some(csv)
    });
    assert!(csv.contains(lesson) && csv.contains(&lesson2), "{csv}");

    // 7. `datasets` loads it from the Hub.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg("-c")
        .arg(
            "from datasets import load_dataset\n\
              ds = load_dataset('testorg/classroom-patterns', split='train')\n\
              row = ds[0]\n\
              v, a = row['video'], row['audio'].get_all_samples()\n\
              ok = len(v) == row['end_frame'] - row['start_frame'] + 1 and a.sample_rate == 16000\n\
              print(len(ds), sorted(ds['pattern_type']), type(row['image']).__name__, ok)",
        )
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", "hf_review_token")
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HOME", home.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        said.trim(),
        "3 ['Demonstration', 'Lecture', 'Questioning'] JpegImageFile True"
    );

    // Deleting the second lesson's annotation withdraws its clip from review and the dataset.
    ls.call(
        reqwest::Method::DELETE,
        &format!("/api/annotations/{}/", ann2["id"]),
        None,
    );
    wait_for("the withdrawn clip", 120, || {
        let f = hub.files("testorg/classroom-patterns");
        let csv = String::from_utf8(f.get("metadata.csv")?.bytes.clone()).ok()?;
        let gone = !review_tasks(&ls, r).keys().any(|k| k.starts_with(&lesson2));
        (csv.lines().count() == 3 && !csv.contains(&lesson2) && gone).then_some(())
    });
}
