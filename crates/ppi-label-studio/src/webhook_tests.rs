use super::*;
use serde_json::json;

fn capture(name: &str) -> Value {
    // Read at run time: a shared target folder may hold a build made in another clone.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it for tests");
    let path = format!("{dir}/../../webhooks/fixtures/{name}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    match &v["body"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        b => b.clone(),
    }
}

#[test]
fn every_captured_shape_is_understood() {
    let d = parse(&capture("002_POST_hook_TASKS_CREATED.json")).unwrap();
    assert!(!d.events.is_empty());
    assert!(d.label_config.unwrap().contains("<View"));
    let LsEvent::TaskCreated { project, task } = &d.events[0] else {
        panic!("{:?}", d.events)
    };
    assert_eq!((*project, task.id), (1, 1));
    assert_eq!(task.data["fps"], 25);

    let d = parse(&capture("015_POST_hook_ANNOTATION_CREATED.json")).unwrap();
    let LsEvent::Annotation {
        annotation, task, ..
    } = &d.events[0]
    else {
        panic!()
    };
    assert_eq!(annotation.task, Some(1));
    assert!(task.data["video"].is_string());
    assert!(d.events[0]
        .dedupe_key()
        .starts_with("ANNOTATION_CREATED:1:2026-"));

    // Bulk: lists under the singular keys.
    let d = parse(&capture("062_POST_webhook_ANNOTATIONS_CREATED.json")).unwrap();
    assert!(!d.events.is_empty());
    for e in &d.events {
        let LsEvent::Annotation {
            task, annotation, ..
        } = e
        else {
            panic!()
        };
        assert_eq!(Some(task.id), annotation.task);
        assert!(task.data.is_object());
    }

    let d = parse(&capture("023_POST_hook_ANNOTATIONS_DELETED.json")).unwrap();
    assert_eq!(
        d.events,
        vec![LsEvent::AnnotationDeleted {
            project: d.events[0].project(),
            annotation: 2
        }]
    );
    let d = parse(&capture("063_POST_webhook_TASKS_DELETED.json")).unwrap();
    assert!(matches!(d.events[0], LsEvent::TaskDeleted { task: 7, .. }));
    let d = parse(&capture("019_POST_hook_PROJECT_UPDATED.json")).unwrap();
    assert!(d.events.is_empty());
    // "Start Training" (LS PR #5761): the project as the webhook serializer renders it.
    let d = parse(
        &serde_json::json!({"action": "START_TRAINING", "project": {"id": 4, "title": "Lessons"}}),
    )
    .unwrap();
    assert_eq!(d.events, vec![LsEvent::StartTraining { project: 4 }]);
    assert!(parse(&serde_json::json!({"action": "START_TRAINING"})).is_err());
}

#[test]
fn secrets_in_the_project_are_not_kept() {
    let body = capture("015_POST_hook_ANNOTATION_CREATED.json");
    assert!(body["project"]["token"].is_string());
    let d = parse(&body).unwrap();
    let kept = format!("{:?}", d.events);
    assert!(!kept.contains(body["project"]["token"].as_str().unwrap()));
}

#[test]
fn malformed_payloads_are_named() {
    assert!(parse(&json!({}))
        .unwrap_err()
        .to_string()
        .contains("action"));
    let e = parse(&json!({"action": "TASKS_CREATED", "tasks": [{}], "project": {"id": 1}}))
        .unwrap_err();
    assert!(e.to_string().contains("without an id"), "{e}");
}
