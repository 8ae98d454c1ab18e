use super::*;

#[test]
fn media_file_names_are_recovered() {
    assert_eq!(
        media_file_name("http://h:9000/classroom/lesson-001.mp4?X-Amz=1"),
        "lesson-001.mp4"
    );
    assert_eq!(
        media_file_name("/data/local-files/?d=lessons/Урок%203.mp4"),
        "Урок 3.mp4"
    );
    assert_eq!(
        media_file_name("/data/upload/1/3f9a2c1d-lesson%2003.mp4"),
        "3f9a2c1d-lesson 03.mp4"
    );
    assert_eq!(media_file_name("s3://b/k/x.mp4"), "x.mp4");
}

#[test]
fn shapes_are_recognised() {
    let full = serde_json::json!([{"id": 1, "data": {"video": "a.mp4"}, "annotations": []}]);
    assert_eq!(parse_value(&full).unwrap().0, ExportShape::FullJson);
    let single = serde_json::json!({"id": 1, "data": {"video": "a.mp4"}, "annotations": []});
    assert_eq!(parse_value(&single).unwrap().0, ExportShape::SingleTask);
    let bare = serde_json::json!([{"from_name": "pattern", "to_name": "video", "type": "timelinelabels",
        "value": {"ranges": [{"start": 1, "end": 5}], "timelinelabels": ["Lecture"]}}]);
    assert_eq!(parse_value(&bare).unwrap().0, ExportShape::BareResult);
    let min = serde_json::json!([{"video": "a.mp4", "id": 3, "pattern": [{"ranges": [{"start": 1, "end": 5}], "timelinelabels": ["Lecture"]}], "annotator": 1, "annotation_id": 9}]);
    let (shape, tasks) = parse_value(&min).unwrap();
    assert_eq!(shape, ExportShape::JsonMin);
    assert_eq!(tasks[0].annotations[0].id, Some(9));
    assert_eq!(tasks[0].annotations[0].results.len(), 1);
    assert_eq!(
        tasks[0].data.get("video").and_then(Value::as_str),
        Some("a.mp4")
    );
    assert!(parse_value(&serde_json::json!([])).is_err());
    assert!(parse_value(&serde_json::json!(5)).is_err());
}

#[test]
fn malformed_json_names_line_and_column() {
    let err = parse(Path::new("in/03.json"), b"[\n{\"id\": 1,,}\n]").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("in/03.json: line 2, column"), "{msg}");
    assert_eq!(err.code(), "annotations-malformed-json");
}

#[test]
fn wrong_types_name_the_path() {
    let bad = serde_json::json!([{"id": 1, "data": {}, "annotations": [{"id": 2, "result": {}}]}]);
    let err = parse_value(&bad).unwrap_err();
    assert_eq!(err.pointer, "[0].annotations[0].result");
}

#[test]
fn fps_comes_from_task_data() {
    let t = serde_json::json!({"data": {"video": "a.mp4", "fps": "29.97"}, "annotations": []});
    let (_, tasks) = parse_value(&t).unwrap();
    assert!((tasks[0].fps().unwrap().unwrap().get() - 29.97).abs() < 1e-9);
    let t = serde_json::json!({"data": {"video": "a.mp4", "fps": 0}, "annotations": []});
    let (_, tasks) = parse_value(&t).unwrap();
    assert_eq!(tasks[0].fps().unwrap_err().pointer, "$.data.fps");
}
