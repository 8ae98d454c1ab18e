use super::*;

fn tone(seconds: f64, amp: f32) -> Vec<f32> {
    (0..(seconds * RATE) as usize)
        .map(|i| amp * (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / 16_000.0).sin())
        .collect()
}

fn silence(seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * RATE) as usize]
}

#[test]
fn finds_speech_between_silences() {
    let audio = [
        silence(2.0),
        tone(1.5, 0.3),
        silence(3.0),
        tone(0.8, 0.3),
        silence(1.0),
    ]
    .concat();
    let r = speech_regions(&audio, &VadParams::default());
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        (r[0].start - 1.8).abs() < 0.05 && (r[0].end - 3.7).abs() < 0.05,
        "{r:?}"
    );
    assert!(
        (r[1].start - 6.3).abs() < 0.05 && (r[1].end - 7.5).abs() < 0.05,
        "{r:?}"
    );
}

#[test]
fn silence_and_noise_floor_yield_nothing() {
    assert!(speech_regions(&silence(10.0), &VadParams::default()).is_empty());
    assert!(speech_regions(&[], &VadParams::default()).is_empty());
    // Steady quiet hum: below the absolute level.
    assert!(speech_regions(&tone(5.0, 0.002), &VadParams::default()).is_empty());
    // Clicks shorter than min_speech are dropped.
    let clicks = [silence(1.0), tone(0.06, 0.5), silence(1.0)].concat();
    assert!(speech_regions(&clicks, &VadParams::default()).is_empty());
}

#[test]
fn short_pauses_do_not_split_a_region() {
    let audio = [tone(1.0, 0.3), silence(0.2), tone(1.0, 0.3)].concat();
    assert_eq!(speech_regions(&audio, &VadParams::default()).len(), 1);
}

#[test]
fn chunks_respect_gaps_and_length() {
    let r = vec![
        Span {
            start: 0.0,
            end: 5.0,
        },
        Span {
            start: 5.5,
            end: 10.0,
        },
        Span {
            start: 13.0,
            end: 14.0,
        },
        Span {
            start: 20.0,
            end: 85.0,
        },
    ];
    let c = chunks(&r, 28.0, 1.0);
    assert_eq!(
        c[0],
        Span {
            start: 0.0,
            end: 10.0
        }
    );
    assert_eq!(
        c[1],
        Span {
            start: 13.0,
            end: 14.0
        }
    );
    assert!(c[2..].iter().all(|s| s.duration() <= 28.0 + 1e-9));
    assert!((c.last().unwrap().end - 85.0).abs() < 1e-9);
}

#[test]
fn intersection_keeps_only_requested_spans() {
    let r = vec![
        Span {
            start: 0.0,
            end: 10.0,
        },
        Span {
            start: 20.0,
            end: 30.0,
        },
    ];
    let w = vec![Span {
        start: 5.0,
        end: 22.0,
    }];
    assert_eq!(
        intersect(&r, &w),
        vec![
            Span {
                start: 5.0,
                end: 10.0
            },
            Span {
                start: 20.0,
                end: 22.0
            }
        ]
    );
}

#[test]
fn streaming_levels_match_one_shot() {
    let audio = [silence(1.0), tone(1.5, 0.3), silence(2.0)].concat();
    let mut l = FrameLevels::default();
    for piece in audio.chunks(1234) {
        l.push(piece);
    }
    assert_eq!(
        l.regions(&VadParams::default()),
        speech_regions(&audio, &VadParams::default())
    );
}

#[test]
fn continuous_speech_is_not_taken_for_noise() {
    // No silence at all: every frame is speech.
    let audio = tone(10.0, 0.1);
    let r = speech_regions(&audio, &VadParams::default());
    assert_eq!(r.len(), 1);
    assert!(r[0].start < 0.05 && r[0].end > 9.95, "{r:?}");
    // Speech over steady room noise 25 dB below it.
    let noise: Vec<f32> = (0..160_000)
        .map(|i| 0.006 * (((i * 7919) % 1000) as f32 / 500.0 - 1.0))
        .collect();
    let mixed: Vec<f32> = noise
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if (32_000..96_000).contains(&i) {
                n + 0.2 * (i as f32 * 0.0864).sin()
            } else {
                *n
            }
        })
        .collect();
    let r = speech_regions(&mixed, &VadParams::default());
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(
        (r[0].start - 1.8).abs() < 0.1 && (r[0].end - 6.2).abs() < 0.1,
        "{r:?}"
    );
}
