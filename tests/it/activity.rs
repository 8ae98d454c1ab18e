//! What happens in a lesson (issue 26): `ppi transcribe --speakers auto` on synthetic lessons
//! with known questions, planned waits and one planned activity per 2-minute bin
//! (tests/activity/make_lesson.py), scored by tests/activity/score.py. Whisper runs, so this
//! module is in the nextest group of one (.config/nextest.toml).

use crate::drafts::{oracle_transcript, python_ok};
use crate::support::{ppi, python, run, scratch, whisper_model, workspace_root};

fn score(dir: &std::path::Path, lang: &str, seed: u32) -> serde_json::Value {
    let root = workspace_root();
    let lesson = dir.join(format!("{lang}-{seed}"));
    let made = std::process::Command::new(python())
        .arg(root.join("tests/activity/make_lesson.py"))
        .arg(&lesson)
        .args(["--lang", lang, "--seed", &seed.to_string()])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = lesson.join("transcript.json");
    let (code, stdout, stderr) = run(ppi()
        .env("PPI_WHISPER_MODEL", whisper_model())
        .env("PPI_WHISPER_THREADS", "1")
        .arg("transcribe")
        .arg(lesson.join("lesson.wav"))
        .args(["--speakers", "auto", "--format", "json", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let scored = std::process::Command::new(python())
        .arg(root.join("tests/activity/score.py"))
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

/// English: the targets of issue 26 on a 10-minute lesson (5 bins, 8 questions). Russian is
/// not held to them yet: Whisper base turns espeak-ng's Russian into nonsense and drops the
/// question marks (docs/decisions.md, "What happens in the lesson"), which is issue 28's
/// quality work.
#[test]
fn questions_wait_times_and_bins_meet_the_targets_in_english() {
    let dir = scratch();
    let s = score(dir.path(), "en", 1);
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    eprintln!(
        "en: questions {}/{} found, F1 {:.3}; type accuracy {:.3}; WT1 MAE {:.3} s over {}; bins {:?} (planned {:?})",
        s["questions_found"], s["questions_truth"], f("question_f1"), f("type_accuracy"),
        f("wt1_mae"), s["wt1_timed"], s["bins"], s["bins_truth"]
    );
    assert!(f("question_f1") >= 0.85, "{s}");
    assert!(f("type_accuracy") >= 0.8, "{s}");
    assert!(f("wt1_mae") <= 0.3, "{s}");
    assert!(f("bin_accuracy") >= 0.9, "{s}");
}

/// Russian, with the words that were said (tests/suggestions/oracle.py) and PPI's own speakers
/// on the lesson's audio, read by `ppi activity`: the questions, their types, the waits and the
/// bins meet the targets in Russian when the transcript is right. Through Whisper base the
/// questions do not (above).
#[test]
fn questions_wait_times_and_bins_from_the_words_said_in_russian() {
    let root = workspace_root();
    let dir = scratch();
    let lesson = dir.path().join("ru-1");
    let script = root.join("tests/activity/make_lesson.py");
    python_ok(&[
        script.as_os_str(),
        lesson.as_os_str(),
        "--lang".as_ref(),
        "ru".as_ref(),
    ]);
    let transcript = oracle_transcript(&lesson);
    let (code, events, stderr) = run(ppi()
        .arg("activity")
        .arg(&transcript)
        .args(["--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let out = lesson.join("events.json");
    std::fs::write(&out, events).unwrap();
    let scored = python_ok(&[
        root.join("tests/activity/score.py").as_os_str(),
        lesson.join("truth.json").as_os_str(),
        out.as_os_str(),
    ]);
    let s: serde_json::Value = serde_json::from_str(&scored).unwrap();
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    eprintln!(
        "ru (words said): questions {}/{} found, F1 {:.3}; type accuracy {:.3}; WT1 MAE {:.3} s over {}; bins {:?} (planned {:?})",
        s["questions_found"], s["questions_truth"], f("question_f1"), f("type_accuracy"),
        f("wt1_mae"), s["wt1_timed"], s["bins"], s["bins_truth"]
    );
    assert!(f("question_f1") >= 0.80, "{s}");
    assert!(f("type_accuracy") >= 0.8, "{s}");
    assert!(f("wt1_mae") <= 0.3, "{s}");
    // The bins rest on the speakers: without the pitch cue, the clustering put the presenting
    // student's voice with the teacher's and heard the group as one student (2 of 5 right;
    // docs/decisions.md, "The voice's pitch").
    assert!(f("bin_accuracy") >= 0.9, "{s}");
    // Without speakers, `ppi activity` names what is missing.
    let bare = lesson.join("bare.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&transcript).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("turns");
    std::fs::write(&bare, v.to_string()).unwrap();
    let (code, _, stderr) = run(ppi().arg("activity").arg(&bare));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bare.json") && stderr.contains("--speakers"),
        "{stderr}"
    );
}
