//! `dataset-build` and `dataset-publish`: the offline dataset builder as durable jobs, for the
//! MCP tools and the service's storage watcher.
//!
//! `dataset-build` payload `{lesson: {id, video, export, patterns}, out, publish: {repo}?}`: a
//! lesson whose video (by SHA-256) is already in the folder, or on the Hub when publishing,
//! under another lesson id is skipped and says so; otherwise it is built (finished items reused,
//! cancel honoured between items) and, with `publish`, the folder is published.
//! `dataset-publish` payload `{out, repo}`. Both keep their figures as the job's result.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::ls_tasks::{payload, permanent};
use super::progress::JobProgress;
use super::runner::JobContext;
use super::JobError;
use crate::dataset::lesson::{self, LessonFiles};
use crate::db::jobs::JobRecord;
use crate::hub::{HubClient, PublishOptions, PublishReport};
use crate::progress::Progress;

/// A `dataset-build` payload.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BuildJob {
    pub lesson: LessonFiles,
    pub out: PathBuf,
    #[serde(default)]
    pub publish: Option<PublishTo>,
}

/// Where to publish after the build.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PublishTo {
    pub repo: String,
}

fn thread(e: tokio::task::JoinError) -> JobError {
    JobError::Transient {
        code: "internal",
        message: format!("worker thread: {e}"),
    }
}

fn hub_client(ctx: &JobContext) -> Result<HubClient, JobError> {
    let hub = &ctx.settings.hub;
    let token = hub
        .token
        .as_ref()
        .ok_or_else(|| permanent("config-invalid", "HF_TOKEN is not set"))?;
    HubClient::new(&hub.endpoint, token).map_err(JobError::from_coded)
}

async fn publish(
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
    crate::hub::publish(&client, out, &opts)
        .await
        .map_err(JobError::from_coded)
}

async fn keep(ctx: &JobContext, record: &JobRecord, result: &Value) -> Result<(), JobError> {
    ctx.db
        .set_job_result(&record.id, result)
        .await
        .map_err(JobError::from_coded)
}

/// `dataset-build`.
pub async fn run_build(
    ctx: &Arc<JobContext>,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let job: BuildJob = serde_json::from_value(payload(record)?)
        .map_err(|e| permanent("job-invalid", format!("job payload: {e}")))?;
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
    let sha = tokio::task::spawn_blocking(move || crate::hash::file_sha256(&video))
        .await
        .map_err(thread)?
        .map_err(|e| permanent("io-error", format!("{}: {e}", l.video.display())))?;
    progress.finish_stage();
    let mut duplicate =
        lesson::local_duplicate(&job.out, &l.id, &sha).map_err(JobError::from_coded)?;
    if let (None, Some(to)) = (&duplicate, &job.publish) {
        let known = crate::hub::published::published(&hub_client(ctx)?, &to.repo)
            .await
            .map_err(JobError::from_coded)?;
        duplicate = lesson::hub_duplicate(&known, &to.repo, &l.id, &sha);
    }
    if let Some(detail) = duplicate {
        tracing::info!(lesson = %l.id, "{detail}: skipped");
        let result =
            json!({"status": "skipped", "lesson_id": l.id, "source_sha256": sha, "detail": detail});
        return keep(ctx, record, &result).await;
    }
    progress.span(5.0, if job.publish.is_some() { 80.0 } else { 95.0 });
    let req = lesson::request(&ctx.settings, l, &job.out);
    let pr = progress.clone();
    let report =
        tokio::task::spawn_blocking(move || crate::dataset::build::build(&req, pr.as_ref()))
            .await
            .map_err(thread)?
            .map_err(JobError::from_coded)?;
    let mut result = json!({"status": "built", "source_sha256": sha, "build": report});
    if let Some(to) = &job.publish {
        progress.span(85.0, 15.0);
        progress.stage("publishing", 1);
        let published = publish(ctx, &job.out, &to.repo).await?;
        result["status"] = json!("published");
        result["publish"] = json!(published);
    }
    keep(ctx, record, &result).await
}

/// `dataset-publish`.
pub async fn run_publish(
    ctx: &Arc<JobContext>,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let p = payload(record)?;
    let out = PathBuf::from(p["out"].as_str().unwrap_or_default());
    let repo = p["repo"].as_str().unwrap_or_default();
    if !crate::dataset::layout::Layout::new(&out)
        .manifest()
        .is_file()
    {
        return Err(permanent(
            "dataset-not-found",
            format!("{}: no dataset here (build one first)", out.display()),
        ));
    }
    progress.stage("publishing", 1);
    let published = publish(ctx, &out, repo).await?;
    progress.finish_stage();
    keep(
        ctx,
        record,
        &json!({"status": "published", "publish": published}),
    )
    .await
}
