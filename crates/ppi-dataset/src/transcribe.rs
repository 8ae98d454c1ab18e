//! Transcripts for a dataset (`ppi dataset prepare`). Each lesson is transcribed once, over the
//! spans its clips cover (speech only), and saved as `transcripts/lessons/<lesson>.json|.vtt`;
//! each clip's transcript is then cut from it by word times, so a word at a clip's edge is
//! decoded in its full context rather than chopped. A re-run with the same model, language and
//! clips reuses the lesson transcript.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::layout::{self, Layout};
use super::prepare::Dataset;
use ppi_asr::vad::Span;
use ppi_asr::{AsrError, LanguageChoice, PcmFile, Transcriber, Transcript};
use ppi_core::domain::ItemId;
use ppi_core::error::{Coded, ErrorKind};
use ppi_core::progress::Progress;
use ppi_speakers::{Diarizer, Options as SpeakerOptions};

/// Context kept around each clip so that words at its edges are heard whole.
const MARGIN: f64 = 1.0;

/// What transcription did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TranscribeReport {
    pub lessons_transcribed: usize,
    pub lessons_reused: usize,
    pub clips: usize,
    pub languages: Vec<String>,
}

/// Errors while transcribing a dataset.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error(transparent)]
    Asr(#[from] AsrError),
    #[error("{path}: the lesson audio of {lesson:?} is missing; run `ppi dataset build` for this lesson again")]
    LessonAudioMissing { lesson: String, path: PathBuf },
    #[error("{path}: {detail}")]
    Io { path: PathBuf, detail: String },
}

impl Coded for TranscribeError {
    fn code(&self) -> &'static str {
        match self {
            TranscribeError::Asr(e) => e.code(),
            TranscribeError::LessonAudioMissing { .. } => "dataset-lesson-audio-missing",
            TranscribeError::Io { .. } => "io-error",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            TranscribeError::Asr(e) => e.kind(),
            TranscribeError::LessonAudioMissing { .. } => ErrorKind::Input,
            TranscribeError::Io { .. } => ErrorKind::Internal,
        }
    }
}

fn write(layout: &Layout, rel: &str, bytes: &[u8]) -> Result<(), TranscribeError> {
    let path = layout.abs(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| TranscribeError::Io {
            path: dir.into(),
            detail: e.to_string(),
        })?;
    }
    ppi_core::atomic::write(&path, bytes).map_err(|e| TranscribeError::Io {
        path,
        detail: e.to_string(),
    })
}

/// Merged clip spans with context margins, in seconds.
fn clip_spans(mut spans: Vec<(f64, f64)>) -> Vec<Span> {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Span> = Vec::new();
    for (s, e) in spans {
        let span = Span {
            start: (s - MARGIN).max(0.0),
            end: e + MARGIN,
        };
        match out.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => out.push(span),
        }
    }
    out
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What [`apply`] wrote.
#[derive(Debug, Default)]
pub struct Applied {
    pub clips: usize,
    pub languages: Vec<String>,
}

