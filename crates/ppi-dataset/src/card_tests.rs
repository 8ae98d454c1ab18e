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
