use super::*;

fn word(start: f64, end: f64, text: &str) -> Word {
    Word {
        start,
        end,
        text: text.into(),
        probability: 0.9,
    }
}

fn sample() -> Transcript {
    let mut t = Transcript {
        model: "ggml-base-q8_0.bin".into(),
        duration: 20.0,
        segments: vec![
            Segment {
                start: 1.0,
                end: 3.0,
                text: " Open your books.".into(),
                language: "en".into(),
                avg_logprob: -0.2,
                no_speech_prob: 0.01,
                words: vec![
                    word(1.0, 1.4, " Open"),
                    word(1.4, 1.8, " your"),
                    word(1.8, 3.0, " books."),
                ],
                ..Segment::default()
            },
            Segment {
                start: 10.0,
                end: 14.0,
                text: " Откройте учебники.".into(),
                language: "ru".into(),
                avg_logprob: -0.3,
                no_speech_prob: 0.02,
                ..Segment::default()
            },
        ],
        ..Transcript::default()
    };
    t.summarize_languages();
    t
}

#[test]
fn language_summary_is_by_speech_time() {
    let t = sample();
    assert_eq!(t.language, "ru");
    assert_eq!(t.languages, vec![("ru".into(), 4.0), ("en".into(), 2.0)]);
    assert_eq!(t.text(), "Open your books. Откройте учебники.");
}

#[test]
fn slicing_keeps_words_inside_and_shifts_times() {
    let t = sample().slice(1.5, 11.0);
    assert_eq!(t.segments.len(), 1, "the Russian segment is mostly outside");
    assert_eq!(t.segments[0].text, "your books.");
    assert!((t.segments[0].start - 0.0).abs() < 1e-9);
    assert_eq!(t.language, "en");
    let t = sample().slice(9.0, 15.0);
    assert_eq!(t.segments[0].text, " Откройте учебники.");
    assert!((t.segments[0].start - 1.0).abs() < 1e-9);
}

#[test]
fn vtt_is_well_formed() {
    let vtt = sample().to_vtt();
    assert!(
        vtt.starts_with("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nOpen your books.\n"),
        "{vtt}"
    );
    assert_eq!(vtt_time(3725.5), "01:02:05.500");
}

#[test]
fn split_characters_are_rejoined() {
    let word = "Привет".as_bytes();
    let mut c = Utf8Carry::default();
    // Split inside the second letter (each Cyrillic letter is two bytes).
    let a = c.push(&word[..3]);
    let b = c.push(&word[3..]);
    assert_eq!(format!("{a}{b}"), "Привет");
    assert_eq!(c.finish(), "");
    let mut c = Utf8Carry::default();
    assert_eq!(c.push(&[b'a', 0xff, b'b']), "a\u{fffd}b");
    assert_eq!(c.push(&[0xd0]), "");
    assert_eq!(c.finish(), "\u{fffd}");
}
