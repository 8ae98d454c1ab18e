use super::*;
use ppi_core::catalog::Pattern;

fn catalog(names: &[&str]) -> PatternCatalog {
    PatternCatalog::new(
        names
            .iter()
            .map(|n| Pattern {
                name: (*n).to_owned(),
                description: String::new(),
                keywords: vec![],
                fallback: false,
            })
            .collect(),
    )
    .unwrap()
}

const REFERENCE: &str =
    include_str!("../../../webhooks/fixtures/api/project_video_config_full.json");

#[test]
fn reads_the_reference_config_like_ls() {
    let project: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let cfg = LabelConfig::parse(project["label_config"].as_str().unwrap()).unwrap();
    // LS's own parsed_label_config of the same XML.
    let parsed = project["parsed_label_config"].as_object().unwrap();
    assert_eq!(cfg.controls.len(), parsed.len());
    for (name, c) in parsed {
        let ours = cfg.control(name).unwrap();
        assert_eq!(ours.tag, c["type"].as_str().unwrap().to_lowercase());
        let to: Vec<&str> = c["to_name"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(ours.to_names, to);
        let labels: Vec<&str> = c["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(ours.labels, labels);
    }
    let (timeline, video) = cfg.timeline().unwrap();
    assert_eq!(
        (timeline.name.as_str(), video.name.as_str()),
        ("pattern", "video")
    );
    assert!(cfg.region_text("audio").unwrap().per_region);
}

#[test]
fn fps_follows_ls_rules() {
    let video = |rate: Option<&str>| ObjectTag {
        name: "video".into(),
        tag: "video".into(),
        value: "$video".into(),
        frame_rate: rate.map(str::to_owned),
    };
    let data = serde_json::json!({"fps": 25, "half": "0.5", "bad": "x"});
    let data = data.as_object().unwrap();
    assert_eq!(LabelConfig::fps(&video(Some("$fps")), data), 25.0);
    assert_eq!(LabelConfig::fps(&video(Some("$half")), data), 2.0);
    assert_eq!(LabelConfig::fps(&video(Some("$bad")), data), 24.0);
    assert_eq!(LabelConfig::fps(&video(Some("$missing")), data), 24.0);
    assert_eq!(LabelConfig::fps(&video(Some("29.97")), data), 29.97);
    assert_eq!(LabelConfig::fps(&video(None), data), 24.0);
}

#[test]
fn generated_configs_parse_and_carry_the_sheet() {
    let cat = catalog(&[
        "Lecture",
        "Questioning",
        "Group work & talk",
        "Демонстрация",
    ]);
    let xml = annotation_config(&cat, &["Teacher".into(), "Student".into()], Some("Speech"));
    assert!(!xml.contains("{{") && !xml.contains("<!--"), "{xml}");
    let cfg = LabelConfig::parse(&xml).unwrap();
    let (timeline, video) = cfg.timeline().unwrap();
    assert_eq!(
        timeline.labels,
        [
            "Lecture",
            "Questioning",
            "Group work & talk",
            "Демонстрация",
            "Speech"
        ]
    );
    assert!(xml.contains(r##"<Label value="Speech" background="#b0b0b0" hotkey="n"/>"##));
    assert_eq!(video.frame_rate.as_deref(), Some("$fps"));
    assert!(cfg.region_text("video").is_some());
    assert_eq!(
        cfg.control("speaker_name").unwrap().labels,
        ["Teacher", "Student"]
    );
    // The speaker lane: a second timeline, never taken for the patterns'.
    assert_eq!(
        cfg.speaker_lane().unwrap().labels,
        ["Teacher", "Student", "Several"]
    );
    assert_eq!(cfg.timeline().unwrap().0.name, "pattern");
    assert!(xml.contains("hotkey=\"1\"") && xml.contains("hotkey=\"4\""));

    let plain = annotation_config(&cat, &[], None);
    let parsed = LabelConfig::parse(&plain).unwrap();
    assert!(parsed.control("speaker_name").is_none());
    assert!(parsed.speaker_lane().is_some());
    assert_eq!(
        parsed.timeline().unwrap().0.labels.len(),
        4,
        "no neutral label"
    );
    // A sheet pattern of the neutral label's name is that pattern, not a second label.
    let own = catalog(&["Lecture", "Speech"]);
    let cfg = LabelConfig::parse(&annotation_config(&own, &[], Some("speech"))).unwrap();
    assert_eq!(cfg.timeline().unwrap().0.labels, ["Lecture", "Speech"]);

    let review = LabelConfig::parse(&review_config(true)).unwrap();
    assert_eq!(
        review.control("verdict").unwrap().labels,
        ["Approve", "Reject"]
    );
    assert_eq!(review.control("crop").unwrap().to_names, ["keyframe"]);
    assert!(LabelConfig::parse(&review_config(false))
        .unwrap()
        .control("crop")
        .is_none());
}

#[test]
fn colours_depend_on_names_not_order() {
    let a = ppi_core::catalog::palette::colours(&["Lecture", "Questioning", "GroupWork"]);
    let b = ppi_core::catalog::palette::colours(&[
        "GroupWork",
        "Lecture",
        "Questioning",
        "Demonstration",
    ]);
    assert_eq!(a[0], b[1]);
    assert_eq!(a[2], b[0]);
    let mut all = b.clone();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "distinct while the palette lasts");
}

#[test]
fn bad_configs_are_named() {
    let e = LabelConfig::parse("<View><Video name=\"v\" value=\"$video\"/><TimelineLabels name=\"p\" toName=\"vid\"/></View>").unwrap_err();
    assert!(e.0.contains("toName=\"vid\""), "{e}");
    assert!(LabelConfig::parse("<View><Video name=\"v\"").is_err());
    assert!(LabelConfig::parse("<Labels name=\"x\" toName=\"y\"/>").is_err());
}
