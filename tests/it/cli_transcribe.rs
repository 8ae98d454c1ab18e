//! `ppi transcribe`, `ppi models`, and transcripts in `ppi dataset prepare`, with the real model.

use std::path::Path;

use crate::support::{ffmpeg, fixture, ppi, run, scratch, speech_wav, whisper_model, Phrase};

const EN: &str = "Good morning everyone. Please open your books at page ten.";
const RU: &str = "Здравствуйте, дети. Сегодня на уроке мы будем решать задачи по математике.";

fn with_model(c: &mut std::process::Command) -> &mut std::process::Command {
    c.env("PPI_WHISPER_MODEL", whisper_model())
        .env("PPI_WHISPER_THREADS", "1")
}

/// A lesson video with speech: index frames at 25 fps, English at 2 s, Russian at 14 s.
fn speech_lesson(dir: &Path) -> std::path::PathBuf {
    let wav = dir.join("speech.wav");
    speech_wav(
        &wav,
        &[
            Phrase {
                at: 2.0,
                voice: "en-us",
                text: EN,
            },
            Phrase {
                at: 14.0,
                voice: "ru+f4",
                text: RU,
            },
        ],
        20.0,
    );
    let frames = dir.join("frames.mp4");
    crate::support::index_video(
        &frames,
        &crate::support::VideoSpec {
            seconds: 20.0,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: false,
        },
    );
    let lesson = dir.join("lesson-001.mp4");
    crate::support::with_audio(&frames, &wav, &lesson);
    lesson
}

