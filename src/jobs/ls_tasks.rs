//! Label Studio task jobs: `ls-task` (a task to pre-annotate: find its video, then use the
//! cached transcript or queue one transcription per video) and `ls-import` (an uploaded lesson
//! becomes a task), plus building, validating and pushing a task's prediction.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::runner::JobContext;
use super::{JobError, JobKind};
use crate::asr::Transcript;
use crate::config::StorageBackend;
use crate::db::jobs::JobRecord;
use crate::db::ls::{LsTask, MediaRow, ROLE_ANNOTATION};
use crate::domain::Fps;
use crate::error::Coded;
use crate::label_studio::client::LsClient;
use crate::label_studio::config::LabelConfig;
use crate::label_studio::media::{MediaPolicy, MediaSource};
use crate::label_studio::preannotate;
use crate::label_studio::suggest::Suggester;
use crate::storage::ObjectKey;

pub(super) fn permanent(code: &'static str, message: impl Into<String>) -> JobError {
    JobError::Permanent {
        code,
        message: message.into(),
    }
}

pub(super) fn payload(record: &JobRecord) -> Result<Value, JobError> {
    serde_json::from_str(&record.payload)
        .map_err(|e| permanent("job-invalid", format!("job payload: {e}")))
}

/// The Label Studio client, or a permanent error saying how to configure it.
pub(super) fn ls(ctx: &JobContext) -> Result<&LsClient, JobError> {
    ctx.ls.as_ref().ok_or_else(|| {
        permanent(
            "ls-not-configured",
            "Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY",
        )
    })
}

/// A project's parsed label config: the one given (and remembered), else the stored one, else
/// asked from Label Studio.
pub(super) async fn project_config(
    ctx: &JobContext,
    project: i64,
    given: Option<&str>,
) -> Result<LabelConfig, JobError> {
    let xml = match given {
        Some(x) => {
            ctx.db
                .upsert_ls_project(project, None, Some(x))
                .await
                .map_err(JobError::from_coded)?;
            x.to_owned()
        }
        None => match ctx
            .db
            .ls_project_config(project)
            .await
            .map_err(JobError::from_coded)?
        {
            Some(x) => x,
            None => {
                let p = ls(ctx)?
                    .project(project)
                    .await
                    .map_err(JobError::from_coded)?;
                let x = p["label_config"].as_str().unwrap_or_default().to_owned();
                ctx.db
                    .upsert_ls_project(project, None, Some(&x))
                    .await
                    .map_err(JobError::from_coded)?;
                x
            }
        },
    };
    LabelConfig::parse(&xml).map_err(|e| {
        permanent(
            "ls-config-invalid",
            format!("project {project}'s label config: {e}"),
        )
    })
}

/// The SSRF guard as configured.
pub(super) fn media_policy(ctx: &JobContext) -> MediaPolicy<'_> {
    let s = &ctx.settings;
    MediaPolicy {
        public_url: s.server.public_url.as_deref().unwrap_or(""),
        local: ctx.local.as_deref(),
        bucket: (s.storage.backend == StorageBackend::S3).then_some(s.storage.bucket.as_str()),
        label_studio: s.label_studio.url.as_deref(),
        allowed: &s.label_studio.media_hosts,
    }
}

/// Queues the transcription of a video (once per video, however many tasks show it).
pub(super) async fn queue_transcription(
    ctx: &JobContext,
    source: &MediaSource,
    task_id: i64,
) -> Result<(), JobError> {
    let (kind, value) = match source {
        MediaSource::Stored(k) => ("stored", k.as_str().to_owned()),
        MediaSource::LabelStudio(u) => ("ls", u.clone()),
        MediaSource::Remote(u) => ("remote", u.to_string()),
    };
    let key = source.media_key();
    ctx.enqueue(
        JobKind::Transcribe,
        &format!("transcribe:{key}"),
        None,
        None,
        &json!({"media_key": key, "kind": kind, "value": value, "task_id": task_id}),
    )
    .await
    .map_err(JobError::from_coded)?;
    Ok(())
}

