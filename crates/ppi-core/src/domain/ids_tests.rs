use super::*;

#[test]
fn slugs_are_ascii_and_transliterated() {
    assert_eq!(slug("Урок 3 (физика)", "lesson"), "urok-3-fizika");
    assert_eq!(slug("  Lesson__03.mp4 ", "lesson"), "lesson-03-mp4");
    assert_eq!(slug("???", "lesson"), "lesson");
    assert_eq!(slug("Щука ёж", "x"), "shhuka-yozh");
}

#[test]
fn split_words_are_rewritten() {
    assert_eq!(slug("test lesson", "x"), "tst-lesson");
    assert_eq!(slug("lesson_train_01", "x"), "lesson-trn-01");
    assert_eq!(guard_split_words("a_dev3"), "a_dv3");
    // Words merely containing a split word are left alone.
    assert_eq!(slug("contest attestation", "x"), "contest-attestation");
    assert!(has_split_word("clip_test1.wav"));
    assert!(!has_split_word("lesson01_clip000.wav"));
}

#[test]
fn slugs_are_bounded() {
    let long = "a".repeat(200);
    assert_eq!(slug(&long, "x").len(), MAX_SLUG_LEN);
}

#[test]
fn item_ids_are_stable_and_safe() {
    let r = FrameRange::new(106, 165).unwrap();
    let id = ItemId::new("urok-3", r, None);
    assert_eq!(id.as_str(), "urok-3_000106-000165");
    assert_eq!(
        ItemId::new("urok-3", r, Some("Вопрос")).as_str(),
        "urok-3_000106-000165_vopros"
    );
    assert!(ItemId::parse(id.as_str()).is_some());
    assert!(ItemId::parse("../etc").is_none());
    assert!(ItemId::parse(".hidden").is_none());
    assert!(!has_split_word(id.as_str()));
}
