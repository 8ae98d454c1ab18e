use super::*;

#[test]
fn size_buckets() {
    assert_eq!(size_category(0), "n<1K");
    assert_eq!(size_category(999), "n<1K");
    assert_eq!(size_category(1000), "1K<n<10K");
}

#[test]
fn front_matter_has_required_keys_and_quotes_names() {
    let mut m = Manifest::default();
    m.card.pretty_name = "Lessons: \"A\"".into();
    let card = render(
        &m,
        &[],
        &["metadata.csv", "images/*.jpg"],
        &TranscriptInfo::default(),
    );
    let fm = card.split("---").nth(1).unwrap();
    for key in [
        "license:",
        "language:",
        "task_categories:",
        "size_categories:",
        "pretty_name:",
        "configs:",
    ] {
        assert!(fm.contains(key), "{key} missing in {fm}");
    }
    assert!(fm.contains(r#"pretty_name: "Lessons: \"A\"""#));
    assert!(card.contains("Transcripts are not produced yet"));
}

#[test]
fn the_machine_as_an_annotator_has_its_section_summed_over_lessons() {
    use ppi_agreement::{machine, Marking, Span};
    let span = |l: &str, s, e| Span {
        label: l.into(),
        start: s,
        end: e,
    };
    let h1 = Marking {
        annotator: "ann1".into(),
        annotation_id: None,
        spans: vec![span("Lecture", 0, 100)],
    };
    let h2 = Marking {
        annotator: "ann2".into(),
        annotation_id: None,
        spans: vec![span("Lecture", 10, 100)],
    };
    let draft = Marking {
        annotator: "whisper-base+rules-1".into(),
        annotation_id: None,
        spans: vec![span("Lecture", 0, 50)],
    };
    let labels = vec!["Lecture".to_string()];
    let bench = machine::bench(
        &[h1.clone(), h2.clone()],
        &[span("Lecture", 10, 100)],
        &[draft],
        &labels,
        200,
        0.5,
        25.0,
    );
    let lesson = |title: &str| {
        ppi_agreement::analytics::summarise(&ppi_agreement::analytics::LessonInput {
            title: title.into(),
            frames: 200,
            fps: 25.0,
            labels: labels.clone(),
            markings: vec![h1.clone(), h2.clone()],
            agreed: vec![span("Lecture", 10, 100)],
            speech: None,
            speakers: Vec::new(),
            roles: Vec::new(),
            roles_source: None,
            iou: 0.5,
            machine: Some(bench.clone()),
            events: Some(ppi_agreement::analytics::activity::Events {
                questions: vec![ppi_agreement::analytics::activity::QuestionAt {
                    at: 3.0,
                    kind: "open".into(),
                    text: "Why does it float?".into(),
                    wt1: Some(2.5),
                }],
                bins: vec!["teacher-talk".into()],
                ..Default::default()
            }),
        })
    };
    let info = TranscriptInfo {
        models: Vec::new(),
        analytics: vec![("a".into(), lesson("A")), ("b".into(), lesson("B"))],
    };
    let card = render(&Manifest::default(), &[], &["metadata.csv"], &info);
    assert!(card.contains("## The machine as an annotator"), "{card}");
    assert!(
        card.contains("| humans, pairwise (2 pairs) | 2 |"),
        "{card}"
    );
    assert!(
        card.contains("| `whisper-base+rules-1` vs consensus | 2 |"),
        "{card}"
    );
    assert!(
        card.contains("What happens (PPI, from the transcript and the turns): Teacher questions: 1 (1 open, 0 closed)"),
        "{card}"
    );
    assert!(
        card.contains("| 00:03 | open | 2.5 s | Why does it float? |"),
        "{card}"
    );
}
