use super::*;

fn catalog() -> PatternCatalog {
    PatternCatalog::new(
        [
            "Lecture",
            "Questioning",
            "GroupWork",
            "Demonstration",
            "Вопрос-ответ",
        ]
        .iter()
        .map(|n| Pattern {
            name: (*n).to_owned(),
            description: format!("about {n}"),
            keywords: vec![],
            fallback: false,
        })
        .collect(),
    )
    .unwrap()
}

#[test]
fn lookup_is_forgiving_about_case_and_spacing() {
    let c = catalog();
    assert_eq!(c.lookup("Lecture").unwrap().name, "Lecture");
    assert_eq!(c.lookup(" group work ").unwrap().name, "GroupWork");
    assert_eq!(c.lookup("ВОПРОС ОТВЕТ").unwrap().name, "Вопрос-ответ");
    assert!(c.lookup("Lectur").is_none());
}

#[test]
fn unknown_labels_are_reported_together_with_suggestions() {
    let err = catalog()
        .check(["Lecture", "Lectur", "Demo", "Lectur", "zzzzzz"])
        .unwrap_err();
    assert_eq!(err.labels.len(), 3);
    assert_eq!(err.labels[0].0, "Lectur");
    assert_eq!(err.labels[0].1[0], "Lecture");
    assert_eq!(err.labels[1].1[0], "Demonstration");
    assert!(err.labels[2].1.is_empty());
    let text = err.to_string();
    assert!(text.contains("\"Lectur\" (closest: \"Lecture\""), "{text}");
}

#[test]
fn duplicates_are_refused() {
    let dup = PatternCatalog::new(vec![
        Pattern {
            name: "Group Work".into(),
            description: String::new(),
            keywords: vec![],
            fallback: false,
        },
        Pattern {
            name: "groupwork".into(),
            description: String::new(),
            keywords: vec![],
            fallback: false,
        },
    ]);
    assert!(dup.is_err());
}
