use super::*;

fn fps(v: f64) -> Fps {
    Fps::new(v).unwrap()
}

#[test]
fn frames_to_seconds_follow_label_studio() {
    let r = FrameRange::new(1, 250).unwrap();
    assert_eq!(r.start_seconds(fps(25.0)), 0.0);
    assert_eq!(r.end_seconds(fps(25.0)), 10.0);
    assert_eq!(r.len(), 250);
    assert_eq!(r.duration_seconds(fps(25.0)), 10.0);
}

#[test]
fn seconds_to_frames_follow_label_studio() {
    let r = FrameRange::from_seconds(3.5, 5.5, fps(30.0)).unwrap();
    assert_eq!((r.start(), r.end()), (106, 165));
    assert_eq!(r.start_seconds(fps(30.0)), 3.5);
    assert_eq!(r.end_seconds(fps(30.0)), 5.5);
    // A float product just below an integer must not fall to the previous frame.
    let r = FrameRange::from_seconds(0.1 * 3.0, 0.7, fps(10.0)).unwrap();
    assert_eq!((r.start(), r.end()), (4, 7));
}

#[test]
fn round_trip_is_identity() {
    for (s, e) in [(1, 1), (1, 2), (7, 300), (251, 400)] {
        let r = FrameRange::new(s, e).unwrap();
        for f in [24.0, 25.0, 29.97, 30.0, 60.0] {
            let back =
                FrameRange::from_seconds(r.start_seconds(fps(f)), r.end_seconds(fps(f)), fps(f))
                    .unwrap();
            assert_eq!(back, r, "fps {f}");
        }
    }
}

#[test]
fn single_click_is_one_frame() {
    let r = FrameRange::new(42, 42).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r.middle_index(), 41);
}

#[test]
fn middle_frame_is_on_screen_at_middle_time() {
    let r = FrameRange::new(1, 250).unwrap();
    // middle time 5.0 s at 25 fps shows 0-based frame 125.
    assert_eq!(r.middle_index(), 125);
    let r = FrameRange::new(106, 165).unwrap();
    assert_eq!(r.middle_index(), 135);
    assert!(r.middle_index() >= r.first_index() && r.middle_index() <= r.last_index());
}

#[test]
fn bad_ranges_are_refused() {
    assert_eq!(
        FrameRange::new(0, 5),
        Err(InvalidRange::BeforeFirstFrame(0))
    );
    assert_eq!(
        FrameRange::new(9, 5),
        Err(InvalidRange::Inverted { start: 9, end: 5 })
    );
    assert!(FrameRange::from_seconds(5.0, 5.0, fps(25.0)).is_err());
    assert!(FrameRange::from_seconds(-1.0, 5.0, fps(25.0)).is_err());
    assert!(FrameRange::from_seconds(f64::NAN, 5.0, fps(25.0)).is_err());
}

#[test]
fn fps_is_validated_and_printed_compactly() {
    assert!(Fps::new(0.0).is_err());
    assert!(Fps::new(f64::INFINITY).is_err());
    assert_eq!(fps(25.0).to_string(), "25");
    assert_eq!(fps(30000.0 / 1001.0).to_string(), "29.97");
}
