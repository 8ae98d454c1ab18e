//! Bad input: each case exits non-zero with a stable code and a message naming the file,
//! field or line, and leaves no half-written output behind.

use std::path::{Path, PathBuf};

use crate::support::{ffmpeg, fixture, lesson_video, ppi, run, scratch};

struct Case {
    video: PathBuf,
    annotations: PathBuf,
    patterns: PathBuf,
}

fn build(c: &Case, out: &Path) -> (i32, String, String) {
    run(ppi()
        .args(["dataset", "build", "--video"])
        .arg(&c.video)
        .arg("--annotations")
        .arg(&c.annotations)
        .arg("--patterns")
        .arg(&c.patterns)
        .arg("--out")
        .arg(out)
        .args(["--task", "1"]))
}

/// Nothing user-visible may exist after a refused build: no media, no metadata, no temp files.
fn assert_nothing_written(out: &Path) {
    if !out.exists() {
        return;
    }
    for entry in walk(out) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            entry.starts_with(out.join(".ppi")) && !name.contains("ppi-part"),
            "left behind: {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn good(dir: &Path) -> Case {
    let video = dir.join("lesson-001.mp4");
    if !video.exists() {
        lesson_video(&video);
    }
    Case {
        video,
        annotations: fixture("export_lesson-001.json"),
        patterns: fixture("patterns.xlsx"),
    }
}

fn expect_refusal(c: &Case, out: &Path, code: &str, mentions: &[&str]) {
    let (status, stdout, stderr) = build(c, out);
    assert_eq!(status, 2, "exit status for {code}: {stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("error[{code}]")),
        "code {code} in: {stderr}"
    );
    for m in mentions {
        assert!(stderr.contains(m), "{m:?} in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_nothing_written(out);
}

#[test]
fn broken_videos_are_refused_with_the_file_named() {
    let dir = scratch();
    let good_case = good(dir.path());

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    expect_refusal(
        &Case {
            video: empty,
            ..good(dir.path())
        },
        &dir.path().join("o1"),
        "media-empty",
        &["empty.mp4"],
    );

    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, vec![0x42u8; 50_000]).unwrap();
    expect_refusal(
        &Case {
            video: junk,
            ..good(dir.path())
        },
        &dir.path().join("o2"),
        "media-unreadable",
        &["junk.mp4"],
    );

    // Truncated: the index (moov at the end) is cut off.
    let bytes = std::fs::read(&good_case.video).unwrap();
    let cut = dir.path().join("truncated.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    expect_refusal(
        &Case {
            video: cut,
            ..good(dir.path())
        },
        &dir.path().join("o3"),
        "media-unreadable",
        &["truncated.mp4"],
    );

    // Truncated with the index first (faststart): the index promises data that is missing.
    let fast = dir.path().join("faststart.mp4");
    ffmpeg(&[
        "-i",
        good_case.video.to_str().unwrap(),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        fast.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&fast).unwrap();
    let cut = dir.path().join("truncated-fast.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 5]).unwrap();
    let out = dir.path().join("o4");
    let (status, _, stderr) = build(
        &Case {
            video: cut,
            ..good(dir.path())
        },
        &out,
    );
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains("error[media-corrupt]") && stderr.contains("truncated-fast.mp4"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    // Items finished before the failure are complete and listed; nothing is half-written.
    for f in walk(&out) {
        assert!(!f.to_string_lossy().contains("ppi-part"), "{}", f.display());
    }
    if out.join("metadata.csv").exists() {
        let mut r = csv::Reader::from_path(out.join("metadata.csv")).unwrap();
        for row in r.deserialize::<std::collections::HashMap<String, String>>() {
            let row = row.unwrap();
            assert!(
                out.join(&row["video_file"]).is_file() && out.join(&row["audio_file"]).is_file()
            );
        }
    }

    let audio_only = dir.path().join("speech.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=d=3",
        "-c:a",
        "aac",
        audio_only.to_str().unwrap(),
    ]);
    expect_refusal(
        &Case {
            video: audio_only,
            ..good(dir.path())
        },
        &dir.path().join("o5"),
        "media-no-video-stream",
        &["speech.m4a"],
    );

    let still = dir.path().join("frame.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=64x48:d=1",
        "-frames:v",
        "1",
        still.to_str().unwrap(),
    ]);
    expect_refusal(
        &Case {
            video: still,
            ..good(dir.path())
        },
        &dir.path().join("o6"),
        "media-not-a-video",
        &["frame.jpg"],
    );
}

fn export_with(dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("export_lesson-001.json")).unwrap()).unwrap();
    edit(&mut v);
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    p
}

