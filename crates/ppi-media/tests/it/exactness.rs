//! Frame exactness of clips and key frames, judged by decoding with the `ffmpeg` program.

use crate::support::{frame_indices, image_index, index_video, scratch, VideoSpec};
use ppi_core::domain::{Fps, FrameRange};
use ppi_media::{self as media, ClipMode, ClipRequest, Source};

fn request(r: FrameRange, fps: Fps, mode: ClipMode) -> ClipRequest {
    ClipRequest {
        start: r.start_seconds(fps),
        end: r.end_seconds(fps),
        frame_duration: fps.frame_duration(),
        mode,
    }
}

/// Ranges chosen to start on a keyframe, just before and after one, on B-frames, at the very
/// first and last frames, and as a single frame.
const RANGES: &[(i64, i64)] = &[
    (1, 30),
    (61, 120),
    (60, 61),
    (62, 62),
    (95, 214),
    (100, 101),
    (301, 360),
    (7, 7),
];

#[test]
fn accurate_clips_present_exactly_the_interval() {
    let dir = scratch();
    let video = dir.path().join("index video.mp4");
    index_video(&video, &VideoSpec::default());
    let probe = media::probe(&video).unwrap();
    let fps = Fps::new(probe.video.fps).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    for &(s, e) in RANGES {
        let r = FrameRange::new(s, e).unwrap();
        let out = dir.path().join(format!("clip_{s}_{e}.mp4"));
        let got = src
            .cut_clip(&request(r, fps, ClipMode::Accurate), &out)
            .unwrap();
        let idx = frame_indices(&out);
        let want: Vec<u32> = (r.first_index() as u32..=r.last_index() as u32).collect();
        assert_eq!(idx, want, "range {s}..={e}");
        assert_eq!(got.frames, r.len(), "range {s}..={e}");
        assert!((got.start - r.start_seconds(fps)).abs() < 1e-6);
        assert!((got.end - r.end_seconds(fps)).abs() < 1e-6);
        // The audio track is cut to the same span.
        let adur: f64 = crate::support::ffprobe(&out, "a:0", "duration")
            .parse()
            .unwrap();
        assert!(
            (adur - r.duration_seconds(fps)).abs() < 0.05,
            "audio {adur} for {s}..={e}"
        );
    }
}

#[test]
fn copy_clips_start_on_a_keyframe_and_cover_the_interval() {
    let dir = scratch();
    let video = dir.path().join("v.mp4");
    index_video(&video, &VideoSpec::default());
    let probe = media::probe(&video).unwrap();
    let fps = Fps::new(probe.video.fps).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    for &(s, e) in RANGES {
        let r = FrameRange::new(s, e).unwrap();
        let out = dir.path().join(format!("copy_{s}_{e}.mp4"));
        let got = src
            .cut_clip(&request(r, fps, ClipMode::Copy), &out)
            .unwrap();
        let idx = frame_indices(&out);
        let first = idx[0];
        assert_eq!(first % 60, 0, "starts on a keyframe: {idx:?}");
        assert!(first as u64 <= r.first_index() && *idx.last().unwrap() as u64 >= r.last_index());
        assert!(
            (got.start - f64::from(first) / 30.0).abs() < 1e-6,
            "real start recorded"
        );
        assert_eq!(got.frames as usize, idx.len());
        let adur: f64 = crate::support::ffprobe(&out, "a:0", "duration")
            .parse()
            .unwrap();
        assert!(
            (adur - (got.end - got.start)).abs() < 0.05,
            "audio {adur} vs {got:?}"
        );
    }
}

#[test]
fn reencoded_clips_hold_exactly_the_interval_without_edit_lists() {
    let dir = scratch();
    let video = dir.path().join("v.mp4");
    index_video(&video, &VideoSpec::default());
    let probe = media::probe(&video).unwrap();
    let fps = Fps::new(probe.video.fps).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    for &(s, e) in &[(61, 120), (95, 214), (7, 7)] {
        let r = FrameRange::new(s, e).unwrap();
        let out = dir.path().join(format!("re_{s}_{e}.mp4"));
        src.cut_clip(&request(r, fps, ClipMode::Reencode), &out)
            .unwrap();
        let want: Vec<u32> = (r.first_index() as u32..=r.last_index() as u32).collect();
        assert_eq!(frame_indices(&out), want, "range {s}..={e}");
    }
}

#[test]
fn key_frames_are_the_exact_middle_frame() {
    let dir = scratch();
    let video = dir.path().join("v.mp4");
    index_video(&video, &VideoSpec::default());
    let probe = media::probe(&video).unwrap();
    let fps = Fps::new(probe.video.fps).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    for &(s, e) in RANGES {
        let r = FrameRange::new(s, e).unwrap();
        let mid = r.middle_index();
        let kf = src
            .frame_at(
                ppi_core::domain::frames::index_seconds(mid, fps),
                fps.frame_duration(),
            )
            .unwrap();
        let out = dir.path().join(format!("kf_{s}_{e}.jpg"));
        kf.image.save_jpeg(&out, 95).unwrap();
        assert_eq!(u64::from(image_index(&out)), mid, "range {s}..={e}");
    }
}

#[test]
fn variable_frame_rate_maps_times_to_the_frames_on_screen() {
    let dir = scratch();
    let video = dir.path().join("vfr.mp4");
    let on_screen = crate::support::vfr_video(&video);
    let probe = media::probe(&video).unwrap();
    // Label Studio numbers frames at the task's 25 fps, whatever the file does.
    let fps = Fps::new(25.0).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    // The interval (middle 13.48 s, on screen: the 10 fps frame at 13.4 s), and one
    // whose start (12.16 s) falls inside a 10 fps frame shown from 12.1 s.
    for &(s, e) in &[(300, 375), (305, 380), (20, 40)] {
        let r = FrameRange::new(s, e).unwrap();
        let mid = ppi_core::domain::frames::index_seconds(r.middle_index(), fps);
        let kf = src.frame_at(mid, fps.frame_duration()).unwrap();
        let jpg = dir.path().join(format!("kf_{s}.jpg"));
        kf.image.save_jpeg(&jpg, 95).unwrap();
        assert_eq!(
            image_index(&jpg),
            on_screen(mid),
            "key frame at {mid} s ({s}..{e})"
        );

        let out = dir.path().join(format!("clip_{s}.mp4"));
        let got = src
            .cut_clip(&request(r, fps, ClipMode::Accurate), &out)
            .unwrap();
        let idx = frame_indices(&out);
        let (start, end) = (r.start_seconds(fps), r.end_seconds(fps));
        assert_eq!(idx[0], on_screen(start), "first frame of {s}..{e}: {idx:?}");
        assert_eq!(
            *idx.last().unwrap(),
            on_screen(end - 0.001),
            "last frame of {s}..{e}: {idx:?}"
        );
        // The clip's own audio covers the clip's span, within one AAC frame (21 ms).
        let vdur: f64 = crate::support::ffprobe(&out, "v:0", "duration")
            .parse()
            .unwrap();
        let adur: f64 = crate::support::ffprobe(&out, "a:0", "duration")
            .parse()
            .unwrap();
        assert!(
            (vdur - (got.end - got.start)).abs() < 0.002,
            "{vdur} vs {got:?}"
        );
        assert!(
            (adur - vdur).abs() <= 0.0215 + 1e-6,
            "audio {adur} vs video {vdur}"
        );
    }
}
