use super::*;
use ppi_asr::Word;

fn seg(start: f64, end: f64, text: &str) -> Segment {
    Segment {
        start,
        end,
        text: text.into(),
        language: "en".into(),
        avg_logprob: -0.2,
        no_speech_prob: 0.01,
        ..Segment::default()
    }
}

fn rules() -> RegionRules {
    RegionRules {
        max_gap_secs: 1.5,
        max_region_secs: 20.0,
        min_region_secs: 2.0,
        by_activity: true,
    }
}

#[test]
fn close_segments_merge_and_far_ones_do_not() {
    let r = regions(
        &[
            seg(0.5, 3.0, "Good morning."),
            seg(3.5, 6.0, "Today we explain fractions."),
            seg(10.0, 13.0, "Who knows?"),
        ],
        &rules(),
        30.0,
    );
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        (r[0].start, r[0].end, r[0].text.as_str()),
        (0.5, 6.0, "Good morning. Today we explain fractions.")
    );
    assert_eq!((r[1].start, r[1].end), (10.0, 13.0));
}

#[test]
fn regions_never_grow_past_the_maximum() {
    let segs: Vec<Segment> = (0..10)
        .map(|i| seg(i as f64 * 5.0, i as f64 * 5.0 + 4.5, "words"))
        .collect();
    for r in regions(&segs, &rules(), 60.0) {
        assert!(r.end - r.start <= 20.0, "{r:?}");
    }
    // One long segment is split at its words.
    let mut long = seg(0.0, 50.0, "many words");
    long.words = (0..50)
        .map(|i| Word {
            start: i as f64,
            end: i as f64 + 0.8,
            text: format!(" w{i}"),
            probability: 0.9,
        })
        .collect();
    let r = regions(&[long], &rules(), 60.0);
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r.iter().all(|r| r.end - r.start <= 20.0));
    assert_eq!(r[0].text.split_whitespace().next(), Some("w0"));
}

#[test]
fn short_regions_join_a_neighbour_or_widen() {
    let r = regions(
        &[seg(5.0, 5.5, "Yes?"), seg(6.0, 9.0, "Right, let us begin.")],
        &rules(),
        30.0,
    );
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].start, r[0].end), (5.0, 9.0));
    let r = regions(&[seg(0.2, 0.6, "Yes?")], &rules(), 30.0);
    assert_eq!(r.len(), 1);
    assert!(
        (r[0].end - r[0].start - 2.0).abs() < 1e-9 && r[0].start >= 0.0,
        "{r:?}"
    );
}

fn config() -> LabelConfig {
    let catalog = ppi_core::catalog::PatternCatalog::new(vec![
        ppi_core::catalog::Pattern {
            name: "Lecture".into(),
            description: "The teacher explains.".into(),
            keywords: vec![],
            fallback: false,
        },
        ppi_core::catalog::Pattern {
            name: "Questioning".into(),
            description: "Questions to the class.".into(),
            keywords: vec![],
            fallback: false,
        },
    ])
    .unwrap();
    LabelConfig::parse(&super::super::config::annotation_config(
        &catalog,
        &[],
        Some("Speech"),
    ))
    .unwrap()
}

