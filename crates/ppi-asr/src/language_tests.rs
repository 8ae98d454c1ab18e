use super::*;

#[test]
fn parses_auto_forced_and_lists() {
    assert_eq!(
        "auto".parse::<LanguageChoice>().unwrap(),
        LanguageChoice::Auto
    );
    assert_eq!("".parse::<LanguageChoice>().unwrap(), LanguageChoice::Auto);
    assert_eq!(
        " RU ".parse::<LanguageChoice>().unwrap(),
        LanguageChoice::Forced("ru".into())
    );
    assert_eq!(
        "en,ru".parse::<LanguageChoice>().unwrap(),
        LanguageChoice::AutoAmong(vec!["en".into(), "ru".into()])
    );
}

#[test]
fn unknown_codes_are_refused() {
    let e = "xx".parse::<LanguageChoice>().unwrap_err();
    assert!(e.to_string().contains("\"xx\""));
    assert!("en,klingon".parse::<LanguageChoice>().is_err());
}

#[test]
fn a_candidate_on_top_wins_and_an_unsure_detector_sets_english_aside() {
    let c = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let probs = |en: f32, ru: f32| {
        move |code: &str| match code {
            "en" => en,
            "ru" => ru,
            _ => 0.0,
        }
    };
    // Confident: the top language is a candidate.
    assert_eq!(
        choose_among(&c(&["en", "ru"]), probs(0.9, 0.01), Some("en")).as_deref(),
        Some("en")
    );
    assert_eq!(
        choose_among(&c(&["en", "ru"]), probs(0.01, 0.4), Some("ru")).as_deref(),
        Some("ru")
    );
    // Unsure (Sinhala on top, English slightly ahead of Russian): not English.
    assert_eq!(
        choose_among(&c(&["en", "ru"]), probs(0.042, 0.010), Some("si")).as_deref(),
        Some("ru")
    );
    // Without English among the candidates, the most probable one.
    let pr = |code: &str| if code == "uk" { 0.2 } else { 0.1 };
    assert_eq!(
        choose_among(&c(&["ru", "uk"]), pr, Some("pl")).as_deref(),
        Some("uk")
    );
    // English alone: English.
    assert_eq!(
        choose_among(&c(&["en"]), probs(0.1, 0.0), Some("de")).as_deref(),
        Some("en")
    );
}