#[test]
fn transcribe_a_lesson_video_to_json_and_vtt() {
    let dir = scratch();
    let lesson = speech_lesson(dir.path());
    let out = dir.path().join("t.json");
    let (code, stdout, stderr) = run(with_model(&mut ppi())
        .arg("transcribe")
        .arg(&lesson)
        .args(["--format", "json", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let langs: Vec<&str> = t["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["language"].as_str().unwrap())
        .collect();
    assert!(langs.contains(&"en") && langs.contains(&"ru"), "{langs:?}");
    assert_eq!(t["model"], "ggml-base-q8_0.bin");
    let seg = &t["segments"][0];
    for key in [
        "start",
        "end",
        "text",
        "avg_logprob",
        "no_speech_prob",
        "words",
    ] {
        assert!(!seg[key].is_null(), "{key} in {seg}");
    }
    let (code, vtt, stderr) = run(with_model(&mut ppi()).arg("transcribe").arg(&lesson).args([
        "--format",
        "vtt",
        "--language",
        "en",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:0"), "{vtt}");
}

#[test]
fn transcribe_with_speakers_names_the_teacher_and_the_student() {
    let dir = scratch();
    let wav = dir.path().join("dialogue.wav");
    let spans = speech_wav(
        &wav,
        &[
            Phrase {
                at: 1.0,
                voice: "en-us+m1",
                text: "Good morning everyone. Today we are going to talk about fractions. A fraction shows a part of a whole. Who can tell me what a fraction is?",
            },
            Phrase {
                at: 15.5,
                voice: "en-us+f5",
                text: "It is a part of a whole.",
            },
            Phrase {
                at: 19.0,
                voice: "en-us+m1",
                text: "Very good. Now open your books at page ten.",
            },
        ],
        24.0,
    );
    let out = dir.path().join("t.json");
    let (code, stdout, stderr) = run(with_model(&mut ppi())
        .arg("transcribe")
        .arg(&wav)
        .args([
            "--speakers",
            "auto",
            "--threads",
            "1",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let role_at = |at: f64| {
        t["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["start"].as_f64().unwrap() <= at && at < s["end"].as_f64().unwrap())
            .map(|s| s["role"].as_str().unwrap_or("none").to_owned())
    };
    assert_eq!(
        role_at(spans[0].0 + 2.0).as_deref(),
        Some("teacher"),
        "{t:#}"
    );
    assert_eq!(
        role_at((spans[1].0 + spans[1].1) / 2.0).as_deref(),
        Some("student"),
        "{t:#}"
    );
    assert_eq!(t["speakers"].as_array().unwrap().len(), 2, "{t:#}");
    assert_eq!(t["speakers"][0]["role"], "teacher");
    assert!(
        t["roles"]["teacher_share"].as_f64().unwrap()
            > t["roles"]["student_share"].as_f64().unwrap()
    );
    let turns = t["turns"].as_array().unwrap();
    assert!(turns.iter().any(|x| x["role"] == "student"), "{t:#}");
    for key in ["start", "end", "speaker", "role", "overlap"] {
        assert!(turns.iter().all(|x| !x[key].is_null()), "{key}");
    }
    // What happens: the teacher's question, the wait before the student's answer, the bin.
    let q = &t["questions"][0];
    assert_eq!(q["type"], "closed", "{t:#}");
    assert!(
        q["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("who can tell me"),
        "{q}"
    );
    let w = &t["wait_times"]["per_question"][0];
    assert_eq!(w["next"], "student", "{w}");
    let truth = spans[1].0 - spans[0].1;
    let wt1 = w["wt1"].as_f64().unwrap();
    eprintln!("WT1 {wt1:.2} s, truth {truth:.2} s");
    assert!(
        wt1 > truth - 0.3 && wt1 < truth + 1.0,
        "WT1 {wt1} against {truth}"
    );
    assert_eq!(t["bins"][0]["activity"], "teacher-talk", "{t:#}");
    // WebVTT carries the speaker as a voice span.
    let (code, vtt, stderr) = run(with_model(&mut ppi()).arg("transcribe").arg(&wav).args([
        "--speakers",
        "2",
        "--threads",
        "1",
        "--format",
        "vtt",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        vtt.contains("<v S1 (teacher)>") && vtt.contains("(student)>"),
        "{vtt}"
    );
}

#[test]
fn bad_transcription_inputs_get_clear_errors() {
    let dir = scratch();
    let silent = dir.path().join("silent.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=16000:cl=mono",
        "-t",
        "5",
        silent.to_str().unwrap(),
    ]);
    let (code, _, stderr) = run(with_model(&mut ppi()).arg("transcribe").arg(&silent));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error[asr-no-speech]") && stderr.contains("silent.wav"),
        "{stderr}"
    );

    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, stderr) = run(with_model(&mut ppi()).arg("transcribe").arg(&empty));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[media-empty]") && stderr.contains("empty.wav"),
        "{stderr}"
    );

    let (code, _, stderr) = run(with_model(&mut ppi())
        .arg("transcribe")
        .arg(&silent)
        .args(["--language", "xx"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[asr-unsupported-language]") && stderr.contains("\"xx\""),
        "{stderr}"
    );

    // A missing model says how to get one.
    let (code, _, stderr) = run(ppi()
        .env("HF_HOME", dir.path())
        .arg("transcribe")
        .arg(&silent)
        .args(["--whisper-model", "large-v3"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[asr-model-missing]") && stderr.contains("ppi models fetch large-v3"),
        "{stderr}"
    );

    // Corrupt models are refused before whisper.cpp reads them, or by it.
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, vec![7u8; 2 << 20]).unwrap();
    let (code, _, stderr) = run(ppi()
        .arg("transcribe")
        .arg(&silent)
        .arg("--whisper-model")
        .arg(&junk));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error[asr-model-invalid]") && stderr.contains("junk.bin"),
        "{stderr}"
    );
    let truncated = dir.path().join("ggml-truncated.bin");
    let model = std::fs::read(whisper_model()).unwrap();
    std::fs::write(&truncated, &model[..model.len() / 3]).unwrap();
    let (code, _, stderr) = run(ppi()
        .arg("transcribe")
        .arg(&silent)
        .arg("--whisper-model")
        .arg(&truncated));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error[asr-model-invalid]") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn models_fetch_downloads_and_verifies_through_hf_endpoint() {
    let dir = scratch();
    let hub = crate::support::hub::HubDouble::start();
    // A stand-in file with the ggml header; it is only downloaded and checked, never run.
    let mut bytes = vec![0x6c, 0x6d, 0x67, 0x67];
    bytes.extend((0..(3 << 20)).map(|i: u32| (i % 251) as u8));
    hub.put(
        "model",
        "ggerganov/whisper.cpp",
        "ggml-tiny-test.bin",
        crate::support::hub::HubFile {
            bytes: bytes.clone(),
            lfs: true,
            fake_sha256: None,
        },
    );
    let (code, stdout, stderr) = run(ppi()
        .env("HF_HOME", dir.path())
        .env("HF_ENDPOINT", &hub.url)
        .args(["models", "fetch", "tiny-test"]));
    assert_eq!(code, 0, "{stderr}");
    let path = std::path::PathBuf::from(stdout.trim());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(
        path.starts_with(dir.path()),
        "into the HF cache under HF_HOME"
    );
    let (code, stdout, _) =
        run(ppi()
            .env("HF_HOME", dir.path())
            .args(["models", "path", "tiny-test"]));
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), path.to_str().unwrap());

    // A checksum that does not match is caught and the download removed.
    hub.put(
        "model",
        "ggerganov/whisper.cpp",
        "ggml-bad.bin",
        crate::support::hub::HubFile {
            bytes,
            lfs: true,
            fake_sha256: Some("ab".repeat(32)),
        },
    );
    let (code, _, stderr) = run(ppi()
        .env("HF_HOME", dir.path())
        .env("HF_ENDPOINT", &hub.url)
        .args(["models", "fetch", "bad"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[model-checksum-mismatch]"),
        "{stderr}"
    );
    let (code, _, _) = run(ppi()
        .env("HF_HOME", dir.path())
        .args(["models", "path", "bad"]));
    assert_eq!(code, 2, "the bad download is gone");

    // Unknown model: a clear error naming the endpoint.
    let (code, _, stderr) = run(ppi()
        .env("HF_HOME", dir.path())
        .env("HF_ENDPOINT", &hub.url)
        .args(["models", "fetch", "nope"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("error[model-fetch-failed]") && stderr.contains(&hub.url),
        "{stderr}"
    );
}

#[test]
fn prepare_transcribes_clips_from_the_lesson() {
    let dir = scratch();
    let lesson = speech_lesson(dir.path());
    let export = dir.path().join("export.json");
    // Two intervals: the English phrase (frames 26..175 = 1..7 s) and the Russian one (13..20 s).
    let regions = serde_json::json!([{"id": 1, "data": {"video": "lesson-001.mp4", "fps": 25}, "annotations": [{"id": 3, "result": [
        {"id": "a", "from_name": "pattern", "to_name": "video", "type": "timelinelabels", "value": {"ranges": [{"start": 26, "end": 175}], "timelinelabels": ["Lecture"]}},
        {"id": "b", "from_name": "pattern", "to_name": "video", "type": "timelinelabels", "value": {"ranges": [{"start": 326, "end": 500}], "timelinelabels": ["Questioning"]}}]}]}]);
    std::fs::write(&export, serde_json::to_vec(&regions).unwrap()).unwrap();
    let out = dir.path().join("ds");
    let (code, _, stderr) = run(ppi()
        .args(["dataset", "build", "--video"])
        .arg(&lesson)
        .arg("--annotations")
        .arg(&export)
        .arg("--patterns")
        .arg(fixture("patterns.csv"))
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(with_model(&mut ppi())
        .args(["dataset", "prepare", "--skip-deletion"])
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("2 clip(s), 1 lesson(s) transcribed"),
        "{stdout}"
    );
    let mut r = csv::Reader::from_path(out.join("metadata.csv")).unwrap();
    let rows: Vec<std::collections::HashMap<String, String>> =
        r.deserialize().map(|x| x.unwrap()).collect();
    assert_eq!(
        (rows[0]["language"].as_str(), rows[1]["language"].as_str()),
        ("en", "ru")
    );
    assert!(
        rows[0]["transcript"]
            .to_lowercase()
            .contains("open your books"),
        "{}",
        rows[0]["transcript"]
    );
    for r in &rows {
        let id = &r["id"];
        assert_eq!(r["transcript_file"], format!("transcripts/{id}.txt"));
        for ext in ["txt", "json", "vtt"] {
            assert!(
                out.join(format!("transcripts/{id}.{ext}")).is_file(),
                "{id}.{ext}"
            );
        }
        let clip: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join(format!("transcripts/{id}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(clip["model"], "ggml-base-q8_0.bin");
        assert_eq!(clip["language"], r["language"].as_str());
        // Who speaks in the clip: the speaker columns, the turns, the text split by speaker.
        let share: f64 = r["teacher_share"].parse().unwrap();
        assert!((0.0..=1.0).contains(&share), "{r:?}");
        assert!(r["speakers"].parse::<u32>().unwrap() >= 1, "{r:?}");
        // What happens in it: its questions and the activity of its 2-minute bin.
        let questions: u32 = r["questions"].parse().unwrap();
        assert!(
            r["open_questions"].parse::<u32>().unwrap() <= questions,
            "{r:?}"
        );
        assert!(
            [
                "teacher-talk",
                "student-talk",
                "discussion",
                "group-work",
                "quiet-work"
            ]
            .contains(&r["activity"].as_str()),
            "{r:?}"
        );
        assert!(!clip["turns"].as_array().unwrap().is_empty(), "{clip}");
        let txt = std::fs::read_to_string(out.join(format!("transcripts/{id}.txt"))).unwrap();
        assert!(txt.starts_with("S1 (") || txt.starts_with("S2 ("), "{txt}");
    }
    assert!(
        out.join("transcripts/lessons/lesson-001.json").is_file()
            && out.join("transcripts/lessons/lesson-001.vtt").is_file()
    );
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("language:\n- \"en\"\n- \"ru\""), "{card}");
    assert!(
        card.contains("2 of 2 clip(s) are transcribed") && card.contains("ggml-base-q8_0.bin"),
        "{card}"
    );
    assert!(
        card.contains("## Who speaks") && card.contains("2 of 2 clip(s) carry speaker turns"),
        "{card}"
    );
    // A second prepare reuses the lesson transcript.
    let (code, stdout, _) = run(with_model(&mut ppi())
        .args(["dataset", "prepare", "--skip-deletion"])
        .arg(&out));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("0 lesson(s) transcribed, 1 reused"),
        "{stdout}"
    );
}
