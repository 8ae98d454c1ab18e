//! Killed, failed and concurrent `ppi dataset build`s leave a consistent folder: every listed
//! item complete, nothing unlisted in view, partial files cleaned by the next run, which
//! reuses every finished item. Also: inputs the user can fix exit 2 naming them, warnings
//! survive `-q`, and variable-frame-rate items' audio covers their clip.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{ffprobe, fixture, index_video, lesson_video, ppi, run, scratch, VideoSpec};
use serde_json::{json, Value};

/// A Label Studio export of one task at `fps` with these (start, end, label) frame ranges.
fn export(path: &Path, fps: f64, lesson: &str, ranges: &[(u64, u64, &str)]) {
    let result: Vec<Value> = ranges
        .iter()
        .enumerate()
        .map(|(i, (s, e, l))| {
            json!({"id": format!("r{i}"), "from_name": "pattern", "to_name": "video",
                   "type": "timelinelabels",
                   "value": {"ranges": [{"start": s, "end": e}], "timelinelabels": [l]}})
        })
        .collect();
    let task = json!([{"id": 1, "data": {"video": "/data/upload/v.mp4", "fps": fps, "lesson_id": lesson},
                       "annotations": [{"id": 1, "result": result, "was_cancelled": false}]}]);
    std::fs::write(path, task.to_string()).unwrap();
}

fn build_cmd(video: &Path, annotations: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = ppi();
    c.args(["dataset", "build", "-q", "--video"])
        .arg(video)
        .arg("--annotations")
        .arg(annotations)
        .arg("--patterns")
        .arg(fixture("patterns.xlsx"))
        .arg("--out")
        .arg(out)
        .args(extra);
    c
}

fn rows(out: &Path) -> Vec<std::collections::HashMap<String, String>> {
    match csv::Reader::from_path(out.join("metadata.csv")) {
        Ok(mut r) => r.deserialize().map(|x| x.unwrap()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The media files in view (not hidden part files), dataset-relative.
fn media_files(out: &Path) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for d in ["videos", "images", "images_cropped", "audio"] {
        if let Ok(entries) = std::fs::read_dir(out.join(d)) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    all.insert(format!("{d}/{name}"));
                }
            }
        }
    }
    all
}

fn part_files(out: &Path) -> usize {
    let mut n = 0;
    for d in ["", "videos", "images", "images_cropped", "audio", ".ppi"] {
        if let Ok(entries) = std::fs::read_dir(out.join(d)) {
            n += entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(".ppi-part"))
                .count();
        }
    }
    n
}

/// Listed items are complete; returns the files in view that no row lists.
fn unlisted(out: &Path) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    for r in rows(out) {
        for col in [
            "video_file",
            "image_file",
            "image_cropped_file",
            "audio_file",
        ] {
            if !r[col].is_empty() {
                assert!(
                    out.join(&r[col]).is_file(),
                    "listed but missing: {}",
                    r[col]
                );
                listed.insert(r[col].clone());
            }
        }
    }
    media_files(out).difference(&listed).cloned().collect()
}

/// Ranges spread over a video of `frames` frames at 25 fps.
fn spread(n: u64, frames: u64) -> Vec<(u64, u64, &'static str)> {
    let step = frames / n;
    (0..n)
        .map(|i| {
            (
                i * step + 1,
                i * step + step - 5,
                ["Lecture", "Questioning"][i as usize % 2],
            )
        })
        .collect()
}

