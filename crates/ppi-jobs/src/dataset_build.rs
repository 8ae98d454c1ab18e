//! `dataset-build`: the offline dataset builder as a durable job, for the MCP tools and the
//! service's storage watcher. A lesson whose video (by SHA-256) is already in the folder, or
//! on the Hub when publishing, under another lesson id is skipped and says so; otherwise it is
//! built (finished items reused, cancel honoured between items) and, with `publish`, the
//! folder is published. The figures are the job's result.

use std::sync::Arc;

use serde_json::json;

use crate::context::JobContext;
use crate::dataset_publish::{hub_client, publish};
use crate::error::{permanent, thread, JobError};
use crate::payload::BuildJob;
use crate::progress::JobProgress;
use ppi_core::progress::Progress;
use ppi_dataset::lesson;
use ppi_store::db::jobs::JobRecord;

/// Builds the lesson (or says why it was skipped); the figures are the job's result.
pub async fn run(
    ctx: &JobContext,
    record: &JobRecord,
    job: &BuildJob,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let l = &job.lesson;
    for (what, path) in [
        ("video", &l.video),
        ("export", &l.export),
        ("patterns sheet", &l.patterns),
    ] {
        if !path.is_file() {
            return Err(permanent(
                "file-not-found",
                format!("{}: no such {what}", path.display()),
            ));
        }
    }
    progress.span(0.0, 5.0);
    progress.stage("hashing video", 1);
    let video = l.video.clone();
    let sha = tokio::task::spawn_blocking(move || ppi_core::hash::file_sha256(&video))
        .await
        .map_err(thread)?
        .map_err(|e| permanent("io-error", format!("{}: {e}", l.video.display())))?;
    progress.finish_stage();
    let mut duplicate =
        lesson::local_duplicate(&job.out, &l.id, &sha).map_err(JobError::from_coded)?;
    if let (None, Some(to)) = (&duplicate, &job.publish) {
        let known = ppi_dataset::hub::published::published(&hub_client(ctx)?, &to.repo)
            .await
            .map_err(JobError::from_coded)?;
        duplicate = lesson::hub_duplicate(&known, &to.repo, &l.id, &sha);
    }
    if let Some(detail) = duplicate {
        tracing::info!(lesson = %l.id, "{detail}: skipped");
        let result =
            json!({"status": "skipped", "lesson_id": l.id, "source_sha256": sha, "detail": detail});
        return ctx.keep_result(record, &result).await;
    }
    progress.span(5.0, if job.publish.is_some() { 80.0 } else { 95.0 });
    let s = &ctx.settings;
    let settings = lesson::BuildSettings {
        dataset: &s.dataset,
        hub: &s.hub,
        agreement: s.label_studio.agreement,
        data_dir: &s.server.data_dir,
    };
    let req = lesson::request(settings, l, &job.out);
    let pr = progress.clone();
    let report = tokio::task::spawn_blocking(move || ppi_dataset::build::build(&req, pr.as_ref()))
        .await
        .map_err(thread)?
        .map_err(JobError::from_coded)?;
    let mut result = json!({"status": "built", "source_sha256": sha, "build": report});
    if let Some(to) = &job.publish {
        progress.span(85.0, 15.0);
        progress.stage("publishing", 1);
        let published = publish(ctx, &job.out, &to.repo).await?;
        crate::dataset_publish::audit(ctx, record.owner_id.as_deref(), &published).await;
        result["status"] = json!("published");
        result["publish"] = json!(published);
    }
    ctx.keep_result(record, &result).await
}
