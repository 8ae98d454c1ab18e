//! `transcribe`: one video's transcript, made once and kept per media key, then the
//! predictions of every Label Studio task showing that video. Payload
//! `{media_key, kind: stored|ls|remote, value, task_id}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ls_tasks::{ls, payload, permanent, push_prediction};
use super::progress::JobProgress;
use super::runner::JobContext;
use super::JobError;
use crate::asr::engine::AsrOverrides;
use crate::asr::{AsrConfig, LanguageChoice, PcmFile, Transcriber};
use crate::db::jobs::JobRecord;
use crate::db::ls::MediaRow;
use crate::label_studio::media;
use crate::progress::Progress;
use crate::storage::ObjectKey;

fn io(what: &str, e: impl std::fmt::Display) -> JobError {
    JobError::Transient {
        code: "io-error",
        message: format!("{what}: {e}"),
    }
}

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

/// The video as a local file, and the lesson's audio when PPI already extracted it.
pub(super) async fn fetch(
    ctx: &JobContext,
    kind: &str,
    value: &str,
    task_id: i64,
    dir: &Path,
) -> Result<(PathBuf, Option<PathBuf>), JobError> {
    let to = dir.join("video");
    match kind {
        "stored" => {
            let key = ObjectKey::parse(value)
                .ok_or_else(|| permanent("media-bad-key", format!("{value:?}")))?;
            let video = match ctx.store.local_path(&key) {
                Some(p) => p,
                None => {
                    ctx.store
                        .download(&key, &to)
                        .await
                        .map_err(JobError::from_coded)?;
                    to
                }
            };
            let audio = match key.sibling("audio.wav") {
                Some(a) if ctx.store.size(&a).await.ok().flatten().is_some() => {
                    match ctx.store.local_path(&a) {
                        Some(p) => Some(p),
                        None => {
                            let p = dir.join("audio.wav");
                            ctx.store
                                .download(&a, &p)
                                .await
                                .map_err(JobError::from_coded)?;
                            Some(p)
                        }
                    }
                }
                _ => None,
            };
            Ok((video, audio))
        }
        "ls" => {
            let client = ls(ctx)?;
            let url = if value.starts_with("s3://") {
                // A bucket LS holds the credentials for: LS resolves it to a presigned URL.
                use base64::Engine;
                let b64 = base64::engine::general_purpose::URL_SAFE.encode(value);
                format!("/tasks/{task_id}/resolve/?fileuri={b64}")
            } else {
                value.to_owned()
            };
            client
                .download(&url, &to)
                .await
                .map_err(JobError::from_coded)?;
            Ok((to, None))
        }
        "remote" => {
            let u = url::Url::parse(value)
                .map_err(|e| permanent("task-bad-video-url", e.to_string()))?;
            let allowed = &ctx.settings.label_studio.media_hosts;
            // Checked again here: the allow-list may have changed since the task arrived.
            if !media::host_allowed(&u, allowed) {
                return Err(permanent(
                    "media-host-not-allowed",
                    format!(
                        "host {:?} is not in PPI_MEDIA_HOSTS",
                        u.host_str().unwrap_or("")
                    ),
                ));
            }
            media::download_remote(&u, allowed, &to)
                .await
                .map_err(|e| JobError::Transient {
                    code: "media-download-failed",
                    message: format!("{u}: {e}"),
                })?;
            Ok((to, None))
        }
        other => Err(permanent("job-invalid", format!("media kind {other:?}"))),
    }
}

pub async fn run(
    ctx: &Arc<JobContext>,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let p = payload(record)?;
    let media_key = p["media_key"].as_str().unwrap_or_default().to_owned();
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
            let (video, audio) = fetch(
                ctx,
                p["kind"].as_str().unwrap_or_default(),
                p["value"].as_str().unwrap_or_default(),
                p["task_id"].as_i64().unwrap_or(0),
                scratch.path(),
            )
            .await?;
            progress.finish_stage();
            let asr = transcriber(ctx).await?;
            let language: LanguageChoice = ctx.settings.whisper.language.parse().map_err(
                |e: crate::asr::language::UnsupportedLanguage| {
                    permanent("config-invalid", e.to_string())
                },
            )?;
            let pr = progress.clone();
            let wav = scratch.path().join("audio.wav");
            let (probe, transcript) = tokio::task::spawn_blocking(move || {
                pr.span(10.0, 15.0);
                let probe = crate::media::probe(&video).map_err(JobError::from_coded)?;
                let audio = match audio {
                    Some(a) => a,
                    None => {
                        crate::media::audio::extract_lesson_audio_with(
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
                let t = asr
                    .transcribe_wav(PcmFile { path: &audio }, None, &language, pr.as_ref())
                    .map_err(JobError::from_coded)?;
                Ok::<_, JobError>((probe, t))
            })
            .await
            .map_err(|e| io("worker thread", e))??;
            let row = MediaRow {
                transcript: serde_json::to_string(&transcript).map_err(|e| io("transcript", e))?,
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
