//! The best key frame on generated videos (FFmpeg filters): a window that alone is sharp, or
//! alone well exposed, is where the frame is taken; black, blown-out and blurred windows are
//! never chosen; a uniform clip keeps its middle frame exactly. Faces: NASA's astronaut photo (public domain, from scikit-image's wheel, fetched by
//! scripts/setup.sh) upright for part of an interval, upside down (same pixels, no frontal
//! face) for the rest: the detector finds it, and the upright window is chosen.

use std::path::Path;

use crate::support::{ffmpeg, pattern_video as video, scratch, workspace_root};
use ppi_media::faces::{self, FaceTerm};
use ppi_media::keyframe::Sampling;
use ppi_media::source::Source;

/// The chosen time and whether it moved from the middle, for the interval 0–12 s.
fn best(path: &Path) -> (f64, bool) {
    let probe = ppi_media::probe(path).unwrap();
    let mut src = Source::open(path, &probe).unwrap();
    let c = src.best_time(0.0, 12.0, 6.0, &Sampling::default()).unwrap();
    assert!(c.score >= c.middle_score);
    (c.time, c.sample.is_some())
}

#[test]
fn the_only_sharp_window_is_chosen() {
    let dir = scratch();
    let p = dir.path().join("sharp.mp4");
    // Blurred everywhere but 8–10 s.
    video(
        &p,
        "testsrc2",
        "boxblur=lr=10:lp=2:enable='not(between(t,8,10))'",
    );
    let (t, moved) = best(&p);
    assert!(moved && (8.0..=10.0).contains(&t), "chose {t:.2} s");
}

#[test]
fn the_only_well_exposed_window_is_chosen() {
    let dir = scratch();
    let p = dir.path().join("exposed.mp4");
    // Dark and flat everywhere but 2–4 s.
    video(
        &p,
        "testsrc2",
        "eq=brightness=-0.45:contrast=0.3:enable='not(between(t,2,4))'",
    );
    let (t, moved) = best(&p);
    assert!(moved && (2.0..=4.0).contains(&t), "chose {t:.2} s");
}

#[test]
fn black_blown_out_and_blurred_middles_are_never_chosen() {
    let dir = scratch();
    for (name, vf) in [
        (
            "black",
            "drawbox=c=black:t=fill:enable='between(t,4.5,7.5)'",
        ),
        (
            "white",
            "drawbox=c=white:t=fill:enable='between(t,4.5,7.5)'",
        ),
        ("blur", "boxblur=lr=12:lp=2:enable='between(t,4.5,7.5)'"),
    ] {
        let p = dir.path().join(format!("{name}.mp4"));
        video(&p, "testsrc2", vf);
        let (t, moved) = best(&p);
        assert!(moved && !(4.5..=7.5).contains(&t), "{name}: chose {t:.2} s");
    }
}

#[test]
fn a_uniform_clip_keeps_the_middle_frame() {
    let dir = scratch();
    let p = dir.path().join("still.mp4");
    video(&p, "smptebars", "null");
    let (t, moved) = best(&p);
    assert!(!moved && t == 6.0, "chose {t:.2} s");
}

fn astronaut() -> std::path::PathBuf {
    let p = workspace_root().join(".venv/fixtures/astronaut.png");
    assert!(
        p.is_file(),
        "{}: run scripts/setup.sh (it extracts it from scikit-image's wheel)",
        p.display()
    );
    p
}

#[test]
fn a_face_is_found_and_its_window_is_chosen() {
    let dir = scratch();
    // The photo alone, as a small grayscale image: one face.
    let raw = dir.path().join("face.gray");
    ffmpeg(&[
        "-i",
        astronaut().to_str().unwrap(),
        "-vf",
        "scale=320:320,format=gray",
        "-f",
        "rawvideo",
        raw.to_str().unwrap(),
    ]);
    let img = ppi_media::scoring::Gray {
        width: 320,
        height: 320,
        data: std::fs::read(&raw).unwrap(),
    };
    let found = faces::detect(&img);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut flipped = img.clone();
    flipped.data = img.data.chunks(320).rev().flatten().copied().collect();
    assert!(
        faces::detect(&flipped).is_empty(),
        "an upside-down face is not frontal"
    );

    // Upright 8–10 s, upside down otherwise, over a moving test pattern.
    let p = dir.path().join("face.mp4");
    ffmpeg(&[
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=12", "-loop", "1", "-i", astronaut().to_str().unwrap(),
        "-filter_complex",
        "[1]scale=340:340,split[a][b];[b]vflip[f];[0][f]overlay=40:10:enable='not(between(t,8,10))'[x];[x][a]overlay=40:10:enable='between(t,8,10)'",
        "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "50", "-pix_fmt", "yuv420p",
        p.to_str().unwrap(),
    ]);
    let probe = ppi_media::probe(&p).unwrap();
    let mut src = Source::open(&p, &probe).unwrap();
    let s = Sampling {
        term: Some(&FaceTerm),
        ..Sampling::default()
    };
    let c = src.best_time(0.0, 12.0, 6.0, &s).unwrap();
    assert!(
        c.sample.is_some() && (8.0..=10.0).contains(&c.time),
        "chose {:.2} s",
        c.time
    );
}