#[test]
fn results_are_integer_frames_with_transcripts_and_pass_validation() {
    let cfg = config();
    let labels: Vec<String> = cfg.timeline().unwrap().0.labels.clone();
    let s = Suggester::new(&labels, None, Some("Speech"));
    let regions = vec![
        Region {
            start: 0.0,
            end: 2.0,
            text: "Let me explain.".into(),
            ..Region::default()
        },
        Region {
            start: 4.02,
            end: 7.5,
            text: "Any questions?".into(),
            ..Region::default()
        },
    ];
    let fps = Fps::new(25.0).unwrap();
    let p = build(&cfg, &regions, &[], &s, fps, Some(180)).unwrap();
    assert_eq!(p.result.len(), 4);
    let first = &p.result[0];
    assert_eq!(first["value"]["ranges"], json!([{"start": 1, "end": 50}]));
    assert_eq!(p.result[1]["type"], "textarea");
    assert_eq!(p.result[1]["id"], first["id"]);
    assert_eq!(p.result[1]["value"]["text"], json!(["Let me explain."]));
    // 4.02 s → frame floor(100.5)+1 = 101; 7.5 s → ceil(187.5) = 188, clamped to 180.
    assert_eq!(
        p.result[2]["value"]["ranges"],
        json!([{"start": 101, "end": 180}])
    );
    assert_eq!(
        p.result[2]["value"]["timelinelabels"],
        json!(["Questioning"])
    );
    assert!(p.score > 0.0);
    assert_eq!(
        model_version("ggml-base-q8_0.bin", None),
        "whisper-base-q8_0+rules-3"
    );
}

#[test]
fn a_config_without_a_timeline_is_refused() {
    let cfg = LabelConfig::parse(
        r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices></View>"#,
    )
    .unwrap();
    let s = Suggester::new(&[], None, None);
    assert_eq!(
        build(&cfg, &[], &[], &s, Fps::new(25.0).unwrap(), None),
        Err(PredictError::NoTimeline)
    );
}

#[test]
fn speech_without_evidence_gets_the_neutral_label_and_no_score() {
    let cfg = config();
    let labels: Vec<String> = cfg.timeline().unwrap().0.labels.clone();
    assert_eq!(labels.last().map(String::as_str), Some("Speech"));
    let s = Suggester::new(&labels, None, Some("Speech"));
    let regions = vec![
        Region {
            start: 0.0,
            end: 2.0,
            text: "Good morning, everyone.".into(),
            ..Region::default()
        },
        Region {
            start: 3.0,
            end: 5.0,
            text: "Any questions?".into(),
            ..Region::default()
        },
    ];
    let p = build(&cfg, &regions, &[], &s, Fps::new(25.0).unwrap(), None).unwrap();
    assert_eq!(p.result[0]["value"]["timelinelabels"], json!(["Speech"]));
    assert!(p.result[0].get("score").is_none(), "{:?}", p.result[0]);
    assert_eq!(
        p.result[2]["value"]["timelinelabels"],
        json!(["Questioning"])
    );
    // The draft's score is the pattern regions' mean only.
    assert_eq!(p.score, p.result[2]["score"].as_f64().unwrap());
}

#[test]
fn turns_fill_the_speaker_lane_with_roles_and_one_several_per_overlap() {
    use ppi_speakers::{Role, Turn};
    let cfg = config();
    let labels: Vec<String> = cfg.timeline().unwrap().0.labels.clone();
    let s = Suggester::new(&labels, None, Some("Speech"));
    let turn = |start: f64, end: f64, speaker: &str, role: Role, overlap: bool| Turn {
        start,
        end,
        speaker: speaker.into(),
        role,
        overlap,
    };
    let turns = [
        turn(0.0, 4.0, "S1", Role::Teacher, false),
        turn(4.0, 5.0, "S1", Role::Teacher, true),
        turn(4.0, 5.0, "S2", Role::Student, true),
        turn(5.0, 6.5, "S2", Role::Student, false),
    ];
    let p = build(&cfg, &[], &turns, &s, Fps::new(25.0).unwrap(), Some(150)).unwrap();
    let lane: Vec<&Value> = p
        .result
        .iter()
        .filter(|r| r["from_name"] == "speaker")
        .collect();
    let got: Vec<(Value, Value)> = lane
        .iter()
        .map(|r| {
            (
                r["value"]["ranges"].clone(),
                r["value"]["timelinelabels"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (json!([{"start": 1, "end": 100}]), json!("Teacher")),
            (json!([{"start": 101, "end": 125}]), json!("Several")),
            (json!([{"start": 126, "end": 150}]), json!("Student")),
        ]
    );
    // The pattern lane's score is untouched by speaker regions.
    assert_eq!(p.score, 0.0);
}
