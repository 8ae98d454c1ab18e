//! The dataset card (`README.md`): YAML front matter the Hub reads, and a body that documents
//! structure, columns, patterns, lessons, transcripts and usage. Generated from the manifest, so
//! it always matches the folder.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::manifest::Manifest;
use super::metadata::{column_meanings, Row};

/// What the card says about transcription.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptInfo {
    /// Models that produced the transcripts, e.g. `whisper ggml-base-q8_0`.
    pub models: Vec<String>,
    /// Each lesson's analytics (`analytics/<lesson>/summary.json`): slug and summary.
    pub analytics: Vec<(String, ppi_agreement::analytics::Summary)>,
}

/// The Hub's `size_categories` bucket for `n` rows.
pub fn size_category(n: usize) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        _ => "1M<n<10M",
    }
}

/// A YAML scalar: a JSON string is valid YAML and needs no further escaping rules.
fn yaml_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Markdown table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Languages of the transcripts, or the configured ones when nothing is transcribed.
pub fn languages(manifest: &Manifest, rows: &[Row]) -> Vec<String> {
    let mut found: Vec<String> = rows
        .iter()
        .filter(|r| !r.language.is_empty())
        .map(|r| r.language.clone())
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        manifest.card.languages.clone()
    } else {
        found
    }
}

