//! `ls-annotation`: an annotation saved in Label Studio (from a webhook or the reconcile
//! loop), or deleted. A saved one is checked against the project's label config (unknown
//! controls or labels, frames beyond the video) and its labelled intervals are kept; either
//! way the task's agreement is measured again and its review target decided, in an
//! `ls-agreement` job ([`crate::agreement`]).

use serde_json::{json, Value};

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::AnnotationEvent;
use ppi_label_studio::config::LabelConfig;
use ppi_label_studio::model::AnnotationRecord;
use ppi_label_studio::validate::check_result;
use ppi_store::db::ls::LsAnnotation;

pub const ACCEPTED: &str = "accepted";
pub const INVALID: &str = "invalid";
pub const CANCELLED: &str = "cancelled";
pub const DELETED: &str = "deleted";

/// The timeline intervals of a result, each with the transcript of its region when present.
pub fn intervals(config: &LabelConfig, result: &[Value]) -> Vec<Value> {
    let Some((timeline, _)) = config.timeline() else {
        return Vec::new();
    };
    let text_of = |id: &Value| {
        result
            .iter()
            .find(|r| r["id"] == *id && r["type"] == "textarea")
            .and_then(|r| r["value"]["text"].as_array())
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    };
    let mut out = Vec::new();
    for item in result
        .iter()
        .filter(|r| r["from_name"] == timeline.name.as_str())
    {
        for range in item["value"]["ranges"].as_array().into_iter().flatten() {
            for label in item["value"]["timelinelabels"]
                .as_array()
                .into_iter()
                .flatten()
            {
                out.push(json!({
                    "region_id": item["id"], "start": range["start"], "end": range["end"],
                    "label": label, "transcript": text_of(&item["id"]),
                }));
            }
        }
    }
    out
}

pub async fn run(ctx: &JobContext, event: &AnnotationEvent) -> Result<(), JobError> {
    match event {
        AnnotationEvent::Deleted { deleted } => deleted_annotation(ctx, *deleted).await,
        AnnotationEvent::Saved {
            project,
            task,
            annotation,
            label_config,
        } => saved(ctx, *project, task.id, annotation, label_config.as_deref()).await,
    }
}

async fn deleted_annotation(ctx: &JobContext, id: i64) -> Result<(), JobError> {
    ctx.db
        .set_ls_annotation_status(id, DELETED)
        .await
        .map_err(JobError::from_coded)?;
    // The task's review follows what is left of its annotations.
    match ctx
        .db
        .ls_annotation_task(id)
        .await
        .map_err(JobError::from_coded)?
    {
        Some((task, project)) => crate::agreement::ask(ctx, project, task).await,
        None => Ok(()),
    }
}

async fn saved(
    ctx: &JobContext,
    project: i64,
    task_id: i64,
    a: &AnnotationRecord,
    label_config: Option<&str>,
) -> Result<(), JobError> {
    let id = a.id;
    let config = ctx.project_config(project, label_config).await?;
    let result = a.result.clone();
    // Frames in the video at the task's fps, when PPI knows the video.
    let frames = match ctx
        .db
        .ls_task(task_id)
        .await
        .map_err(JobError::from_coded)?
    {
        Some(t) => match (&t.media_key, config.timeline()) {
            (Some(k), Some((_, video))) => {
                let data = serde_json::from_str(&t.data).unwrap_or_default();
                ctx.db
                    .media(k)
                    .await
                    .map_err(JobError::from_coded)?
                    .map(|m| (m.duration * LabelConfig::fps(video, &data)).ceil() as u64)
            }
            _ => None,
        },
        None => None,
    };
    let mut row = LsAnnotation {
        annotation_id: id,
        task_id,
        project,
        ls_updated_at: a.version().to_owned(),
        status: ACCEPTED.into(),
        intervals: None,
        errors: None,
        completed_by: a.annotator(),
    };
    let problems = check_result(&config, &result, frames, &format!("annotation {id}.result"));
    let outcome = if a.was_cancelled {
        row.status = CANCELLED.into();
        Ok(())
    } else if !problems.is_empty() {
        row.status = INVALID.into();
        row.errors = Some(json!(problems).to_string());
        Err(permanent(
            "annotation-invalid",
            format!("task {task_id}: {}", problems.join("; ")),
        ))
    } else {
        row.intervals = Some(Value::Array(intervals(&config, &result)).to_string());
        Ok(())
    };
    let stored = ctx
        .db
        .put_ls_annotation(&row, &Value::Array(result.clone()).to_string())
        .await
        .map_err(JobError::from_coded)?;
    if !stored {
        tracing::info!(
            annotation = id,
            "a newer version of the annotation is already kept"
        );
        return Ok(());
    }
    tracing::info!(annotation = id, task = task_id, status = %row.status, "annotation received");
    // A speaker lane naming the teacher enrols their voice for the project's next lessons.
    if row.status == ACCEPTED {
        if let Err(e) =
            crate::enrol::from_annotation(ctx, project, task_id, id, &config, &result).await
        {
            tracing::warn!(annotation = id, "teacher not enrolled: {e}");
        }
    }
    // Whatever the status, the task's review target may change (a cancelled or invalid
    // version no longer counts).
    crate::agreement::ask(ctx, project, task_id).await?;
    outcome
}
