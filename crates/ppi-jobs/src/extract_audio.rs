//! The upload job: probe the lesson video and extract its 16 kHz mono audio, storing
//! `probe.json` and `audio.wav` beside the source.

use std::sync::Arc;

use crate::context::JobContext;
use crate::error::{io, JobError};
use crate::progress::JobProgress;
use ppi_media as media;
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::lessons::{FAILED, READY};
use ppi_store::storage::ObjectKey;

/// Runs the job for the lesson named in the record's payload.
pub async fn run(
    ctx: &JobContext,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let lesson_id = record.lesson_id.clone().unwrap_or_default();
    let lesson = ctx
        .db
        .lesson(&lesson_id)
        .await
        .map_err(JobError::from_coded)?
        .ok_or(JobError::Permanent {
            code: "lesson-not-found",
            message: format!("lesson {lesson_id} no longer exists"),
        })?;
    let result = process(ctx, &lesson, progress).await;
    let failure = match &result {
        Err(JobError::Permanent { message, .. }) => Some(message.clone()),
        Err(JobError::Canceled) => Some("processing was canceled".to_owned()),
        _ => None,
    };
    if let Some(message) = failure {
        ctx.db
            .finish_lesson(&lesson.id, FAILED, None, None, None, Some(&message))
            .await
            .map_err(JobError::from_coded)?;
    }
    result
}

async fn process(
    ctx: &JobContext,
    lesson: &ppi_store::db::lessons::Lesson,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let source = ObjectKey::parse(&lesson.source_key).ok_or(JobError::Permanent {
        code: "lesson-invalid",
        message: format!("lesson {} has an invalid source key", lesson.id),
    })?;
    let scratch = ctx
        .scratch(&lesson.id)
        .map_err(|e| io("scratch folder", e))?;
    // The source as a local file: the local backend's own file, or a download from S3.
    progress.span(0.0, 20.0);
    let video = match ctx.store.local_path(&source) {
        Some(p) => p,
        None => {
            use ppi_core::progress::Progress;
            progress.stage("fetching source", 1);
            let to = scratch.path().join(format!("source.{}", lesson.ext));
            ctx.store
                .download(&source, &to)
                .await
                .map_err(JobError::from_coded)?;
            progress.finish_stage();
            to
        }
    };
    let audio_tmp = scratch.path().join("audio.wav");
    let p = progress.clone();
    let (probe, has_audio) = {
        let video = video.clone();
        let audio_tmp = audio_tmp.clone();
        tokio::task::spawn_blocking(move || -> Result<(media::Probe, bool), media::MediaError> {
            use ppi_core::progress::Progress;
            p.span(20.0, 5.0);
            p.stage("probing", 1);
            let probe = media::probe(&video)?;
            p.finish_stage();
            p.span(25.0, 65.0);
            let audio =
                media::audio::extract_lesson_audio_with(&video, &probe, &audio_tmp, p.as_ref())?;
            Ok((probe, audio.is_some()))
        })
        .await
        .map_err(|e| io("worker thread", e))?
        .map_err(JobError::from_coded)?
    };
    progress.span(90.0, 10.0);
    let probe_json = serde_json::to_string_pretty(&probe).map_err(|e| io("probe", e))?;
    let probe_key = source
        .sibling("probe.json")
        .ok_or_else(|| io("probe key", "invalid"))?;
    ctx.store
        .put_bytes(
            &probe_key,
            probe_json.clone().into_bytes(),
            "application/json",
        )
        .await
        .map_err(JobError::from_coded)?;
    let audio_key = if has_audio {
        let key = source
            .sibling("audio.wav")
            .ok_or_else(|| io("audio key", "invalid"))?;
        let bytes = ctx
            .store
            .ingest_file(&key, &audio_tmp, "audio/wav")
            .await
            .map_err(JobError::from_coded)?;
        ppi_store::storage::telemetry::bytes_stored(bytes);
        Some(key)
    } else {
        None
    };
    ctx.db
        .finish_lesson(
            &lesson.id,
            READY,
            audio_key.as_ref().map(ObjectKey::as_str),
            Some(probe_key.as_str()),
            Some(&probe_json),
            None,
        )
        .await
        .map_err(JobError::from_coded)?;
    queue_label_studio_import(ctx, lesson).await
}

/// With Label Studio configured (and a project bootstrapped), the ready lesson becomes a task.
/// Without a project yet, bootstrap imports it later (backfill).
async fn queue_label_studio_import(
    ctx: &JobContext,
    lesson: &ppi_store::db::lessons::Lesson,
) -> Result<(), JobError> {
    if ctx.ls.is_none() || !ctx.settings.label_studio.import_uploads {
        return Ok(());
    }
    let projects = ctx
        .db
        .ls_projects(ppi_store::db::ls::ROLE_ANNOTATION)
        .await
        .map_err(JobError::from_coded)?;
    let Some((project, _, _)) = projects.first() else {
        tracing::warn!(
            "no Label Studio project yet: the lesson becomes a task when `ppi ls bootstrap` \
             (or `ppi serve`'s own wiring) creates the projects in this data dir"
        );
        return Ok(());
    };
    crate::ls_import::queue_import(ctx, &lesson.id, &lesson.owner_id, *project)
        .await
        .map_err(JobError::from_coded)?;
    Ok(())
}
