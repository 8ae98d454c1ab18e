//! `ppi speakers` on synthetic lessons with known truth (tests/speakers/make_lesson.py: a
//! teacher and four students, distinct espeak-ng voices, English and Russian, overlaps,
//! classroom noise at 10-20 dB SNR), scored with pyannote.metrics (tests/speakers/score.py);
//! `ppi models list`; bad input.

use std::path::Path;

use crate::support::{ppi, python, run, scratch, workspace_root};

/// Makes a lesson and scores PPI's turns on it; returns the scorer's figures.
fn score(dir: &Path, lang: &str, seed: u32, snr: u32, overlap: f64) -> serde_json::Value {
    let root = workspace_root();
    let lesson = dir.join(format!("{lang}-{seed}"));
    let made = std::process::Command::new(python())
        .arg(root.join("tests/speakers/make_lesson.py"))
        .arg(&lesson)
        .args(["--lang", lang, "--seconds", "180"])
        .args(["--seed", &seed.to_string(), "--snr", &snr.to_string()])
        .args(["--overlap", &overlap.to_string()])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = lesson.join("ppi.json");
    let (code, stdout, stderr) = run(ppi()
        .arg("speakers")
        .arg(lesson.join("lesson.wav"))
        .args(["--format", "json", "--threads", "1", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let scored = std::process::Command::new(python())
        .arg(root.join("tests/speakers/score.py"))
        .arg(lesson.join("truth.json"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        scored.status.success(),
        "{}",
        String::from_utf8_lossy(&scored.stderr)
    );
    serde_json::from_slice(&scored.stdout).unwrap()
}

#[test]
fn synthetic_lessons_meet_the_targets_in_english_and_russian() {
    let dir = scratch();
    let mut failures = Vec::new();
    eprintln!(
        "lesson  SNR  DER   (collar 0.25)  teacher share (truth)  role accuracy  speakers (truth)"
    );
    for lang in ["en", "ru"] {
        for (seed, snr) in [(1, 10), (2, 20), (3, 15)] {
            let s = score(dir.path(), lang, seed, snr, 0.4);
            let f = |k: &str| s[k].as_f64().unwrap();
            eprintln!(
                "{lang}-{seed}  {snr:>3}  {:.3} ({:.3})        {:.3} ({:.3})          {:.3}          {} ({})",
                f("der"),
                f("der_collar"),
                f("teacher_share"),
                f("teacher_share_truth"),
                f("role_accuracy"),
                s["speakers"],
                s["speakers_truth"]
            );
            if f("der") > 0.15 {
                failures.push(format!("{lang}-{seed}: DER {:.3} > 0.15", f("der")));
            }
            if (f("teacher_share") - f("teacher_share_truth")).abs() > 0.05 {
                failures.push(format!(
                    "{lang}-{seed}: teacher share off by more than 5 points"
                ));
            }
            if f("role_accuracy") < 0.90 {
                failures.push(format!(
                    "{lang}-{seed}: role accuracy {:.3}",
                    f("role_accuracy")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn overlapping_voices_are_marked_as_overlap() {
    // A lesson where second students talk over the first and break in on the teacher often.
    let dir = scratch();
    let s = score(dir.path(), "en", 5, 15, 1.0);
    let f = |k: &str| s[k].as_f64().unwrap();
    eprintln!(
        "overlap: {:.1} % of the lesson; marked with precision {:.3}, recall {:.3}; DER {:.3}",
        100.0 * f("overlap_truth"),
        f("overlap_precision"),
        f("overlap_recall"),
        f("der")
    );
    assert!(f("overlap_truth") > 0.005, "{s}");
    assert!(
        f("overlap_recall") > 0.05 && f("overlap_precision") >= 0.5,
        "{s}"
    );
    assert!(f("der") <= 0.15, "{s}");
}

#[test]
fn models_are_listed_and_bad_input_is_named() {
    let (code, stdout, stderr) = run(ppi().args(["models", "list"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("whisper model"), "{stdout}");
    for file in [
        "silero-vad-6.2.3.safetensors",
        "resemblyzer-0.1.4.safetensors",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_default();
        assert!(line.ends_with("verified"), "{stdout}");
    }
    let dir = scratch();
    let wav = dir.path().join("a.wav");
    crate::support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=d=2",
        "-ar",
        "16000",
        wav.to_str().unwrap(),
    ]);
    // A count that is not one: exit 2, the flag named.
    let (code, _, stderr) = run(ppi().arg("speakers").arg(&wav).args(["--speakers", "0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--speakers"), "{stderr}");
    // Models missing: exit 2, the file and the way to get it named.
    let empty = dir.path().join("no-models");
    let (code, _, stderr) = run(ppi()
        .arg("speakers")
        .arg(&wav)
        .arg("--speech-models")
        .arg(&empty));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("silero-vad-6.2.3.safetensors") && stderr.contains("speech-models.py"),
        "{stderr}"
    );
    // An altered model file is refused by its digest.
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("silero-vad-6.2.3.safetensors"), b"not a model").unwrap();
    let (code, _, stderr) = run(ppi()
        .arg("speakers")
        .arg(&wav)
        .arg("--speech-models")
        .arg(&empty));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    // Not audio: the file is named.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let (code, _, stderr) = run(ppi().arg("speakers").arg(&text));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
}
