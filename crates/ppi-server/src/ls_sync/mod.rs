//! Label Studio use cases: events (from webhooks, `/predict` and the reconcile loop) become
//! deduplicated jobs; the ML backend's answers; the reconcile loop that catches what a lost
//! webhook would have brought.

pub mod backend;
pub mod bootstrap;
pub mod reconcile;
pub mod status;
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
    ppi_label_studio::preannotate::model_version(&model_label(settings), learned)
}

/// Every version PPI has predicted with (LS's `/versions`): the rules', then each learned
/// suggester that was deployed, oldest first.
pub fn model_versions(settings: &ppi_jobs::JobSettings) -> Vec<String> {
    let label = model_label(settings);
    let fits = ppi_learn::ModelStore::new(&settings.server.data_dir).deployed_text_fits();
    std::iter::once(None)
        .chain(fits.into_iter().map(Some))
        .map(|n| ppi_label_studio::preannotate::model_version(&label, n))
        .collect()
}

fn model_label(settings: &ppi_jobs::JobSettings) -> String {
    settings
        .whisper
        .model
        .parse::<ppi_asr::ModelSpec>()
        .map(|m| m.label())
        .unwrap_or_else(|_| settings.whisper.model.clone())
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
    if let LsEvent::StartTraining { project } = event {
        // Every press is a request to learn from the decisions as they are now: keyed by
        // them, not recorded as a one-off event (a second press with nothing new is a repeat).
        let (job, queued) = ppi_jobs::learn::queue(ctx, Some(*project)).await?;
        tracing::info!(project, job = %job.id, queued, "training requested");
        return Ok(queued);
    }
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
        LsEvent::StartTraining { .. } => {}
    }
    Ok(true)
}
