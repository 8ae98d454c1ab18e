use super::*;
use crate::choice::AnnotationChoice;
use crate::export::parse_value;
use serde_json::json;

fn fps25() -> Fps {
    Fps::new(25.0).unwrap()
}

fn task(v: Value) -> ExportTask {
    parse_value(&v).unwrap().1.remove(0)
}

fn tl(id: &str, s: i64, e: i64, label: &str) -> Value {
    json!({"id": id, "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
           "value": {"ranges": [{"start": s, "end": e}], "timelinelabels": [label]}})
}

#[test]
fn timeline_regions_become_intervals_in_order() {
    let t = task(json!({"id": 1, "data": {"video": "a.mp4"}, "annotations": [
        {"id": 5, "completed_by": 1, "result": [tl("b", 251, 400, "GroupWork"), tl("a", 1, 250, "Lecture")]}]}));
    let iv = intervals(&t, AnnotationChoice::Latest, None, fps25()).unwrap();
    assert_eq!(iv.len(), 2);
    assert_eq!(
        (iv[0].range.start(), iv[0].range.end(), iv[0].label.as_str()),
        (1, 250, "Lecture")
    );
    assert_eq!(iv[1].annotator.as_deref(), Some("1"));
    assert_eq!(iv[1].annotation_id, Some(5));
}

#[test]
fn cancelled_annotations_are_skipped_and_latest_wins() {
    let t = task(json!({"id": 1, "data": {}, "annotations": [
        {"id": 1, "updated_at": "2026-01-02T00:00:00Z", "result": [tl("a", 1, 10, "A")]},
        {"id": 2, "updated_at": "2026-01-03T00:00:00Z", "was_cancelled": true, "result": [tl("a", 1, 10, "B")]},
        {"id": 3, "updated_at": "2026-01-01T00:00:00Z", "result": [tl("a", 1, 10, "C")]}]}));
    let latest = intervals(&t, AnnotationChoice::Latest, None, fps25()).unwrap();
    assert_eq!(latest[0].label, "A");
    let all = intervals(&t, AnnotationChoice::All, None, fps25()).unwrap();
    assert_eq!(
        all.iter().map(|i| i.label.as_str()).collect::<Vec<_>>(),
        vec!["A", "C"]
    );
    let by_id = intervals(&t, AnnotationChoice::Id(3), None, fps25()).unwrap();
    assert_eq!(by_id[0].label, "C");
    let err = intervals(&t, AnnotationChoice::Id(2), None, fps25()).unwrap_err();
    assert!(err.detail.contains("cancelled"), "{}", err.detail);
    assert!(intervals(&t, AnnotationChoice::Id(9), None, fps25()).is_err());
}

#[test]
fn seconds_spans_are_converted_and_speaker_labels_ignored_next_to_a_timeline() {
    let t = task(json!({"data": {}, "annotations": [{"id": 1, "result": [
        {"id": "s1", "from_name": "speaker", "to_name": "audio", "type": "labels",
         "value": {"start": 1.0, "end": 2.0, "channel": 0, "labels": ["Teacher"]}},
        tl("p1", 26, 50, "Lecture")]}]}));
    let iv = intervals(&t, AnnotationChoice::Latest, None, fps25()).unwrap();
    assert_eq!(iv.len(), 1);
    assert_eq!(iv[0].label, "Lecture");
    let sp = intervals(&t, AnnotationChoice::Latest, Some("speaker"), fps25()).unwrap();
    assert_eq!((sp[0].range.start(), sp[0].range.end()), (26, 50));
}

#[test]
fn crop_comes_from_the_box_in_effect_at_the_middle_frame() {
    let t = task(json!({"data": {}, "annotations": [{"id": 1, "result": [
        tl("p1", 1, 100, "Lecture"),
        {"id": "b", "from_name": "box", "to_name": "video", "type": "videorectangle",
         "value": {"framesCount": 200, "labels": ["Teacher"], "sequence": [
            {"frame": 1, "enabled": true, "x": 0, "y": 0, "width": 50, "height": 50},
            {"frame": 40, "enabled": true, "x": 10, "y": 10, "width": 50, "height": 50},
            {"frame": 80, "enabled": true, "x": 20, "y": 20, "width": 50, "height": 50}]}}]}]}));
    let iv = intervals(&t, AnnotationChoice::Latest, None, fps25()).unwrap();
    assert_eq!(iv[0].crop.unwrap().x, 10.0);
}

#[test]
fn bad_values_name_their_path() {
    let t = json!({"data": {}, "annotations": [{"id": 1, "result": [tl("a", 10, 5, "A")]}]});
    let err = parse_value(&t).unwrap_err();
    assert_eq!(err.pointer, "$.annotations[0].result[0].value.ranges[0]");
    assert!(err.detail.contains("inverted"));
    let t = json!({"data": {}, "annotations": [{"id": 1, "result": [
        {"from_name": "pattern", "type": "timelinelabels", "value": {"ranges": [{"start": 1.5, "end": 5}], "timelinelabels": ["A"]}}]}]});
    assert_eq!(
        parse_value(&t).unwrap_err().pointer,
        "$.annotations[0].result[0].value.ranges[0].start"
    );
    let t = json!({"data": {}, "annotations": [{"id": 1, "result": [
        {"from_name": "pattern", "type": "timelinelabels", "value": {"ranges": [{"start": 1, "end": 5}]}}]}]});
    let task = task(t);
    let err = intervals(&task, AnnotationChoice::Latest, None, fps25()).unwrap_err();
    assert!(err.detail.contains("no label"));
}

#[test]
fn ambiguous_controls_ask_for_from_name() {
    let t = task(json!({"data": {}, "annotations": [{"id": 1, "result": [
        tl("a", 1, 5, "A"),
        {"from_name": "other", "type": "timelinelabels", "value": {"ranges": [{"start": 1, "end": 5}], "timelinelabels": ["B"]}}]}]}));
    let err = intervals(&t, AnnotationChoice::Latest, None, fps25()).unwrap_err();
    assert!(err.detail.contains("--from-name"));
    assert_eq!(
        intervals(&t, AnnotationChoice::Latest, Some("other"), fps25()).unwrap()[0].label,
        "B"
    );
}
