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
        return withdraw_review(ctx, id).await;
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
    outcome?;
    // Accepted: cut the clips for review (once per saved version).
    let has_review = !ctx
        .db
        .ls_projects(crate::db::ls::ROLE_REVIEW)
        .await
        .map_err(JobError::from_coded)?
        .is_empty();
    if row.status == ACCEPTED && has_review {
        ctx.enqueue(
            super::JobKind::Extract,
            &format!("extract:{id}:{}", row.ls_updated_at),
            None,
            None,
            &json!({"project": project, "task_id": task_id, "annotation_id": id,
                    "result": a["result"], "updated_at": a["updated_at"]}),
        )
        .await
        .map_err(JobError::from_coded)?;
    }
    Ok(())
}

/// A deleted annotation takes its clips out of review (and, if any was approved, out of the
/// dataset at the next assembly, which is queued).
async fn withdraw_review(ctx: &Arc<JobContext>, annotation_id: i64) -> Result<(), JobError> {
    use crate::db::review::{APPROVED, REMOVED};
    let items = ctx
        .db
        .review_items_of_annotation(annotation_id)
        .await
        .map_err(JobError::from_coded)?;
    let mut approved = false;
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
            .decide_review_item(&item.stage, &item.item_id, REMOVED, None)
            .await
            .map_err(JobError::from_coded)?;
    }
    if approved {
        ctx.enqueue(
            super::JobKind::Assemble,
            &format!("assemble:withdrawn:{annotation_id}"),
            None,
            None,
            &json!({ "withdrawn_annotation": annotation_id }),
        )
        .await
        .map_err(JobError::from_coded)?;
    }
    tracing::info!(
        annotation = annotation_id,
        clips = items.len(),
        "annotation deleted: its clips left review"
    );
    Ok(())
}
