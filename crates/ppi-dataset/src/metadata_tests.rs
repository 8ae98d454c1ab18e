use super::*;

fn row() -> Row {
    Row {
        file_name: "images/a_000001-000010.jpg".into(),
        id: "a_000001-000010".into(),
        lesson_id: "Урок 1".into(),
        source_video: "урок 1.mp4".into(),
        source_sha256: "ab".repeat(32),
        start_time: 0.0,
        end_time: 0.4,
        start_frame: 1,
        end_frame: 10,
        fps: 25.0,
        pattern_type: "Lecture".into(),
        pattern_description: "Teacher, \"explains\"".into(),
        video_file: "videos/a_000001-000010.mp4".into(),
        image_file: "images/a_000001-000010.jpg".into(),
        image_cropped_file: String::new(),
        audio_file: "audio/a_000001-000010.wav".into(),
        transcript_file: String::new(),
        language: String::new(),
        transcript: String::new(),
        teacher_share: None,
        student_share: None,
        speakers: None,
        turns: None,
        questions: None,
        open_questions: None,
        activity: String::new(),
        keyframe_time: 0.2,
        key_frame_method: "middle".into(),
        key_frame_score: 0.0,
        key_frame_middle_score: 0.0,
        clip_mode: "accurate".into(),
        clip_start_time: 0.0,
        clip_end_time: 0.4,
        crop: String::new(),
        annotator: "1".into(),
        annotation_id: "5".into(),
        task_id: "1".into(),
    }
}

#[test]
fn csv_header_matches_schema_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("metadata.csv");
    write_csv(&p, &[row()]).unwrap();
    let mut r = csv::Reader::from_path(&p).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, columns());
    let back: Row = r.deserialize().next().unwrap().unwrap();
    assert_eq!(back, row());
}

#[test]
fn empty_csv_still_has_a_header_and_jsonl_lines_parse() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("metadata.csv");
    write_csv(&p, &[]).unwrap();
    assert!(std::fs::read_to_string(&p)
        .unwrap()
        .starts_with("file_name,id,"));
    let j = dir.path().join("metadata.jsonl");
    write_jsonl(&j, &[row(), row()]).unwrap();
    let text = std::fs::read_to_string(&j).unwrap();
    assert_eq!(text.lines().count(), 2);
    let back: Row = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(back.lesson_id, "Урок 1");
}
