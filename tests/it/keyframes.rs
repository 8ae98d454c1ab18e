//! `ppi dataset build` with `--key-frame best|middle` records the method, the time and both
//! scores in metadata.csv (the choice itself is tested in the media crate).

use std::path::Path;

use crate::support::{pattern_video as video, scratch};

fn export(video: &str) -> String {
    serde_json::json!([{
        "id": 1, "data": {"video": format!("/data/{video}"), "fps": 25},
        "annotations": [{"id": 1, "was_cancelled": false, "updated_at": "2026-12-01T10:00:00Z",
            "result": [{"id": "a", "from_name": "pattern", "to_name": "video",
                "type": "timelinelabels", "origin": "manual",
                "value": {"ranges": [{"start": 1, "end": 300}], "timelinelabels": ["Lecture"]}}]}]
    }])
    .to_string()
}

fn csv(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("metadata.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            head.iter()
                .map(String::from)
                .zip(x.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn build_records_the_method_time_and_scores() {
    let dir = scratch();
    let p = dir.path().join("lesson.mp4");
    video(
        &p,
        "testsrc2",
        "boxblur=lr=10:lp=2:enable='not(between(t,8,10))'",
    );
    let ex = dir.path().join("lesson.json");
    std::fs::write(&ex, export("lesson.mp4")).unwrap();
    let mut rows = Vec::new();
    for mode in ["best", "middle"] {
        let out = dir.path().join(mode);
        let (code, _, stderr) = crate::support::run(
            crate::support::ppi()
                .args(["dataset", "build", "--quiet", "--key-frame", mode])
                .arg("--video")
                .arg(&p)
                .arg("--annotations")
                .arg(&ex)
                .arg("--patterns")
                .arg(crate::support::fixture("patterns.xlsx"))
                .arg("--out")
                .arg(&out),
        );
        assert_eq!(code, 0, "{stderr}");
        rows.push(csv(&out).remove(0));
    }
    let (b, m) = (&rows[0], &rows[1]);
    assert_eq!(b["key_frame_method"], "best");
    assert_eq!(m["key_frame_method"], "middle");
    let t: f64 = b["keyframe_time"].parse().unwrap();
    assert!((8.0..=10.0).contains(&t), "{b:?}");
    let (s, ms): (f64, f64) = (
        b["key_frame_score"].parse().unwrap(),
        b["key_frame_middle_score"].parse().unwrap(),
    );
    assert!(s > ms, "{b:?}");
    assert!(
        (m["keyframe_time"].parse::<f64>().unwrap() - 5.98).abs() < 0.05,
        "{m:?}"
    );
}
