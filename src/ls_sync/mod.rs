//! Label Studio use cases: events (from webhooks, `/predict` and the reconcile loop) become
//! deduplicated jobs; the ML backend's answers; the reconcile loop that catches what a lost
//! webhook would have brought.

pub mod analytics;
pub mod backend;
pub mod bootstrap;
pub mod reconcile;
pub mod wiring;

use serde_json::json;

use crate::db::ls::ROLE_REVIEW;
use crate::db::DbError;
use crate::jobs::{JobContext, JobKind};
use crate::label_studio::webhook::LsEvent;

/// The model version PPI reports: `whisper-<model>+rules-<n>`, or `+learned-<n>` once a
/// learned suggester is deployed.
pub fn model_version(settings: &crate::config::Settings) -> String {
    let learned = crate::learn::ModelStore::new(&settings.server.data_dir)
        .deployed()
        .text;
    let label = settings
        .whisper
        .model
        .parse::<crate::asr::ModelSpec>()
        .map(|m| m.label())
        .unwrap_or_else(|_| settings.whisper.model.clone());
    crate::label_studio::preannotate::model_version(&label, learned)
}

/// Records an event once and queues its work; `false` when it was a repeat (or not PPI's to
/// handle). Review-project annotations become review decisions. `source` is `webhook`, `predict` or `reconcile`.
pub async fn queue_event(
    ctx: &JobContext,
    event: &LsEvent,
    action: &str,
    source: &str,
    label_config: Option<&str>,
) -> Result<bool, DbError> {
    let project = event.project();
    let reviews = ctx.db.ls_projects(ROLE_REVIEW).await?;
    let review = reviews.iter().any(|(id, _, _)| *id == project);
    let key = match source {
        "reconcile" => format!("reconcile:{}", event.dedupe_key()),
        _ => event.dedupe_key(),
    };
    if !ctx
        .db
        .record_ls_event(&key, action, project, source)
        .await?
    {
        return Ok(false);
    }
    if review {
        // The review project: only decisions matter (its tasks are PPI's own).
        let LsEvent::Annotation {
            task, annotation, ..
        } = event
        else {
            return Ok(false);
        };
        ctx.enqueue(
            JobKind::ReviewDecision,
            &format!(
                "review:{}:{}",
                annotation["id"],
                annotation["updated_at"].as_str().unwrap_or("")
            ),
            None,
            None,
            &json!({"review_task": task["id"], "annotation": annotation}),
        )
        .await?;
        return Ok(true);
    }
    match event {
        LsEvent::TaskCreated { project, task } => {
            ctx.enqueue(
                JobKind::LsTask,
                &format!("ls-task:{project}:{}", task["id"]),
                None,
                None,
                &json!({"project": project, "task": task, "label_config": label_config}),
            )
            .await?;
        }
        LsEvent::TaskDeleted { task, .. } => ctx.db.delete_ls_task(*task).await?,
        LsEvent::Annotation {
            project,
            task,
            annotation,
            ..
        } => {
            // One job per saved version, whichever way it arrived.
            ctx.enqueue(
                JobKind::LsAnnotation,
                &format!(
                    "ls-annotation:{}:{}",
                    annotation["id"],
                    annotation["updated_at"].as_str().unwrap_or("")
                ),
                None,
                None,
                &json!({"project": project, "task": task, "annotation": annotation,
                        "label_config": label_config}),
            )
            .await?;
        }
        LsEvent::AnnotationDeleted { annotation, .. } => {
            ctx.enqueue(
                JobKind::LsAnnotation,
                &format!("ls-annotation-deleted:{annotation}"),
                None,
                None,
                &json!({ "deleted": annotation }),
            )
            .await?;
        }
    }
    Ok(true)
}