#[test]
fn two_builds_at_once_both_lessons_listed() {
    let dir = scratch();
    let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
    lesson_video(&a);
    std::fs::copy(&a, &b).unwrap();
    let (ea, eb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    export(&ea, 25.0, "lesson-a", &spread(6, 500));
    export(&eb, 25.0, "lesson-b", &spread(6, 500));
    let out = dir.path().join("out");
    let spawn = |v: &Path, e: &Path| {
        build_cmd(v, e, &out, &["--jobs", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (pa, pb) = (spawn(&a, &ea), spawn(&b, &eb));
    for p in [pa, pb] {
        let o = p.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let r = rows(&out);
    let lessons: BTreeSet<&str> = r.iter().map(|x| x["lesson_id"].as_str()).collect();
    assert_eq!(r.len(), 12, "{r:?}");
    assert_eq!(lessons, BTreeSet::from(["lesson-a", "lesson-b"]));
    assert!(unlisted(&out).is_empty());

    // --no-wait refuses while another writer holds the folder; without it, a build waits.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(out.join(".ppi/lock"))
        .unwrap();
    lock.lock().unwrap();
    let (code, _, err) = run(&mut build_cmd(&a, &ea, &out, &["--no-wait"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error[dataset-busy]") && err.contains("another ppi is writing"),
        "{err}"
    );
    let mut waiting = build_cmd(&a, &ea, &out, &[])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "it waits for the lock"
    );
    drop(lock);
    let o = waiting.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_truncated_source_keeps_the_finished_items_listed() {
    let dir = scratch();
    let full = dir.path().join("full.mp4");
    let video = dir.path().join("cut.mp4");
    crate::support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=20",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=20",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-movflags",
        "+faststart",
        "-shortest",
        full.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&full).unwrap();
    std::fs::write(&video, &bytes[..bytes.len() / 2]).unwrap();
    let ann = dir.path().join("a.json");
    export(&ann, 25.0, "cut", &spread(6, 500));
    let out = dir.path().join("out");
    let (code, _, err) = run(&mut build_cmd(&video, &ann, &out, &["--jobs", "2"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[media-corrupt]"), "{err}");
    let listed = rows(&out).len();
    assert!((1..6).contains(&listed), "{listed} of 6 listed");
    assert!(unlisted(&out).is_empty(), "{:?}", unlisted(&out));
    assert_eq!(part_files(&out), 0);
}

#[test]
fn kill_nine_at_any_moment_leaves_listed_items_complete_and_the_rerun_reuses_them() {
    let dir = scratch();
    let video = dir.path().join("long.mp4");
    index_video(
        &video,
        &VideoSpec {
            seconds: 48.0,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: true,
        },
    );
    let ann = dir.path().join("a.json");
    export(&ann, 25.0, "long", &spread(24, 1200));
    let mut total_reused = 0;
    for (k, ms) in [250u64, 700, 1200, 2000, 3000].into_iter().enumerate() {
        let out = dir.path().join(format!("out{k}"));
        let mut child = build_cmd(&video, &ann, &out, &["--jobs", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status();
        let _ = child.wait();
        // Listed items are complete; at most the one item being committed is unlisted.
        let stray = unlisted(&out);
        let stray_items: BTreeSet<String> = stray
            .iter()
            .filter_map(|f| {
                Path::new(f)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .collect();
        assert!(
            stray_items.len() <= 1,
            "killed at {ms} ms: unlisted {stray:?}"
        );
        let listed = rows(&out).len();
        let (code, stdout, err) = run(&mut build_cmd(&video, &ann, &out, &["--json"]));
        assert_eq!(code, 0, "{err}");
        let report: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert!(
            report["reused"].as_u64().unwrap() >= listed as u64,
            "killed at {ms} ms with {listed} listed: {report}"
        );
        total_reused += report["reused"].as_u64().unwrap();
        assert_eq!(rows(&out).len(), 24);
        assert!(unlisted(&out).is_empty());
        assert_eq!(part_files(&out), 0, "partial files cleaned");
    }
    assert!(total_reused > 0, "some kill fell after finished items");
}

#[test]
fn inputs_the_user_can_fix_exit_2_and_name_them() {
    let dir = scratch();
    let video = dir.path().join("v.mp4");
    lesson_video(&video);
    let ann = dir.path().join("a.json");
    export(&ann, 25.0, "v", &[(1, 50, "Lecture")]);
    let missing = dir.path().join("nope.mp4");
    let (code, _, err) = run(&mut build_cmd(&missing, &ann, &dir.path().join("o"), &[]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error[file-not-found]") && err.contains("nope.mp4"),
        "{err}"
    );
    let (code, _, err) = run(ppi().args(["probe"]).arg(&missing));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope.mp4: no such file"), "{err}");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for out in [file.clone(), file.join("under")] {
        let (code, _, err) = run(&mut build_cmd(&video, &ann, &out, &[]));
        assert_eq!(code, 2, "{out:?}: {err}");
        assert!(
            err.contains("error[out-not-a-folder]") && err.contains("a-file"),
            "{err}"
        );
    }
}

#[test]
fn warnings_print_once_also_when_quiet() {
    let dir = scratch();
    let video = dir.path().join("v.mp4");
    lesson_video(&video);
    let ann = dir.path().join("a.json");
    // The task says 30 fps; the file plays at 25.
    export(&ann, 30.0, "v", &[(1, 50, "Lecture")]);
    for quiet in [true, false] {
        let mut c = ppi();
        c.args(["dataset", "build", "--video"])
            .arg(&video)
            .arg("--annotations")
            .arg(&ann)
            .arg("--patterns")
            .arg(fixture("patterns.xlsx"))
            .arg("--out")
            .arg(dir.path().join(format!("o{quiet}")));
        if quiet {
            c.arg("-q");
        }
        let (code, _, err) = run(&mut c);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            err.matches("frame numbers are read at 30 fps").count(),
            1,
            "quiet={quiet}: {err}"
        );
    }
}

#[test]
fn variable_frame_rate_items_have_audio_over_their_clip() {
    let dir = scratch();
    let video = dir.path().join("vfr.mp4");
    let _ = crate::support::vfr_video(&video);
    let ann = dir.path().join("a.json");
    export(
        &ann,
        25.0,
        "vfr",
        &[(300, 375, "Lecture"), (305, 380, "Questioning")],
    );
    let out = dir.path().join("out");
    let (code, _, err) = run(&mut build_cmd(&video, &ann, &out, &[]));
    assert_eq!(code, 0, "{err}");
    for r in rows(&out) {
        let clip: PathBuf = out.join(&r["video_file"]);
        let vdur: f64 = ffprobe(&clip, "v:0", "duration").parse().unwrap();
        let wav: f64 = ffprobe(&out.join(&r["audio_file"]), "a:0", "duration")
            .parse()
            .unwrap();
        let span: f64 = r["clip_end_time"].parse::<f64>().unwrap()
            - r["clip_start_time"].parse::<f64>().unwrap();
        assert!(
            (wav - vdur).abs() <= 0.0215,
            "{}: wav {wav} vs clip {vdur}",
            r["id"]
        );
        assert!(
            (span - vdur).abs() <= 0.002,
            "{}: {span} vs {vdur}",
            r["id"]
        );
    }
}
