//! `transcribe`: one video's transcript, made once and kept per media key, then the
//! predictions of every Label Studio task showing that video.

use std::sync::Arc;

use crate::context::JobContext;
use crate::error::{io, permanent, JobError};
use crate::fetch::fetch;
use crate::payload::Transcribe;
use crate::prediction::push_prediction;
use crate::progress::JobProgress;
use ppi_asr::engine::AsrOverrides;
use ppi_asr::{AsrConfig, LanguageChoice, PcmFile, Transcriber};
use ppi_core::progress::Progress;
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::ls::MediaRow;

/// The shared model, loaded on first use.
async fn transcriber(ctx: &JobContext) -> Result<Arc<Transcriber>, JobError> {
    ctx.asr
        .get_or_try_init(|| async {
            let cfg = AsrConfig::from_settings(&ctx.settings.whisper, &AsrOverrides::default())
                .map_err(JobError::from_coded)?;
            tokio::task::spawn_blocking(move || Transcriber::load(cfg))
                .await
                .map_err(|e| io("model loading", e))?
                .map(Arc::new)
                .map_err(JobError::from_coded)
        })
        .await
        .cloned()
}

/// The shared speaker models, loaded on first use from `PPI_SPEECH_MODELS` (or the default
/// folder setup installs them in).
async fn diarizer(ctx: &JobContext) -> Result<Arc<ppi_speakers::Diarizer>, JobError> {
    ctx.speakers
        .get_or_try_init(|| async {
            let dir = ppi_speakers::models::default_dir();
            tokio::task::spawn_blocking(move || ppi_speakers::Diarizer::load(&dir))
                .await
                .map_err(|e| io("model loading", e))?
                .map(Arc::new)
                .map_err(JobError::from_coded)
        })
        .await
        .cloned()
}

pub async fn run(
    ctx: &JobContext,
    record: &JobRecord,
    job: &Transcribe,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let media_key = job.media_key.clone();
    let row = match ctx
        .db
        .media(&media_key)
        .await
        .map_err(JobError::from_coded)?
    {
        Some(row) => row,
        None => {
            let scratch = ctx
                .scratch(&record.id)
                .map_err(|e| io("scratch folder", e))?;
            progress.span(0.0, 10.0);
            progress.stage("fetching video", 1);
            let (video, audio) = fetch(ctx, &job.media, job.task_id, scratch.path()).await?;
            progress.finish_stage();
            let asr = transcriber(ctx).await?;
            let speakers = diarizer(ctx).await?;
            // The teacher enrolled in the asking task's project, if any.
            let teacher = match ctx
                .db
                .ls_task(job.task_id)
                .await
                .map_err(JobError::from_coded)?
            {
                Some(t) => ctx
                    .db
                    .teacher_voice(t.project)
                    .await
                    .map_err(JobError::from_coded)?
                    .and_then(|v| v.vector()),
                None => None,
            };
            let language: LanguageChoice = ctx.settings.whisper.language.parse().map_err(
                |e: ppi_asr::language::UnsupportedLanguage| {
                    permanent("config-invalid", e.to_string())
                },
            )?;
            let pr = progress.clone();
            let wav = scratch.path().join("audio.wav");
            // The voice embeddings use as many threads as Whisper does.
            let ctx_threads = asr.config().threads;
            let (probe, transcript) = tokio::task::spawn_blocking(move || {
                pr.span(10.0, 15.0);
                let probe = ppi_media::probe(&video).map_err(JobError::from_coded)?;
                let audio = match audio {
                    Some(a) => a,
                    None => {
                        ppi_media::audio::extract_lesson_audio_with(
                            &video,
                            &probe,
                            &wav,
                            pr.as_ref(),
                        )
                        .map_err(JobError::from_coded)?
                        .ok_or_else(|| {
                            permanent("media-no-audio", "the video has no audio track")
                        })?;
                        wav
                    }
                };
                pr.span(25.0, 75.0);
                let mut t = asr
                    .transcribe_wav(PcmFile { path: &audio }, None, &language, pr.as_ref())
                    .map_err(JobError::from_coded)?;
                pr.span(75.0, 80.0);
                pr.stage("finding speakers", 1);
                let opts = ppi_speakers::Options {
                    threads: ctx_threads,
                    teacher,
                    ..ppi_speakers::Options::default()
                };
                t.attach_speakers(
                    speakers
                        .diarize_wav(&audio, &opts)
                        .map_err(JobError::from_coded)?,
                );
                pr.finish_stage();
                Ok::<_, JobError>((probe, t))
            })
            .await
            .map_err(|e| io("worker thread", e))??;
            let row = MediaRow {
                // With its questions, wait times and activity bins (`ppi-activity`).
                transcript: ppi_activity::transcript_json(&transcript).to_string(),
                // The video stream's length: what frames exist (audio may run longer).
                duration: if probe.video.duration > 0.0 {
                    probe.video.duration
                } else {
                    probe.duration
                },
                fps: probe.video.fps,
                model: transcript.model.clone(),
            };
            ctx.db
                .put_media(&media_key, &row)
                .await
                .map_err(JobError::from_coded)?;
            tracing::info!(
                media = %media_key,
                segments = transcript.segments.len(),
                language = %transcript.language,
                speakers = transcript.speakers.len(),
                "video transcribed"
            );
            row
        }
    };
    // Every task showing this video; one failing does not stop the others.
    let mut first_error = None;
    for task in ctx
        .db
        .ls_tasks_for_media(&media_key)
        .await
        .map_err(JobError::from_coded)?
    {
        if let Err(e) = push_prediction(ctx, &task, &row).await {
            tracing::warn!(task = task.task_id, "prediction not pushed: {e}");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