#[test]
fn bad_annotations_name_the_field() {
    let dir = scratch();
    let base = good(dir.path());

    // Past the end of the 20 s video (500 frames at 25 fps): all offenders listed together.
    let outside = export_with(dir.path(), "outside.json", |v| {
        v[0]["annotations"][1]["result"][1]["value"]["ranges"][0]["end"] = 900.into();
        v[0]["annotations"][1]["result"][2]["value"]["ranges"][0]["start"] = 700.into();
        v[0]["annotations"][1]["result"][2]["value"]["ranges"][0]["end"] = 800.into();
    });
    expect_refusal(
        &Case {
            annotations: outside,
            ..good(dir.path())
        },
        &dir.path().join("o1"),
        "interval-outside-video",
        &[
            "outside.json",
            "2 interval(s)",
            "[0].annotations[1].result[1]",
            "[0].annotations[1].result[2]",
            "20.000 s",
        ],
    );

    let inverted = export_with(dir.path(), "inverted.json", |v| {
        v[0]["annotations"][1]["result"][0]["value"]["ranges"][0]["start"] = 200.into();
    });
    expect_refusal(
        &Case {
            annotations: inverted,
            ..good(dir.path())
        },
        &dir.path().join("o2"),
        "annotations-invalid",
        &[
            "inverted.json",
            "[0].annotations[1].result[0].value.ranges[0]",
            "inverted",
        ],
    );

    let unknown = export_with(dir.path(), "unknown.json", |v| {
        v[0]["annotations"][1]["result"][0]["value"]["timelinelabels"][0] = "Lectur".into();
        v[0]["annotations"][1]["result"][1]["value"]["timelinelabels"][0] = "Group work!".into();
        v[0]["annotations"][1]["result"][2]["value"]["timelinelabels"][0] = "Nonsense".into();
    });
    expect_refusal(
        &Case {
            annotations: unknown,
            ..good(dir.path())
        },
        &dir.path().join("o3"),
        "annotations-unknown-labels",
        &[
            "3 label(s)",
            "\"Lectur\" (closest: \"Lecture\"",
            "\"Group work!\" (closest: \"GroupWork\"",
            "\"Nonsense\"",
        ],
    );

    let malformed = dir.path().join("malformed.json");
    std::fs::write(
        &malformed,
        "[\n  {\"id\": 1,\n   \"data\": {\"video\": \"x.mp4\",}\n  }\n]",
    )
    .unwrap();
    expect_refusal(
        &Case {
            annotations: malformed,
            ..good(dir.path())
        },
        &dir.path().join("o4"),
        "annotations-malformed-json",
        &["malformed.json: line 3"],
    );

    let sheet = Case {
        patterns: fixture("patterns_missing_column.xlsx"),
        ..good(dir.path())
    };
    expect_refusal(
        &sheet,
        &dir.path().join("o5"),
        "patterns-missing-column",
        &["patterns_missing_column.xlsx", "\"notes\"", "description"],
    );

    let missing = Case {
        annotations: dir.path().join("nope.json"),
        ..good(dir.path())
    };
    expect_refusal(
        &missing,
        &dir.path().join("o6"),
        "annotations-unreadable",
        &["nope.json"],
    );
    drop(base);
}

#[test]
fn russian_headers_and_csv_sheets_are_accepted() {
    for sheet in ["patterns_ru.xlsx", "patterns.csv"] {
        let c = ppi_core::catalog::sheet::load(&fixture(sheet)).unwrap();
        assert_eq!(c.len(), 4, "{sheet}");
        assert!(c.lookup("group work").is_some());
    }
}

/// `ppi draft` and `ppi activity` name the transcript that is missing or is not one, and
/// `ppi draft` asks for a patterns sheet when none is given or configured.
#[test]
fn drafts_and_activity_name_a_bad_transcript() {
    use crate::support::{fixture, ppi, run, scratch};
    let dir = scratch();
    let missing = dir.path().join("missing.json");
    let not_one = dir.path().join("export.json");
    std::fs::write(&not_one, "[{\"id\": 1}]").unwrap();
    let sheet = fixture("patterns.xlsx");
    let sheet = sheet.to_str().unwrap();
    for args in [vec!["activity"], vec!["draft", "--patterns", sheet]] {
        let (code, _, err) = run(ppi().args(&args).arg(&missing));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("missing.json") && err.contains("cannot read"),
            "{err}"
        );
        let (code, _, err) = run(ppi().args(&args).arg(&not_one));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("export.json") && err.contains("not a transcript (line 1"),
            "{args:?}: {err}"
        );
    }
    let (code, _, err) = run(ppi().arg("draft").arg(&not_one).env_remove("PPI_PATTERNS"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no patterns sheet"), "{err}");
}
