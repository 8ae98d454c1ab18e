//! `ls-annotation`: an annotation saved in Label Studio (from a webhook or the reconcile
//! loop). It is checked against the project's label config (unknown controls or labels,
//! frames beyond the video) and its labelled intervals are kept, ready for clip extraction.
//! Payload `{project, task: {id, data}, annotation: {id, result, was_cancelled, updated_at},
//! label_config?}`, or `{deleted: <annotation id>}`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::ls_tasks::{payload, permanent, project_config};
use super::runner::JobContext;
use super::JobError;
use crate::db::jobs::JobRecord;
use crate::db::ls::LsAnnotation;
use crate::label_studio::config::LabelConfig;
use crate::label_studio::validate::check_result;

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

pub async fn run(ctx: &Arc<JobContext>, record: &JobRecord) -> Result<(), JobError> {
    let p = payload(record)?;
    if let Some(id) = p["deleted"].as_i64() {
        ctx.db
            .set_ls_annotation_status(id, DELETED)
            .await
            .map_err(JobError::from_coded)?;
        // The task's review follows what is left of its annotations.
        return match ctx
            .db
            .ls_annotation_task(id)
            .await
            .map_err(JobError::from_coded)?
        {
            Some((task, project)) => reconsider_locked(ctx, project, task).await,
            None => Ok(()),
        };
    }
    let project = p["project"]
        .as_i64()
        .ok_or_else(|| permanent("job-invalid", "no project"))?;
    let a = &p["annotation"];
    let id = a["id"]
        .as_i64()
        .ok_or_else(|| permanent("job-invalid", "no annotation id"))?;
    let task_id = p["task"]["id"]
        .as_i64()
        .or_else(|| a["task"].as_i64())
        .ok_or_else(|| permanent("job-invalid", "no task id"))?;
    let config = project_config(ctx, project, p["label_config"].as_str()).await?;
    let result = a["result"].as_array().cloned().unwrap_or_default();
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
        ls_updated_at: a["updated_at"].as_str().unwrap_or_default().to_owned(),
        status: ACCEPTED.into(),
        intervals: None,
        errors: None,
        completed_by: match &a["completed_by"] {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Object(o) => o.get("id").map(|v| v.to_string()),
            _ => None,
        },
    };
    let problems = check_result(&config, &result, frames, &format!("annotation {id}.result"));
    let outcome = if a["was_cancelled"].as_bool() == Some(true) {
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
        .put_ls_annotation(&row, &Value::Array(result).to_string())
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
    // Whatever the status, the task's review target may change (a cancelled or invalid
    // version no longer counts).
    reconsider_locked(ctx, project, task_id).await?;
    outcome
}

/// Decides the task's review target again, one decision per task at a time (two annotators
/// saving together must not race).
async fn reconsider_locked(ctx: &JobContext, project: i64, task_id: i64) -> Result<(), JobError> {
    let dir = super::extract::stage_dir(ctx, &format!("task-{task_id}")).join("target");
    let _lock = ctx.lock_dir(&dir).await.map_err(|e| JobError::Transient {
        code: "io-error",
        message: format!("{}: {e}", dir.display()),
    })?;
    super::review_target::reconsider(ctx, project, task_id).await
}

/// Takes every clip of a task out of review (and, if any was approved, out of the dataset at
/// the next assembly, which is queued): its annotations were deleted, or it waits for more,
/// or its annotators disagree.
pub async fn withdraw_task(ctx: &JobContext, task_id: i64) -> Result<(), JobError> {
    use crate::db::review::{APPROVED, REMOVED};
    let stage = format!("task-{task_id}");
    let items = ctx
        .db
        .review_items(&stage)
        .await
        .map_err(JobError::from_coded)?;
    let mut approved = false;
    let mut withdrawn = 0;
    for item in items.iter().filter(|i| i.status != REMOVED) {
        if let (Some(t), Some(client)) = (item.review_task, ctx.ls.as_ref()) {
            match client.delete(&format!("/api/tasks/{t}/")).await {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(JobError::from_coded(e)),
            }
        }
        approved |= item.status == APPROVED;
        ctx.db
            .decide_review_item(&item.stage, &item.item_id, REMOVED, None, None)
            .await
            .map_err(JobError::from_coded)?;
        withdrawn += 1;
    }
    if approved {
        ctx.enqueue(
            super::JobKind::Assemble,
            &format!("assemble:withdrawn:{task_id}:{}", crate::db::now_ms()),
            None,
            None,
            &json!({ "withdrawn_task": task_id }),
        )
        .await
        .map_err(JobError::from_coded)?;
    }
    if withdrawn > 0 {
        tracing::info!(
            task = task_id,
            clips = withdrawn,
            "the task's clips left review"
        );
    }
    Ok(())
}