/// Builds, validates, stores and (once) pushes a task's prediction from its video's transcript.
pub(super) async fn push_prediction(
    ctx: &JobContext,
    task: &LsTask,
    media: &MediaRow,
) -> Result<(), JobError> {
    let config = project_config(ctx, task.project, None).await?;
    let (timeline, video) = config.timeline().ok_or_else(|| {
        permanent(
            "ls-config-no-timeline",
            format!(
                "project {}'s label config has no <TimelineLabels> on a <Video>",
                task.project
            ),
        )
    })?;
    let data: serde_json::Map<String, Value> = serde_json::from_str(&task.data).unwrap_or_default();
    let fps = Fps::new(LabelConfig::fps(video, &data))
        .map_err(|e| permanent("task-bad-fps", format!("task {}: {e}", task.task_id)))?;
    let frames = (media.duration * fps.get()).ceil().max(1.0) as u64;
    let transcript: Transcript = serde_json::from_str(&media.transcript)
        .map_err(|e| permanent("transcript-invalid", e.to_string()))?;
    let rules = ctx.settings.label_studio.regions;
    let regions = preannotate::regions(&transcript.segments, &rules, media.duration);
    let mut suggester = Suggester::new(
        &timeline.labels,
        ctx.patterns.as_deref(),
        ctx.settings.label_studio.neutral(),
    );
    let learned = crate::learn::ModelStore::new(&ctx.settings.server.data_dir).text_model();
    if let Some((_, model)) = &learned {
        suggester = suggester.with_learned(
            std::sync::Arc::new(model.clone()),
            ctx.settings.learn.min_confidence,
        );
    }
    let prediction = preannotate::build(&config, &regions, &suggester, fps, Some(frames))
        .map_err(|e| permanent("prediction-invalid", format!("task {}: {e}", task.task_id)))?;
    let version = preannotate::model_version(&media.model, learned.map(|(n, _)| n));
    ctx.db
        .set_ls_task_result(
            task.task_id,
            &prediction.to_json(&version).to_string(),
            &version,
        )
        .await
        .map_err(JobError::from_coded)?;
    if !ctx
        .db
        .claim_ls_push(task.task_id)
        .await
        .map_err(JobError::from_coded)?
    {
        return Ok(());
    }
    let pushed = ls(ctx)?
        .create_prediction(
            task.task_id,
            &version,
            prediction.score,
            &Value::Array(prediction.result.clone()),
        )
        .await;
    let outcome = match &pushed {
        Ok(id) => Ok(Some(*id)),
        Err(e) => Err(e.to_string()),
    };
    ctx.db
        .finish_ls_push(
            task.task_id,
            outcome.as_ref().map(|i| *i).map_err(|e| e.as_str()),
        )
        .await
        .map_err(JobError::from_coded)?;
    match pushed {
        Ok(id) => {
            tracing::info!(
                task = task.task_id,
                prediction = id,
                regions = regions.len(),
                "prediction pushed"
            );
            Ok(())
        }
        Err(e) => Err(JobError::from_coded(e)),
    }
}

/// `ls-task`: payload `{project, task: {id, data}, label_config?}`.
pub async fn run_task(ctx: &Arc<JobContext>, record: &JobRecord) -> Result<(), JobError> {
    let p = payload(record)?;
    let project = p["project"]
        .as_i64()
        .ok_or_else(|| permanent("job-invalid", "no project"))?;
    let task_id = p["task"]["id"]
        .as_i64()
        .ok_or_else(|| permanent("job-invalid", "no task id"))?;
    let config = project_config(ctx, project, p["label_config"].as_str()).await?;
    let (_, video) = config.timeline().ok_or_else(|| {
        permanent(
            "ls-config-no-timeline",
            format!("project {project}'s label config has no <TimelineLabels> on a <Video>"),
        )
    })?;
    let field = LabelConfig::data_key(video).unwrap_or("video").to_owned();
    let data = p["task"]["data"].clone();
    let data_text = data.to_string();
    let lesson_id = data["lesson_id"].as_str();
    let source = match data[&field].as_str() {
        Some(raw) => media_policy(ctx).classify(&field, raw),
        None => Err(crate::label_studio::media::MediaError::Missing(
            field.clone(),
        )),
    };
    let source = match source {
        Ok(s) => s,
        Err(e) => {
            let message = format!("task {task_id}: {e}");
            ctx.db
                .upsert_ls_task(
                    task_id,
                    project,
                    None,
                    &data_text,
                    lesson_id,
                    Some(&message),
                )
                .await
                .map_err(JobError::from_coded)?;
            return Err(permanent(e.code(), message));
        }
    };
    let media_key = source.media_key();
    ctx.db
        .upsert_ls_task(
            task_id,
            project,
            Some(&media_key),
            &data_text,
            lesson_id,
            None,
        )
        .await
        .map_err(JobError::from_coded)?;
    match ctx
        .db
        .media(&media_key)
        .await
        .map_err(JobError::from_coded)?
    {
        Some(media) => {
            let task = ctx
                .db
                .ls_task(task_id)
                .await
                .map_err(JobError::from_coded)?
                .ok_or_else(|| permanent("task-gone", format!("task {task_id} was deleted")))?;
            push_prediction(ctx, &task, &media).await
        }
        None => queue_transcription(ctx, &source, task_id).await,
    }
}

/// Queues the import of a ready lesson into the annotation project, once per lesson and
/// project however often it is asked for (upload, bootstrap backfill, `serve`'s wiring).
pub async fn queue_import(
    ctx: &JobContext,
    lesson_id: &str,
    owner_id: &str,
    project: i64,
) -> Result<bool, crate::db::DbError> {
    let key = format!("ls-import:{lesson_id}:{project}");
    let (_, created) = ctx
        .enqueue_once(
            JobKind::LsImport,
            &key,
            Some(lesson_id),
            Some(owner_id),
            &json!({ "lesson_id": lesson_id, "project": project }),
        )
        .await?;
    Ok(created)
}

/// `ls-import`: payload `{lesson_id}`. Imports an uploaded lesson into the annotation project
/// and queues its pre-annotation.
pub async fn run_import(ctx: &Arc<JobContext>, record: &JobRecord) -> Result<(), JobError> {
    let p = payload(record)?;
    let lesson_id = p["lesson_id"].as_str().unwrap_or_default();
    let client = ls(ctx)?;
    let project = match p["project"].as_i64() {
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
