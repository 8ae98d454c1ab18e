//! Label Studio use cases: events (from webhooks, `/predict` and the reconcile loop) become
//! deduplicated jobs; the ML backend's answers; the reconcile loop that catches what a lost
//! webhook would have brought.

pub mod backend;
pub mod bootstrap;
pub mod reconcile;
pub mod wiring;

use ppi_jobs::payload::{AnnotationEvent, PreAnnotate, ReviewDecision};
use ppi_jobs::{Job, JobContext};
use ppi_label_studio::webhook::LsEvent;
use ppi_store::db::ls::ROLE_REVIEW;
use ppi_store::db::DbError;

/// The model version PPI reports: `whisper-<model>+rules-<n>`, or `+learned-<n>` once a
/// learned suggester is deployed.
pub fn model_version(settings: &ppi_jobs::JobSettings) -> String {
    let learned = ppi_learn::ModelStore::new(&settings.server.data_dir)
        .deployed()
        .text;
    let label = settings
        .whisper
        .model
        .parse::<ppi_asr::ModelSpec>()
        .map(|m| m.label())
        .unwrap_or_else(|_| settings.whisper.model.clone());
    ppi_label_studio::preannotate::model_version(&label, learned)
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
        let job = Job::ReviewDecision(ReviewDecision {
            review_task: task.id,
            annotation: annotation.clone(),
        });
        let key = format!("review:{}:{}", annotation.id, annotation.version());
        ctx.enqueue(&job, &key, None, None).await?;
        return Ok(true);
    }
    match event {
        LsEvent::TaskCreated { project, task } => {
            let job = Job::LsTask(PreAnnotate {
                project: *project,
                task: task.clone(),
                label_config: label_config.map(str::to_owned),
            });
            let key = format!("ls-task:{project}:{}", task.id);
            ctx.enqueue(&job, &key, None, None).await?;
        }
        LsEvent::TaskDeleted { task, .. } => ctx.db.delete_ls_task(*task).await?,
        LsEvent::Annotation {
            project,
            task,
            annotation,
            ..
        } => {
            // One job per saved version, whichever way it arrived.
            let job = Job::LsAnnotation(AnnotationEvent::Saved {
                project: *project,
                task: task.clone(),
                annotation: annotation.clone(),
                label_config: label_config.map(str::to_owned),
            });
            let key = format!("ls-annotation:{}:{}", annotation.id, annotation.version());
            ctx.enqueue(&job, &key, None, None).await?;
        }
        LsEvent::AnnotationDeleted { annotation, .. } => {
            let job = Job::LsAnnotation(AnnotationEvent::Deleted {
                deleted: *annotation,
            });
            let key = format!("ls-annotation-deleted:{annotation}");
            ctx.enqueue(&job, &key, None, None).await?;
        }
    }
    Ok(true)
}