/// Cuts each item's transcript from its lesson's `transcript` (by word times) and writes the
/// clip's `.txt`, `.json` and `.vtt`, filling the row's transcript columns.
pub fn apply(
    layout: &Layout,
    manifest: &mut super::manifest::Manifest,
    ids: &[ItemId],
    transcript: &Transcript,
    model: &str,
) -> Result<Applied, TranscribeError> {
    let mut out = Applied::default();
    // What happens in the lesson, once: the clips take their questions and bin from it.
    let events = ppi_activity::analyse(transcript);
    for id in ids {
        let Some(item) = manifest.items.get_mut(id) else {
            continue;
        };
        let clip = transcript.slice(item.row.start_time, item.row.end_time);
        let txt = layout::transcript_rel(id, "txt");
        write(layout, &txt, clip.to_text_by_speaker().as_bytes())?;
        write(
            layout,
            &layout::transcript_rel(id, "json"),
            &serde_json::to_vec_pretty(&clip).unwrap_or_default(),
        )?;
        write(
            layout,
            &layout::transcript_rel(id, "vtt"),
            clip.to_vtt().as_bytes(),
        )?;
        item.row.transcript_file = txt;
        item.row.language = clip.language.clone();
        item.row.transcript = clip.text();
        if let Some(roles) = &clip.roles {
            item.row.teacher_share = Some(round3(roles.teacher_share));
            item.row.student_share = Some(round3(roles.student_share));
            item.row.speakers = Some(clip.speakers.len() as u32);
            item.row.turns = Some(clip.turns.len() as u32);
        }
        if let Some(e) = &events {
            let (a, b) = (item.row.start_time, item.row.end_time);
            let inside: Vec<&ppi_activity::Question> = e
                .questions
                .iter()
                .filter(|q| q.start >= a && q.start < b)
                .collect();
            item.row.questions = Some(inside.len() as u32);
            item.row.open_questions = Some(
                inside
                    .iter()
                    .filter(|q| q.kind == ppi_activity::QuestionType::Open)
                    .count() as u32,
            );
            item.row.activity = e
                .bins
                .iter()
                .map(|bin| (bin.end.min(b) - bin.start.max(a), bin.activity))
                .filter(|(overlap, _)| *overlap > 0.0)
                .max_by(|x, y| x.0.total_cmp(&y.0))
                .and_then(|(_, act)| serde_json::to_value(act).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
        }
        if !clip.language.is_empty() && !out.languages.contains(&clip.language) {
            out.languages.push(clip.language.clone());
        }
        out.clips += 1;
    }
    if !model.is_empty() && !manifest.transcript_models.iter().any(|m| m == model) {
        manifest.transcript_models.push(model.to_owned());
    }
    Ok(out)
}

/// Transcribes every lesson of the dataset and writes lesson and clip transcripts; with
/// `speakers`, each lesson's speaker turns are found over its whole audio and attached.
pub fn transcribe(
    ds: &mut Dataset,
    asr: &Transcriber,
    language: &LanguageChoice,
    speakers: Option<(&Diarizer, &SpeakerOptions)>,
    progress: &dyn Progress,
) -> Result<TranscribeReport, TranscribeError> {
    let mut report = TranscribeReport::default();
    let slugs: Vec<String> = ds.manifest.lessons.keys().cloned().collect();
    for slug in slugs {
        let ids: Vec<ItemId> = ds
            .manifest
            .items
            .iter()
            .filter(|(_, it)| it.lesson == slug)
            .map(|(id, _)| id.clone())
            .collect();
        let Some(lesson) = ds.manifest.lessons.get(&slug).cloned() else {
            continue;
        };
        if ids.is_empty() || !lesson.has_audio {
            continue;
        }
        let spans = clip_spans(
            ids.iter()
                .filter_map(|id| ds.manifest.items.get(id))
                .map(|it| (it.row.start_time, it.row.end_time))
                .collect(),
        );
        let key = {
            let mut h = Sha256::new();
            h.update(format!(
                "{}|{language}|{}|{}|{}|",
                asr.model_file(),
                asr.config().beam_size,
                lesson.source_fingerprint,
                speakers.map_or("-".to_owned(), |(_, o)| format!("{:?}", o.count))
            ));
            for s in &spans {
                h.update(format!("{:.3}-{:.3};", s.start, s.end));
            }
            hex::encode(&h.finalize()[..12])
        };
        let lesson_json = layout::lesson_transcript_rel(&slug, "json");
        let cached: Option<Transcript> = (lesson.transcript_key.as_deref() == Some(key.as_str()))
            .then(|| std::fs::read(ds.layout.abs(&lesson_json)).ok())
            .flatten()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let transcript = match cached {
            Some(t) => {
                report.lessons_reused += 1;
                t
            }
            None => {
                let audio = ds.layout.lesson_audio(&slug);
                if !audio.is_file() {
                    return Err(TranscribeError::LessonAudioMissing {
                        lesson: lesson.lesson_id.clone(),
                        path: audio,
                    });
                }
                let _span =
                    tracing::info_span!("transcribe_lesson", lesson = %lesson.lesson_id).entered();
                let mut t =
                    asr.transcribe_wav(PcmFile { path: &audio }, Some(&spans), language, progress)?;
                if let Some((d, opts)) = speakers {
                    let found = d
                        .diarize_wav(&audio, opts)
                        .map_err(|e| TranscribeError::Io {
                            path: audio.clone(),
                            detail: e.to_string(),
                        })?;
                    t.attach_speakers(found);
                }
                let json = serde_json::to_vec_pretty(&t).unwrap_or_default();
                write(&ds.layout, &lesson_json, &json)?;
                write(
                    &ds.layout,
                    &layout::lesson_transcript_rel(&slug, "vtt"),
                    t.to_vtt().as_bytes(),
                )?;
                if let Some(l) = ds.manifest.lessons.get_mut(&slug) {
                    l.transcript_key = Some(key.clone());
                }
                report.lessons_transcribed += 1;
                t
            }
        };
        let clips = apply(
            &ds.layout,
            &mut ds.manifest,
            &ids,
            &transcript,
            asr.model_file(),
        )?;
        for l in clips.languages {
            if !report.languages.contains(&l) {
                report.languages.push(l);
            }
        }
        report.clips += clips.clips;
    }
    report.languages.sort();
    Ok(report)
}
