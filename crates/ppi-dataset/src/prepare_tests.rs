use super::*;

fn rows(n: usize) -> Vec<Row> {
    (1..=n)
        .map(|i| {
            let mut r: Row = serde_json::from_value(serde_json::json!({
                "file_name": "", "id": format!("l_{i:06}-{i:06}"), "lesson_id": "l", "source_video": "", "start_time": 0.0,
                "end_time": 1.0, "start_frame": i, "end_frame": i, "fps": 25.0, "pattern_type": "A", "pattern_description": "",
                "video_file": "", "image_file": "", "image_cropped_file": "", "audio_file": "", "transcript_file": "",
                "keyframe_time": 0.0, "clip_mode": "accurate", "clip_start_time": 0.0, "clip_end_time": 1.0, "crop": "",
                "annotator": "", "annotation_id": "", "task_id": ""
            }))
            .unwrap();
            r.start_frame = i as u64;
            r
        })
        .collect()
}

#[test]
fn selections_accept_numbers_ranges_and_ids() {
    let r = rows(8);
    let ids = parse_selection("3, 7 2-4 l_000008-000008", &r).unwrap();
    let got: Vec<&str> = ids.iter().map(ItemId::as_str).collect();
    assert_eq!(
        got,
        vec![
            "l_000003-000003",
            "l_000007-000007",
            "l_000002-000002",
            "l_000004-000004",
            "l_000008-000008"
        ]
    );
    assert!(parse_selection("0", &r).is_err());
    assert!(parse_selection("9", &r).is_err());
    assert!(parse_selection("5-2", &r).is_err());
    assert!(parse_selection("bogus", &r).is_err());
    assert!(parse_selection("", &r).unwrap().is_empty());
}
