use super::*;
use serde_json::json;

/// Payloads as the untyped code wrote them (jobs queued before the types) decode, and
/// re-encode to the same JSON.
#[test]
fn payloads_queued_before_the_types_decode_unchanged() {
    let legacy = [
        ("extract-audio", json!({"lesson_id": "01j"})),
        (
            "transcribe",
            json!({"media_key": "key:lessons/u/l/source.mp4", "kind": "stored",
                   "value": "lessons/u/l/source.mp4", "task_id": 7}),
        ),
        (
            "ls-task",
            json!({"project": 1, "task": {"id": 7, "data": {"video": "/data/x.mp4"},
                   "updated_at": null}, "label_config": null}),
        ),
        (
            "ls-annotation",
            json!({"project": 1, "task": {"id": 7, "data": {}, "updated_at": "t"},
                   "annotation": {"id": 3, "task": 7, "result": [{"id": "r"}],
                   "was_cancelled": false, "updated_at": "2026-01-01", "completed_by": 1},
                   "label_config": "<View/>"}),
        ),
        ("ls-annotation", json!({"deleted": 3})),
        ("ls-agreement", json!({"project": 1, "task_id": 7})),
        ("ls-import", json!({"lesson_id": "01j", "project": 2})),
        (
            "extract",
            json!({"project": 1, "task_id": 7, "annotation_id": 0, "result": [],
                   "updated_at": "consensus:7:ab", "target": "consensus:7:ab",
                   "completed_by": "consensus"}),
        ),
        (
            "review-decision",
            json!({"review_task": 9, "annotation": {"id": 4, "task": 9, "result": [],
                   "was_cancelled": false, "updated_at": "u", "completed_by": null}}),
        ),
        ("assemble", json!({"stage": "task-7"})),
        ("assemble", json!({"withdrawn_task": 7})),
        ("assemble", json!({"lesson_id": "01j", "forced": true})),
        (
            "dataset-build",
            json!({"lesson": {"id": "l1", "video": "/v.mp4", "export": "/e.json",
                   "patterns": "/p.xlsx"}, "out": "/out", "publish": {"repo": "u/d"}}),
        ),
        ("dataset-publish", json!({"out": "/out", "repo": "u/d"})),
        ("learn", json!({})),
    ];
    for (kind, payload) in legacy {
        let job = Job::decode(kind, &payload.to_string()).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(job.kind().as_str(), kind);
        let again: Value = serde_json::from_str(&job.payload_json()).unwrap();
        assert_eq!(
            Job::decode(kind, &again.to_string()).unwrap(),
            job,
            "{kind} round trip"
        );
    }
    // Fields LS leaves null read as their defaults.
    let Job::LsAnnotation(AnnotationEvent::Saved { annotation, .. }) = Job::decode(
        "ls-annotation",
        r#"{"project":1,"task":{"id":7},"annotation":{"id":3,"result":null,"was_cancelled":null}}"#,
    )
    .unwrap() else {
        panic!("not a saved annotation")
    };
    assert!(annotation.result.is_empty() && !annotation.was_cancelled);
}

#[test]
fn a_payload_that_does_not_fit_is_a_coded_permanent_failure() {
    for (kind, payload, code) in [
        ("transcode", "{}", "job-unknown-kind"),
        ("extract", "{\"project\": 1}", "job-invalid"),
        ("ls-task", "not json", "job-invalid"),
        (
            "transcribe",
            "{\"media_key\": \"k\", \"kind\": \"ftp\", \"value\": \"x\"}",
            "job-invalid",
        ),
    ] {
        match Job::decode(kind, payload) {
            Err(e @ JobError::Permanent { .. }) => {
                assert_eq!(e.code(), code, "{kind}: {e}");
                assert!(e.to_string().contains(kind), "{e}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}
