//! The best key frame on generated videos (FFmpeg filters): a window that alone is sharp, or
//! alone well exposed, is where the frame is taken; black, blown-out and blurred windows are
//! never chosen; a uniform clip keeps its middle frame exactly. Then `ppi dataset build` with
//! `--key-frame best|middle` records the method, the time and both scores in metadata.csv.
//! Faces: NASA's astronaut photo (public domain, from scikit-image's wheel, fetched by
//! scripts/setup.sh) upright for part of an interval, upside down (same pixels, no frontal
//! face) for the rest: the detector finds it, and the upright window is chosen.

mod support;

use std::path::Path;

use ppi::media::faces::{self, FaceTerm};
use ppi::media::keyframe::Sampling;
use ppi::media::source::Source;
use support::{ffmpeg, scratch};

/// 12 s at 25 fps, 640×360, x264 with B-frames; `vf` shapes the picture over time.
fn video(path: &Path, src: &str, vf: &str) {
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("{src}=s=640x360:r=25:d=12"),
        "-vf",
        vf,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-bf",
        "2",
        "-g",
        "50",
        "-pix_fmt",
        "yuv420p",
        path.to_str().unwrap(),
    ]);
}

/// The chosen time and whether it moved from the middle, for the interval 0–12 s.
fn best(path: &Path) -> (f64, bool) {
    let probe = ppi::media::probe(path).unwrap();
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

fn export(video: &str) -> String {
    serde_json::json!([{
        "id": 1, "data": {"video": format!("/data/{video}"), "fps": 25},
        "annotations": [{"id": 1, "was_cancelled": false, "updated_at": "2026-12-01T10:00:00Z",
            "result": [{"id": "a", "from_name": "pattern", "to_name": "video",
                "type": "timelinelabels", "origin": "manual",
                "value": {"ranges": [{"start": 1, "end": 300}], "timelinelabels": ["Lecture"]}}]}]
    }])
    .to_string()
}

fn csv(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("metadata.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            head.iter()
                .map(String::from)
                .zip(x.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn build_records_the_method_time_and_scores() {
    let dir = scratch();
    let p = dir.path().join("lesson.mp4");
    video(
        &p,
        "testsrc2",
        "boxblur=lr=10:lp=2:enable='not(between(t,8,10))'",
    );
    let ex = dir.path().join("lesson.json");
    std::fs::write(&ex, export("lesson.mp4")).unwrap();
    let mut rows = Vec::new();
    for mode in ["best", "middle"] {
        let out = dir.path().join(mode);
        let (code, _, stderr) = support::run(
            support::ppi()
                .args(["dataset", "build", "--quiet", "--key-frame", mode])
                .arg("--video")
                .arg(&p)
                .arg("--annotations")
                .arg(&ex)
                .arg("--patterns")
                .arg(support::fixture("patterns.xlsx"))
                .arg("--out")
                .arg(&out),
        );
        assert_eq!(code, 0, "{stderr}");
        rows.push(csv(&out).remove(0));
    }
    let (b, m) = (&rows[0], &rows[1]);
    assert_eq!(b["key_frame_method"], "best");
    assert_eq!(m["key_frame_method"], "middle");
    let t: f64 = b["keyframe_time"].parse().unwrap();
    assert!((8.0..=10.0).contains(&t), "{b:?}");
    let (s, ms): (f64, f64) = (
        b["key_frame_score"].parse().unwrap(),
        b["key_frame_middle_score"].parse().unwrap(),
    );
    assert!(s > ms, "{b:?}");
    assert!(
        (m["keyframe_time"].parse::<f64>().unwrap() - 5.98).abs() < 0.05,
        "{m:?}"
    );
}

fn astronaut() -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/fixtures/astronaut.png");
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
    let img = ppi::media::scoring::Gray {
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
    let probe = ppi::media::probe(&p).unwrap();
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
