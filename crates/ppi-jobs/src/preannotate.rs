//! `ls-task`: a Label Studio task to pre-annotate. Its video is found (through the SSRF
//! guard); with the video's transcript already made, the prediction is pushed at once,
//! otherwise one transcription per video is queued and pushes it when done.

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::PreAnnotate;
use crate::prediction::{push_prediction, queue_transcription};
use ppi_core::error::Coded;
use ppi_label_studio::config::LabelConfig;

pub async fn run(ctx: &JobContext, job: &PreAnnotate) -> Result<(), JobError> {
    let (project, task_id) = (job.project, job.task.id);
    let config = ctx
        .project_config(project, job.label_config.as_deref())
        .await?;
    let (_, video) = config.timeline().ok_or_else(|| {
        permanent(
            "ls-config-no-timeline",
            format!("project {project}'s label config has no <TimelineLabels> on a <Video>"),
        )
    })?;
    let field = LabelConfig::data_key(video).unwrap_or("video").to_owned();
    let data = &job.task.data;
    let data_text = data.to_string();
    let lesson_id = data["lesson_id"].as_str();
    let source = match data[&field].as_str() {
        Some(raw) => ctx.media_policy().classify(&field, raw),
        None => Err(ppi_label_studio::media::MediaError::Missing(field.clone())),
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
