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
