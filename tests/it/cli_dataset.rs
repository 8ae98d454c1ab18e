//! `ppi dataset build` and `prepare` end to end, on a real Label Studio export fixture.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::support::{
    fixture, frame_indices, image_index, lesson_video, ppi, python_run, run, scratch,
};

fn build(video: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut c = ppi();
    c.args(["dataset", "build", "--video"])
        .arg(video)
        .arg("--annotations")
        .arg(fixture("export_lesson-001.json"))
        .arg("--patterns")
        .arg(fixture("patterns.xlsx"))
        .arg("--out")
        .arg(out)
        .args(extra);
    run(&mut c)
}

fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.deserialize().map(|x| x.unwrap()).collect()
}

#[test]
fn build_prepare_and_load_with_datasets() {
    let dir = scratch();
    // Cyrillic and spaces in every path.
    let input = dir.path().join("урок 1 (входные)");
    std::fs::create_dir_all(&input).unwrap();
    let video = input.join("lesson-001.mp4");
    lesson_video(&video);
    let out = dir.path().join("набор данных");

    let (code, stdout, stderr) = build(&video, &out, &["--jobs", "2", "--json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["built"], 3);
    assert_eq!(report["fps_source"], "task");

    let rows = csv_rows(&out.join("metadata.csv"));
    assert_eq!(
        rows.len(),
        3,
        "the latest non-cancelled annotation has three regions"
    );
    let first = &rows[0];
    assert_eq!(first["pattern_type"], "Lecture");
    assert_eq!(
        first["pattern_description"],
        "The teacher explains new material to the whole class."
    );
    assert_eq!(first["lesson_id"], "lesson-001");
    assert_eq!(first["source_video"], "lesson-001.mp4");
    assert_eq!(
        (first["start_frame"].as_str(), first["end_frame"].as_str()),
        ("1", "125")
    );
    assert_eq!(
        (first["start_time"].as_str(), first["end_time"].as_str()),
        ("0.0", "5.0")
    );
    assert_eq!(first["annotation_id"], "7");
    assert_eq!(first["task_id"], "1");
    assert_eq!(first["crop"], "25.00,0.00,50.00,100.00");
    for r in &rows {
        for col in [
            "video_file",
            "image_file",
            "image_cropped_file",
            "audio_file",
        ] {
            assert!(out.join(&r[col]).is_file(), "{col} {}", r[col]);
            assert!(!r[col].contains("train") && !r[col].contains("test"));
        }
        assert_eq!(
            r["transcript_file"], "",
            "no transcripts before transcription"
        );
    }
    // Clip, key frame and audio are exact.
    let q = &rows[1];
    assert_eq!(
        (q["start_frame"].as_str(), q["end_frame"].as_str()),
        ("151", "300")
    );
    let frames = frame_indices(&out.join(&q["video_file"]));
    assert_eq!(frames.first(), Some(&150));
    assert_eq!(frames.last(), Some(&299));
    assert_eq!(frames.len(), 150);
    // The key frame (best by default) is the frame on screen at its recorded time, inside the
    // interval.
    let kt: f64 = q["keyframe_time"].parse().unwrap();
    let shown = image_index(&out.join(&q["image_file"]));
    assert_eq!(shown, (kt * 25.0).round() as u32, "{q:?}");
    assert!((150..300).contains(&shown), "{q:?}");
    assert_eq!(
        crate::support::ffprobe(&out.join(&q["audio_file"]), "a:0", "sample_rate"),
        "16000"
    );
    assert_eq!(
        crate::support::ffprobe(&out.join(&q["audio_file"]), "a:0", "channels"),
        "1"
    );
    let wav_len = std::fs::metadata(out.join(&q["audio_file"])).unwrap().len();
    assert_eq!(wav_len, 44 + 6 * 16_000 * 2, "6 s of 16 kHz mono s16");
    // The cropped key frame is the middle half of the frame.
    let full = image_size(&out.join(&q["image_file"]));
    let cropped = image_size(&out.join(&q["image_cropped_file"]));
    assert_eq!((cropped.0, cropped.1), (full.0 / 2, full.1));
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense:"), "{card}");
    assert!(card.contains("Transcripts are not produced yet"));
    assert!(card.contains("| Questioning | The teacher asks questions and students answer. | 1 |"));
    assert_eq!(
        std::fs::read_to_string(out.join("metadata.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    assert_eq!(
        std::fs::read_dir(out.join("transcripts")).unwrap().count(),
        0
    );

    // A re-run reuses everything and rewrites nothing.
    let mtime = std::fs::metadata(out.join(&q["video_file"]))
        .unwrap()
        .modified()
        .unwrap();
    let (code, stdout, stderr) = build(&video, &out, &["--json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (report["built"].as_u64(), report["reused"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        std::fs::metadata(out.join(&q["video_file"]))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
    assert_eq!(csv_rows(&out.join("metadata.csv")).len(), 3);

    // `datasets` loads the folder with images decoded.
    let loaded = python_run(
        "import sys\nfrom datasets import load_dataset\nds = load_dataset(sys.argv[1], split='train')\n\
         print(len(ds), type(ds[0]['image']).__name__, ds[0]['image'].size, ds[0]['pattern_type'], sorted(ds.column_names)[:3])",
        &[out.to_str().unwrap()],
    );
    assert!(
        loaded.starts_with("3 ") && loaded.contains("JpegImageFile") && loaded.contains("Lecture"),
        "{loaded}"
    );

    // prepare: view a frame, remove item 2 through stdin, confirm.
    let mut child = ppi()
        .args(["dataset", "prepare", "--no-transcribe"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"view 2\n2\n\ny\n")
        .unwrap();
    let done = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        said.contains("3 extracted frame(s)") && said.contains("Questioning"),
        "{said}"
    );
    assert!(
        said.contains(&format!("{}", out.join(&q["image_file"]).display())),
        "view prints the path: {said}"
    );
    assert!(said.contains("1 item(s) removed, 2 remain"), "{said}");
    let rows = csv_rows(&out.join("metadata.csv"));
    assert_eq!(
        rows.iter()
            .map(|r| r["pattern_type"].as_str())
            .collect::<Vec<_>>(),
        vec!["Lecture", "GroupWork"]
    );
    assert!(
        !out.join(&q["video_file"]).exists(),
        "removed files are gone"
    );

    // A later build does not bring the removed item back.
    let (code, stdout, _) = build(&video, &out, &["--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (report["excluded"].as_u64(), report["reused"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(csv_rows(&out.join("metadata.csv")).len(), 2);

    // Non-interactive removal, as scripts use it.
    let (code, stdout, stderr) = run(ppi()
        .args([
            "dataset",
            "prepare",
            "--no-transcribe",
            "--exclude",
            "1",
            "--yes",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(csv_rows(&out.join("metadata.csv")).len(), 1);
}

fn image_size(path: &Path) -> (u32, u32) {
    let w = crate::support::ffprobe(path, "v:0", "width")
        .parse()
        .unwrap();
    let h = crate::support::ffprobe(path, "v:0", "height")
        .parse()
        .unwrap();
    (w, h)
}

#[test]
fn every_export_shape_builds_the_same_intervals() {
    let dir = scratch();
    let video = dir.path().join("lesson-001.mp4");
    lesson_video(&video);
    let full = std::fs::read_to_string(fixture("export_lesson-001.json")).unwrap();
    let tasks: serde_json::Value = serde_json::from_str(&full).unwrap();
    let task = &tasks[0];
    let latest = &task["annotations"][1];
    let min = serde_json::json!([{
        "video": "http://127.0.0.1:9000/classroom/lesson-001.mp4", "fps": 25, "lesson_id": "lesson-001", "id": 1,
        "pattern": latest["result"].as_array().unwrap().iter().filter(|r| r["type"] == "timelinelabels").map(|r| r["value"].clone()).collect::<Vec<_>>(),
        "annotator": 1, "annotation_id": 7, "created_at": "x", "updated_at": "x", "lead_time": 1.0
    }]);
    let shapes = [
        ("single_task.json", task.clone()),
        ("bare_result.json", latest["result"].clone()),
        ("json_min.json", min),
    ];
    for (name, value) in shapes {
        let f = dir.path().join(name);
        std::fs::write(&f, serde_json::to_vec(&value).unwrap()).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let (code, stdout, stderr) = run(ppi()
            .args(["dataset", "build", "--fps", "25", "--video"])
            .arg(&video)
            .arg("--annotations")
            .arg(&f)
            .arg("--patterns")
            .arg(fixture("patterns.csv"))
            .arg("--out")
            .arg(&out)
            .arg("--mode")
            .arg("copy"));
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        let rows = csv_rows(&out.join("metadata.csv"));
        let frames: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["start_frame"].clone(), r["end_frame"].clone()))
            .collect();
        assert_eq!(
            frames,
            vec![
                ("1".into(), "125".into()),
                ("151".into(), "300".into()),
                ("376".into(), "480".into())
            ],
            "{name}"
        );
        assert!(rows.iter().all(|r| r["clip_mode"] == "copy"));
    }
}

#[test]
fn real_label_studio_exports_parse() {
    use ppi_label_studio::export;
    let e = export::read(&fixture("label-studio/export_JSON.json")).unwrap();
    assert_eq!(e.shape, ppi_label_studio::model::ExportShape::FullJson);
    assert_eq!(e.tasks[0].annotations[0].results.len(), 1);
    let m = export::read(&fixture("label-studio/export_JSON_MIN_all.json")).unwrap();
    assert_eq!(m.shape, ppi_label_studio::model::ExportShape::JsonMin);
    assert_eq!(m.tasks.len(), 3);
    assert_eq!(m.tasks[0].annotations[0].results.len(), 1);
    assert!(m.tasks[1].annotations.is_empty());
}
