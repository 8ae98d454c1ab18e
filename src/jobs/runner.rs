//! Running jobs: the apalis worker, attempts with timeout and exponential backoff, and the
//! record keeping around them.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use tracing::Instrument;

use super::progress::JobProgress;
use super::{
    assemble, extract, extract_audio, ls_annotation, ls_tasks, transcribe, JobError, JobKind,
    JobMsg, Queue,
};
use crate::config::Settings;
use crate::db::jobs::{JobRecord, CANCELED, FAILED, QUEUED, SUCCEEDED};
use crate::db::{Db, DbError};
use crate::metrics::Metrics;
use crate::storage::ObjectStore;

/// What jobs need: shared by all workers of a process.
pub struct JobContext {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub queue: Queue,
    /// The local backend again, for recognising PPI's own signed URLs in tasks.
    pub local: Option<Arc<crate::storage::local::LocalStore>>,
    /// Label Studio, when configured.
    pub ls: Option<crate::label_studio::client::LsClient>,
    /// The Whisper model, loaded on first use and shared by this process's jobs.
    pub asr: tokio::sync::OnceCell<Arc<crate::asr::Transcriber>>,
    /// The patterns sheet for suggestions, when configured.
    pub patterns: Option<Arc<crate::catalog::PatternCatalog>>,
}

impl JobContext {
    /// Records and queues a job once per idempotency key; asking again returns the same job.
    pub async fn enqueue(
        &self,
        kind: JobKind,
        key: &str,
        lesson_id: Option<&str>,
        owner_id: Option<&str>,
        payload: &serde_json::Value,
    ) -> Result<JobRecord, DbError> {
        let (record, created) = self
            .db
            .upsert_job(
                kind.as_str(),
                key,
                lesson_id,
                owner_id,
                &payload.to_string(),
            )
            .await?;
        if created {
            self.queue
                .push(&record.id, key, self.settings.server.job_attempts + 2)
                .await?;
            self.metrics.job_event(kind.as_str(), QUEUED);
        }
        Ok(record)
    }

    /// An exclusive lock on `dir/.lock` (a file lock, so it holds across processes sharing the
    /// data dir), taken without blocking the runtime; released when dropped.
    pub async fn lock_dir(&self, dir: &std::path::Path) -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(".lock");
        tokio::task::spawn_blocking(move || {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            f.lock()?;
            Ok(f)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// A scratch folder for one job, under the data dir.
    pub fn scratch(&self, job_id: &str) -> std::io::Result<tempfile::TempDir> {
        let base = self.settings.server.data_dir.join("tmp");
        std::fs::create_dir_all(&base)?;
        tempfile::Builder::new()
            .prefix(&format!("job-{job_id}-"))
            .tempdir_in(base)
    }
}

/// Delay before attempt `n + 1` (n ≥ 1): 2 s, 4 s, 8 s … capped at 60 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(n).min(60))
}

/// One attempt, stopped at the per-job timeout.
async fn attempt(
    ctx: &Arc<JobContext>,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let limit = Duration::from_secs(ctx.settings.server.job_timeout_secs.max(1));
    let work = async {
        match JobKind::parse(&record.kind) {
            Some(JobKind::ExtractAudio) => extract_audio::run(ctx, record, progress).await,
            Some(JobKind::Transcribe) => transcribe::run(ctx, record, progress).await,
            Some(JobKind::LsTask) => ls_tasks::run_task(ctx, record).await,
            Some(JobKind::LsAnnotation) => ls_annotation::run(ctx, record).await,
            Some(JobKind::LsImport) => ls_tasks::run_import(ctx, record).await,
            Some(JobKind::Extract) => extract::run(ctx, record, progress).await,
            Some(JobKind::ReviewDecision) => assemble::run_decision(ctx, record).await,
            Some(JobKind::Assemble) => assemble::run(ctx, record).await,
            None => Err(JobError::Permanent {
                code: "job-unknown-kind",
                message: format!("unknown job kind {:?}", record.kind),
            }),
        }
    };
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => {
            // Blocking work sees the flag at its next check and stops.
            progress.cancel();
            Err(JobError::Transient {
                code: "job-timeout",
                message: format!("the attempt ran longer than {} s", limit.as_secs()),
            })
        }
    }
}

