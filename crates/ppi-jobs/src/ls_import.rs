//! `ls-import`: an uploaded lesson becomes a task of the Label Studio annotation project (once
//! per lesson and project), and its pre-annotation follows.

use std::time::Duration;

use serde_json::{json, Value};

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::{Job, LsImport};
use crate::prediction::{push_prediction, queue_transcription};
use ppi_label_studio::media::MediaSource;
use ppi_store::db::ls::ROLE_ANNOTATION;
use ppi_store::storage::ObjectKey;

/// Queues the import of a ready lesson into the annotation project, once per lesson and
/// project however often it is asked for (upload, bootstrap backfill, `serve`'s wiring).
pub async fn queue_import(
    ctx: &JobContext,
    lesson_id: &str,
    owner_id: &str,
    project: i64,
) -> Result<bool, ppi_store::db::DbError> {
    let key = format!("ls-import:{lesson_id}:{project}");
    let job = Job::LsImport(LsImport {
        lesson_id: lesson_id.to_owned(),
        project: Some(project),
    });
    let (_, created) = ctx
        .enqueue_once(&job, &key, Some(lesson_id), Some(owner_id))
        .await?;
    Ok(created)
}

/// Imports an uploaded lesson into the annotation project and queues its pre-annotation.
pub async fn run(ctx: &JobContext, job: &LsImport) -> Result<(), JobError> {
    let lesson_id = job.lesson_id.as_str();
    let client = ctx.ls()?;
    let project = match job.project {
        Some(p) => p,
        None => ctx
            .db
            .ls_projects(ROLE_ANNOTATION)
            .await
            .map_err(JobError::from_coded)?
            .first()
            .map(|p| p.0)
            .ok_or_else(|| {
                permanent(
                    "ls-no-project",
                    "no Label Studio annotation project yet: run `ppi ls bootstrap`",
                )
            })?,
    };
    if let Some(task) = ctx
        .db
        .lesson_task(lesson_id, project)
        .await
        .map_err(JobError::from_coded)?
    {
        tracing::info!(task, project, "the lesson is already a task");
        return Ok(());
    }
    let lesson = ctx
        .db
        .lesson(lesson_id)
        .await
        .map_err(JobError::from_coded)?
        .ok_or_else(|| permanent("lesson-not-found", format!("lesson {lesson_id} is gone")))?;
    let key = ObjectKey::parse(&lesson.source_key)
        .ok_or_else(|| permanent("lesson-invalid", "invalid source key"))?;
    let fps = lesson
        .probe
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p["video"]["fps"].as_f64())
        .unwrap_or(25.0);
    let ttl = ctx.settings.label_studio.task_url_ttl_secs;
    let video = match (&ctx.local, ctx.settings.storage.backend) {
        (Some(local), _) => local.sign("GET", &key, Duration::from_secs(ttl)),
        // LS resolves s3:// through the storage `ppi ls bootstrap --s3` connects.
        (None, _) => format!("s3://{}/{}", ctx.settings.storage.bucket, key.as_str()),
    };
    let data = json!({"video": video, "fps": (fps * 1000.0).round() / 1000.0,
                      "lesson_id": lesson.id, "title": lesson.title});
    let ids = client
        .import(project, &json!([{ "data": data }]))
        .await
        .map_err(JobError::from_coded)?;
    let source = MediaSource::Stored(key);
    let media_key = source.media_key();
    for id in &ids {
        ctx.db
            .upsert_ls_task(
                *id,
                project,
                Some(&media_key),
                &data.to_string(),
                Some(&lesson.id),
                None,
            )
            .await
            .map_err(JobError::from_coded)?;
    }
    tracing::info!(lesson = %lesson.id, project, tasks = ?ids, "lesson imported into Label Studio");
    match (
        ctx.db
            .media(&media_key)
            .await
            .map_err(JobError::from_coded)?,
        ids.first(),
    ) {
        (Some(media), Some(id)) => {
            if let Some(task) = ctx.db.ls_task(*id).await.map_err(JobError::from_coded)? {
                push_prediction(ctx, &task, &media).await?;
            }
            Ok(())
        }
        (None, Some(id)) => queue_transcription(ctx, &source, *id).await,
        _ => Ok(()),
    }
}