/// Renders the card. `data_files` are the default config's files (patterns allowed).
pub fn render(
    manifest: &Manifest,
    rows: &[Row],
    data_files: &[&str],
    transcripts: &TranscriptInfo,
) -> String {
    let s = &manifest.card;
    let mut out = String::new();
    let langs = languages(manifest, rows);
    // Writing to a String cannot fail.
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "license: {}", yaml_str(&s.license));
    if !langs.is_empty() {
        let _ = writeln!(out, "language:");
        for l in &langs {
            let _ = writeln!(out, "- {}", yaml_str(l));
        }
    }
    let _ = writeln!(out, "task_categories:\n- video-classification\n- image-classification\n- automatic-speech-recognition");
    let _ = writeln!(
        out,
        "size_categories:\n- {}",
        yaml_str(size_category(rows.len()))
    );
    let _ = writeln!(out, "pretty_name: {}", yaml_str(&s.pretty_name));
    let _ = writeln!(
        out,
        "tags:\n- education\n- classroom\n- pedagogy\n- video\n- audio"
    );
    let _ = writeln!(
        out,
        "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path:"
    );
    for f in data_files {
        let _ = writeln!(out, "    - {}", yaml_str(f));
    }
    let _ = writeln!(out, "---\n");

    let lessons: BTreeMap<&str, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.lesson_id.as_str()).or_default() += 1;
        m
    });
    let _ = writeln!(out, "# {}\n", s.pretty_name);
    let _ = writeln!(
        out,
        "Classroom video clips of pedagogical patterns, cut from {} lesson recording(s) whose intervals were \
         annotated in Label Studio. {} clip(s) in total. Each clip comes with its key frame (see below how it \
         is chosen), 16 kHz mono audio and, once transcribed, its transcript. Made with \
         PPI (Pedagogical Pattern Infrastructure) {}.\n",
        lessons.len(),
        rows.len(),
        env!("CARGO_PKG_VERSION")
    );

    let _ = writeln!(out, "## Dataset structure\n\n```text");
    let _ = writeln!(out, "videos/           clips (MP4)");
    let _ = writeln!(out, "images/           key frames, full frame (JPEG)");
    let _ = writeln!(
        out,
        "images_cropped/   key frames cropped to the annotated box (JPEG)"
    );
    let _ = writeln!(out, "audio/            clip audio, 16 kHz mono 16-bit WAV");
    let _ = writeln!(
        out,
        "transcripts/      clip transcripts (.txt, .json with segments, .vtt)"
    );
    let _ = writeln!(
        out,
        "metadata.csv      one row per clip (also metadata.jsonl)"
    );
    if data_files.iter().any(|f| f.starts_with("data/")) {
        let _ = writeln!(
            out,
            "data/             the same rows as Parquet, with video, image and audio embedded"
        );
    }
    let _ = writeln!(out, "```\n");
    let _ = writeln!(
        out,
        "Clip file names are `<lesson>_<start frame>-<end frame>`.\n"
    );

    let _ = writeln!(out, "## Columns\n\n| column | meaning |\n|---|---|");
    for (c, m) in column_meanings() {
        let _ = writeln!(out, "| `{c}` | {m} |");
    }

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.pattern_type.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "\n## Patterns\n\n| pattern | description | clips |\n|---|---|---|"
    );
    for p in &manifest.patterns {
        let n = counts.get(p.name.as_str()).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "| {} | {} | {n} |",
            cell(&p.name),
            cell(&p.description)
        );
    }
    for (name, n) in &counts {
        if !manifest.patterns.iter().any(|p| p.name == *name) {
            let _ = writeln!(
                out,
                "| {} | (not in the patterns sheet) | {n} |",
                cell(name)
            );
        }
    }

    let _ = writeln!(
        out,
        "\n## Lessons\n\n| lesson | source video | clips |\n|---|---|---|"
    );
    for (id, n) in &lessons {
        let video = manifest
            .lessons
            .values()
            .find(|l| l.lesson_id == *id)
            .map(|l| l.source_video.as_str())
            .unwrap_or("");
        let _ = writeln!(out, "| {} | {} | {n} |", cell(id), cell(video));
    }

    let transcribed = rows
        .iter()
        .filter(|r| !r.transcript_file.is_empty())
        .count();
    let _ = writeln!(out, "\n## Transcripts\n");
    if transcribed == 0 {
        let _ = writeln!(
            out,
            "Transcripts are not produced yet: `transcripts/` is empty and the `transcript` column is blank. \
             Run `ppi dataset prepare` to transcribe the clips."
        );
    } else {
        let _ = writeln!(
            out,
            "{transcribed} of {} clip(s) are transcribed, in: {}. Model(s): {}. Transcripts are machine-made and \
             unreviewed.",
            rows.len(),
            langs.join(", "),
            if transcripts.models.is_empty() { "unrecorded".to_owned() } else { transcripts.models.join(", ") }
        );
    }

    let voiced: Vec<&Row> = rows.iter().filter(|r| r.teacher_share.is_some()).collect();
    if !voiced.is_empty() {
        let secs = |r: &Row| (r.end_time - r.start_time).max(0.0);
        let total: f64 = voiced.iter().map(|r| secs(r)).sum();
        let weighted = |f: fn(&Row) -> Option<f64>| {
            voiced
                .iter()
                .map(|r| f(r).unwrap_or(0.0) * secs(r))
                .sum::<f64>()
                / total.max(1e-9)
        };
        let _ = writeln!(
            out,
            "\n## Who speaks\n\n{} of {} clip(s) carry speaker turns (PPI's, from the lesson audio: Silero VAD, \
             Resemblyzer voice embeddings, clustering; the teacher is the speaker who talks most, unless \
             annotators named them). Over their time, the teacher talks {:.0} % and students {:.0} %; the rest \
             is several voices at once or silence. Columns `teacher_share`, `student_share`, `speakers`, \
             `turns`; each clip's `.json` transcript has its turns, and its `.txt` is split by speaker.",
            voiced.len(),
            rows.len(),
            100.0 * weighted(|r| r.teacher_share),
            100.0 * weighted(|r| r.student_share),
        );
    }

    if !transcripts.analytics.is_empty() {
        let _ = writeln!(
            out,
            "\n## Lesson analytics\n\nPer lesson, from the agreed intervals (the annotators' consensus, or the one \
             annotation): the patterns over time (one lane per pattern, the agreed intervals on top, each \
             annotator below, disagreement shaded), coverage per 2-minute bin, and talk time. Pictures and \
             `summary.json` are in `analytics/<lesson>/`."
        );
        for (slug, a) in &transcripts.analytics {
            let _ = writeln!(
                out,
                "\n### {} ({}, {} annotator(s))\n\n![timeline](analytics/{slug}/timeline.png)\n\n{}",
                a.title,
                ppi_agreement::analytics::mmss(a.duration_s),
                a.annotators.len().max(1),
                ppi_agreement::analytics::markdown_table(a)
            );
            if let Some(t) = &a.talk {
                let who: Vec<String> = t
                    .speakers
                    .iter()
                    .map(|(n, _, share)| format!("{n} {:.0} %", 100.0 * share))
                    .collect();
                let _ = writeln!(
                    out,
                    "Talk time: speech {} ({:.0} % of the lesson), silence {}{}.",
                    ppi_agreement::analytics::mmss(t.speech_s),
                    100.0 * t.speech_share,
                    ppi_agreement::analytics::mmss(t.silence_s),
                    if who.is_empty() {
                        String::new()
                    } else {
                        format!("; of the labelled speech: {}", who.join(", "))
                    }
                );
            }
            if let Some(r) = &a.roles {
                let mmss = ppi_agreement::analytics::mmss;
                let _ = writeln!(
                    out,
                    "\nWho speaks ({}): teacher {:.0} %, students {:.0} %, several at once {:.0} %, silence {:.0} %; \
                     {} student turn(s){}; the longest teacher monologue {}{}.",
                    if r.source == "annotators" { "corrected by the annotators" } else { "PPI's turns" },
                    100.0 * r.teacher_share,
                    100.0 * r.student_share,
                    100.0 * r.several_share,
                    100.0 * r.silence_share,
                    r.student_turns,
                    r.student_turn_median_s
                        .map(|m| format!(" (median {m:.1} s)"))
                        .unwrap_or_default(),
                    mmss(r.longest_monologue_s),
                    r.longest_monologue_at
                        .map(|t| format!(" from {}", mmss(t)))
                        .unwrap_or_default(),
                );
            }
            if let Some(act) = &a.activity {
                let _ = writeln!(
                    out,
                    "\nWhat happens (PPI, from the transcript and the turns): {}",
                    ppi_agreement::analytics::activity::markdown(act)
                );
            }
        }
    }

    let matrices: Vec<&ppi_agreement::matrix::Matrix> = transcripts
        .analytics
        .iter()
        .filter_map(|(_, a)| a.matrix.as_ref())
        .collect();
    if !matrices.is_empty() {
        let m = ppi_agreement::matrix::Matrix::merge(matrices);
        let _ = writeln!(
            out,
            "\n## Annotator agreement\n\nCohen's κ of every pair of annotators over the frames of the lessons both \
             annotated (every label × frame a cell; in brackets, the lessons shared), then each annotator against \
             the consensus of the others. A low row is the annotator who disagrees.\n\n{}",
            ppi_agreement::report::matrix_markdown(&m)
        );
    }

    let benches: Vec<&ppi_agreement::machine::Bench> = transcripts
        .analytics
        .iter()
        .filter_map(|(_, a)| a.machine.as_ref())
        .collect();
    if !benches.is_empty() {
        let b = ppi_agreement::machine::Bench::merge(benches);
        let _ = writeln!(
            out,
            "\n## The machine as an annotator\n\nPPI's draft of each lesson (per model version) measured \
             against the annotators' consensus with the figures used between annotators: Cohen's κ over \
             every label × frame, F1 of intervals matched at the agreement IoU, and the mean error of the \
             matched boundaries. The first row is the annotators against each other on the same lessons.\n\n{}",
            b.markdown()
        );
    }

    let modes: Vec<&str> = {
        let mut m: Vec<&str> = rows.iter().map(|r| r.clip_mode.as_str()).collect();
        m.sort();
        m.dedup();
        m
    };
    let _ = writeln!(out, "\n## How it was made\n");
    let _ = writeln!(out, "- Intervals come from Label Studio `timelinelabels` regions: frames are 1-based and the end frame is inclusive, so a clip spans `(start_frame-1)/fps` to `end_frame/fps` seconds.");
    let _ = writeln!(out, "- Clips were cut in {} mode. *accurate* copies the stream and trims presentation to the exact frames with an MP4 edit list (FFmpeg, torchcodec and browsers honour it); *copy* starts at the keyframe before the interval and records the real bounds in `clip_start_time`/`clip_end_time`; *reencode* re-encodes exactly the interval.", if modes.is_empty() { "accurate".to_owned() } else { modes.join(", ") });
    let _ = writeln!(out, "- Readers that ignore MP4 edit lists (`decord`, common in video-ML code) return whole GOPs of an *accurate* clip instead of its frames: use PyAV, OpenCV or torchcodec, or rebuild with `ppi dataset build --reencode` for such readers.");
    let best = rows
        .iter()
        .filter(|r| r.key_frame_method.starts_with("best") || r.key_frame_method == "reviewer")
        .count();
    if best > 0 {
        let _ = writeln!(out, "- The key frame ({best} of {} clips, `key_frame_method` = `best`, `best+learned-<n>` or `reviewer`) is the best of the interval: its keyframes are scored first, then the best groups of pictures are sampled at 4 frames per second and scored on sharpness (variance of the Laplacian), exposure, contrast and stillness, each scaled within the interval, plus a frontal face when one is found (SeetaFace), with a slight pull toward the middle so a uniform interval keeps its middle frame; `key_frame_score` and `key_frame_middle_score` give the two scores. `best+learned-<n>` frames were scored with weights learned from reviewers' choices; `reviewer` frames were picked by the reviewer among the best candidates. The others use the frame at the middle. Either is decoded exactly at `keyframe_time` (not the nearest keyframe).", rows.len());
    } else {
        let _ = writeln!(out, "- The key frame is the frame on screen at the middle of the interval, decoded exactly (not the nearest keyframe).");
    }
    let _ = writeln!(
        out,
        "- Clip audio is a sample-exact slice of the lesson audio decoded once to 16 kHz mono."
    );

    let target = s
        .repo_id
        .clone()
        .unwrap_or_else(|| "path/to/this/folder".to_owned());
    let _ = writeln!(out, "\n## Usage\n\n```python\nfrom datasets import load_dataset\n\nds = load_dataset({}, split=\"train\")", yaml_str(&target));
    if data_files.iter().any(|f| f.starts_with("data/")) {
        let _ = writeln!(out, "row = ds[0]\nrow[\"image\"]          # key frame, a PIL image (image_cropped: the cropped one)\nrow[\"video\"]          # the clip, a torchcodec VideoDecoder\nrow[\"audio\"]          # 16 kHz audio, a torchcodec AudioDecoder\nrow[\"pattern_type\"], row[\"transcript\"], row[\"start_time\"], row[\"end_time\"]\n```\n\nDecoding video and audio needs `pip install torch torchcodec`; without them, cast the columns with `Video(decode=False)` / `Audio(decode=False)` to get the bytes.");
    } else {
        let _ = writeln!(out, "row = ds[0]\nrow[\"image\"]          # key frame, a PIL image\nrow[\"pattern_type\"], row[\"start_time\"], row[\"end_time\"]\nrow[\"video_file\"]     # clip path, relative to the dataset root\n```");
    }
    out
}

#[cfg(test)]
#[path = "card_tests.rs"]
mod tests;
