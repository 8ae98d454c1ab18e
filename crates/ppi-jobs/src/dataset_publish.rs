//! `dataset-publish`: a dataset folder to a Hub repository (the MCP tool and the admin's
//! publish); also the publishing step `dataset-build` ends with. The report is the job's
//! result.

use std::sync::Arc;

use serde_json::json;

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::DatasetPublish;
use crate::progress::JobProgress;
use ppi_core::progress::Progress;
use ppi_dataset::hub::{HubClient, PublishOptions, PublishReport};
use ppi_store::db::jobs::JobRecord;

pub(crate) fn hub_client(ctx: &JobContext) -> Result<HubClient, JobError> {
    let hub = &ctx.settings.hub;
    let token = hub
        .token
        .as_ref()
        .ok_or_else(|| permanent("config-invalid", "HF_TOKEN is not set"))?;
    HubClient::new(&hub.endpoint, token).map_err(JobError::from_coded)
}

pub(crate) async fn publish(
    ctx: &JobContext,
    out: &std::path::Path,
    repo: &str,
) -> Result<PublishReport, JobError> {
    let client = hub_client(ctx)?;
    let opts = PublishOptions {
        repo: repo.to_owned(),
        private: ctx.settings.hub.private,
        message: "Publish lessons built by PPI".into(),
    };
    ppi_dataset::hub::publish(&client, out, &opts)
        .await
        .map_err(JobError::from_coded)
}

/// Records a publication in the audit log: by the job's owner (a user's request), or by
/// `system` (the assembly's automatic publish).
pub(crate) async fn audit(ctx: &JobContext, owner_id: Option<&str>, report: &PublishReport) {
    let actor = match owner_id {
        Some(id) => match ctx.db.user_by_id(id).await {
            Ok(Some(u)) => u.username,
            _ => id.to_owned(),
        },
        None => "system".to_owned(),
    };
    let mut detail = format!(
        "{} file(s) changed, {} unchanged, {} deleted, {} commit(s)",
        report.changed, report.unchanged, report.deleted, report.commits
    );
    // The pipeline board reads the revision back from here (`ppi_store::db::board::revision_of`).
    if let Some(rev) = &report.revision {
        detail.push_str(&format!("; revision {rev}"));
    }
    ctx.db
        .audit_or_log(&ppi_store::db::audit::NewEvent {
            actor: &actor,
            action: ppi_store::db::audit::action::PUBLISHED,
            target: Some(&report.repo),
            address: None,
            detail: Some(&detail),
        })
        .await;
}

/// Publishes the folder; the report is the job's result.
pub async fn run(
    ctx: &JobContext,
    record: &JobRecord,
    job: &DatasetPublish,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let (out, repo) = (&job.out, job.repo.as_str());
    if !ppi_dataset::layout::Layout::new(out).manifest().is_file() {
        return Err(permanent(
            "dataset-not-found",
            format!("{}: no dataset here (build one first)", out.display()),
        ));
    }
    progress.stage("publishing", 1);
    let published = publish(ctx, out, repo).await?;
    audit(ctx, record.owner_id.as_deref(), &published).await;
    progress.finish_stage();
    ctx.keep_result(
        record,
        &json!({"status": "published", "publish": published}),
    )
    .await
}
