use serde_json::json;

use super::*;

fn config() -> LabelConfig {
    LabelConfig::parse(
        r#"<View><Video name="video" value="$video" frameRate="$fps"/>
        <TimelineLabels name="pattern" toName="video"><Label value="Lecture"/><Label value="Questioning"/></TimelineLabels>
        <TextArea name="transcript" toName="video" perRegion="true"/></View>"#,
    )
    .unwrap()
}

#[test]
fn a_good_prediction_passes() {
    let items = vec![
        json!({"id": "r1", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
               "value": {"ranges": [{"start": 1, "end": 250}], "timelinelabels": ["Lecture"]}}),
        json!({"id": "r1", "from_name": "transcript", "to_name": "video", "type": "textarea",
               "value": {"ranges": [{"start": 1, "end": 250}], "text": ["Good morning."]}}),
    ];
    assert!(check_result(&config(), &items, Some(250), "result").is_empty());
}

#[test]
fn every_problem_is_named() {
    let items = vec![
        json!({"from_name": "patern", "to_name": "video", "type": "timelinelabels", "value": {}}),
        json!({"from_name": "pattern", "to_name": "video", "type": "timelinelabels",
               "value": {"ranges": [{"start": 1.5, "end": 3}], "timelinelabels": ["Lectur"]}}),
        json!({"from_name": "pattern", "to_name": "video", "type": "timelinelabels",
               "value": {"ranges": [{"start": 200, "end": 300}], "timelinelabels": ["Lecture"]}}),
        json!({"from_name": "pattern", "to_name": "vid", "type": "labels",
               "value": {"labels": ["Lecture"]}}),
    ];
    let issues = check_result(&config(), &items, Some(250), "annotation.result");
    let all = issues.join("\n");
    assert!(
        all.contains("annotation.result[0].from_name: unknown control \"patern\""),
        "{all}"
    );
    assert!(
        all.contains("result[1].value.timelinelabels: unknown label(s) Lectur"),
        "{all}"
    );
    assert!(
        all.contains("result[1].value.ranges[0]: start and end must be whole frame numbers"),
        "{all}"
    );
    assert!(
        all.contains("result[2].value.ranges[0]: frame 300 is beyond the video (250 frames)"),
        "{all}"
    );
    assert!(all.contains("result[3].to_name"), "{all}");
    assert!(all.contains("result[3].type"), "{all}");
}