/// The apalis handler: runs a job to its end (attempts, backoff, record keeping). Failures are
/// recorded on the job, so apalis sees success and does not retry on its own; apalis's own
/// attempts only come in when a worker dies mid-job (heartbeats lapse and it re-queues).
pub async fn handle(msg: JobMsg, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    let ctx: Arc<JobContext> = (*ctx).clone();
    let Some(record) = ctx.db.job(&msg.job_id).await? else {
        tracing::warn!(job = %msg.job_id, "queued job has no record; skipped");
        return Ok(());
    };
    let span = tracing::info_span!("job", job = %record.id, kind = %record.kind, lesson = record.lesson_id.as_deref().unwrap_or(""));
    run_to_end(ctx, record).instrument(span).await
}

async fn run_to_end(ctx: Arc<JobContext>, record: JobRecord) -> Result<(), BoxDynError> {
    let kind = record.kind.clone();
    let started = Instant::now();
    let max = ctx.settings.server.job_attempts.max(1) as u32;
    let mut n = 0u32;
    loop {
        n += 1;
        if !ctx.db.start_job(&record.id).await? {
            tracing::info!("job canceled or finished before it ran");
            return Ok(());
        }
        ctx.metrics.job_event(&kind, "running");
        let progress = JobProgress::new();
        let stop = Arc::new(AtomicBool::new(false));
        let pump = tokio::spawn(progress.clone().pump(
            ctx.db.clone(),
            record.id.clone(),
            Duration::from_millis(700),
            stop.clone(),
        ));
        let result = attempt(&ctx, &record, &progress).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Do not wait for the pump's next tick (up to 0.7 s per job).
        pump.abort();
        let _ = pump.await;
        let (status, error) = match &result {
            Ok(()) => (SUCCEEDED, None),
            Err(JobError::Canceled) => (CANCELED, None),
            Err(e @ JobError::Transient { .. }) if n < max => {
                tracing::warn!(attempt = n, "attempt failed, retrying: {e}");
                ctx.db
                    .finish_job(&record.id, QUEUED, Some((e.code(), &e.to_string())))
                    .await?;
                tokio::time::sleep(backoff(n)).await;
                continue;
            }
            Err(e) => (FAILED, Some((e.code(), e.to_string()))),
        };
        ctx.db
            .finish_job(
                &record.id,
                status,
                error.as_ref().map(|(c, m)| (*c, m.as_str())),
            )
            .await?;
        ctx.metrics.job_event(&kind, status);
        ctx.metrics
            .job_duration(&kind, started.elapsed().as_secs_f64());
        match &error {
            Some((code, message)) => tracing::error!(code, attempts = n, "job failed: {message}"),
            None => tracing::info!(
                status,
                seconds = started.elapsed().as_secs_f64(),
                "job finished"
            ),
        }
        return Ok(());
    }
}

/// How often an idle worker looks for work. apalis's default backs off to 60 s when the queue
/// is empty, which made a fresh upload wait up to a minute; a steady half second costs one
/// cheap indexed query.
const POLL: Duration = Duration::from_millis(500);

/// Runs workers until `shutdown` resolves, then lets running jobs finish (up to a grace period).
pub async fn run_workers<F>(ctx: Arc<JobContext>, shutdown: F) -> Result<(), BoxDynError>
where
    F: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let concurrency = ctx.settings.server.worker_concurrency.max(1);
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    let monitor = match ctx.queue.clone() {
        Queue::Sqlite(storage) => {
            let ctx = ctx.clone();
            monitor.register(move |i| {
                WorkerBuilder::new(format!("ppi-worker-{}-{i}", std::process::id()))
                    .backend(storage.clone().poll_with_interval(POLL))
                    .data(ctx.clone())
                    .parallelize(tokio::spawn)
                    .concurrency(concurrency)
                    .build(handle)
            })
        }
        Queue::Postgres(storage) => {
            let ctx = ctx.clone();
            monitor.register(move |i| {
                WorkerBuilder::new(format!("ppi-worker-{}-{i}", std::process::id()))
                    .backend(storage.clone().poll_with_interval(POLL))
                    .data(ctx.clone())
                    .parallelize(tokio::spawn)
                    .concurrency(concurrency)
                    .build(handle)
            })
        }
    };
    monitor.run_with_signal(shutdown).await?;
    Ok(())
}
