//! `ls-agreement`: a task's agreement measured again and its review target decided, after
//! its annotations changed. Asked for by [`crate::annotation`]; a burst of saves on one task
//! joins the measurement still waiting in the queue, so twenty annotators saving at once cost
//! one or two measurements instead of twenty, and the saves themselves stay quick.

use crate::context::JobContext;
use crate::error::JobError;
use crate::payload::{AgreementAsk, Job};

/// The idempotency keys of a task's measurements: this prefix, then a fresh id.
fn prefix(task_id: i64) -> String {
    format!("ls-agreement:{task_id}:")
}

/// Asks for the task's agreement to be measured again. A measurement of the task still
/// queued (not started) will read this change when it runs, so none is added then.
pub async fn ask(ctx: &JobContext, project: i64, task_id: i64) -> Result<(), JobError> {
    let waiting = ctx
        .db
        .queued_job_with_prefix(&prefix(task_id))
        .await
        .map_err(JobError::from_coded)?;
    if waiting.is_some() {
        return Ok(());
    }
    let key = format!("{}{}", prefix(task_id), ppi_core::domain::EntityId::new());
    let job = Job::LsAgreement(AgreementAsk { project, task_id });
    ctx.enqueue(&job, &key, None, None)
        .await
        .map_err(JobError::from_coded)?;
    Ok(())
}

/// Decides the task's review target again, one decision per task at a time (two
/// measurements of the same task must not race).
pub async fn run(ctx: &JobContext, ask: &AgreementAsk) -> Result<(), JobError> {
    let data_dir = &ctx.settings.server.data_dir;
    let dir =
        crate::stage::stage_dir(data_dir, &crate::stage::task_stage(ask.task_id)).join("target");
    let _lock = ctx.lock_dir(&dir).await.map_err(|e| JobError::Transient {
        code: "io-error",
        message: format!("{}: {e}", dir.display()),
    })?;
    crate::review_target::reconsider(ctx, ask.project, ask.task_id).await
}
