//! Running jobs: the apalis worker, attempts with timeout and exponential backoff, and the
//! record keeping around them.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use tracing::Instrument;

use tokio_util::sync::CancellationToken;

use super::progress::JobProgress;
use super::queue::Backend;
use super::wake::Wake;
use super::{
    assemble, dataset, extract, extract_audio, learn, ls_annotation, ls_tasks, transcribe,
    JobError, JobKind, JobMsg, Queue,
};
use crate::config::Settings;
use crate::db::jobs::{Claim, JobRecord, CANCELED, FAILED, LEASE_MS, QUEUED, SUCCEEDED};
use crate::db::{now_ms, Db, DbError};
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
    /// Cancelled when the process stops: running jobs give their work back to the queue.
    pub stopping: CancellationToken,
    /// The attempts running in this process, so that a cancel asked here stops them at once
    /// (other processes see the flag at their next progress write).
    pub running: std::sync::Mutex<std::collections::HashMap<String, Arc<JobProgress>>>,
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
        Ok(self
            .enqueue_once(kind, key, lesson_id, owner_id, payload)
            .await?
            .0)
    }

    /// [`Self::enqueue`], also saying whether this call created the job (`false`: it existed).
    pub async fn enqueue_once(
        &self,
        kind: JobKind,
        key: &str,
        lesson_id: Option<&str>,
        owner_id: Option<&str>,
        payload: &serde_json::Value,
    ) -> Result<(JobRecord, bool), DbError> {
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
                .push(
                    kind.lane(),
                    &record.id,
                    key,
                    self.settings.server.job_attempts + 2,
                )
                .await?;
            self.metrics.job_event(kind.as_str(), QUEUED);
        }
        Ok((record, created))
    }

    /// Stops the attempt of `job_id` running in this process, if any.
    pub fn cancel_running(&self, job_id: &str) {
        if let Some(p) = self
            .running
            .lock()
            .ok()
            .and_then(|r| r.get(job_id).cloned())
        {
            p.cancel();
        }
    }

    fn track(&self, job_id: &str, progress: Option<&Arc<JobProgress>>) {
        if let Ok(mut r) = self.running.lock() {
            match progress {
                Some(p) => r.insert(job_id.to_owned(), p.clone()),
                None => r.remove(job_id),
            };
        }
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

    /// A scratch folder for one job, under the data dir (an earlier attempt's is removed).
    pub fn scratch(&self, job_id: &str) -> std::io::Result<super::scratch::Scratch> {
        super::scratch::Scratch::create(&self.settings.server.data_dir.join("tmp"), job_id)
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
            Some(JobKind::DatasetBuild) => dataset::run_build(ctx, record, progress).await,
            Some(JobKind::DatasetPublish) => dataset::run_publish(ctx, record, progress).await,
            Some(JobKind::Learn) => learn::run(ctx, record).await,
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
/// re-delivery only comes in when a worker dies or stops mid-job (its heartbeats stop, and
/// after [`super::queue::MISSED_HEARTBEATS`] the job is queued again).
pub async fn handle(msg: JobMsg, ctx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    let ctx: Arc<JobContext> = (*ctx).clone();
    let Some(record) = ctx.db.job(&msg.job_id).await? else {
        tracing::warn!(job = %msg.job_id, "queued job has no record; skipped");
        return Ok(());
    };
    let span = tracing::info_span!("job", job = %record.id, kind = %record.kind, lesson = record.lesson_id.as_deref().unwrap_or(""));
    run_to_end(ctx, record).instrument(span).await
}

/// Never resolves: a job interrupted by the process stopping must not be acknowledged, so that
/// the queue hands it to another worker (or to this one after a restart).
async fn hold_unacknowledged() -> ! {
    std::future::pending::<()>().await;
    unreachable!("pending never resolves")
}

/// Claims the job, waiting while another live worker holds its lease; `false` when there is
/// nothing to run.
async fn claim(ctx: &JobContext, id: &str) -> Result<bool, DbError> {
    loop {
        match ctx.db.claim_job(id).await? {
            Claim::Started => return Ok(true),
            Claim::Gone => return Ok(false),
            Claim::Held { until_ms } => {
                tracing::info!("the job runs on another worker; waiting for it or its lease");
                let wait = (until_ms - now_ms()).clamp(100, LEASE_MS) as u64;
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    _ = ctx.stopping.cancelled() => hold_unacknowledged().await,
                }
            }
        }
    }
}

async fn run_to_end(ctx: Arc<JobContext>, record: JobRecord) -> Result<(), BoxDynError> {
    let kind = record.kind.clone();
    let started = Instant::now();
    if record.started_at.is_none() {
        let waited = (now_ms() - record.created_at).max(0) as f64 / 1000.0;
        ctx.metrics.job_wait(&kind, waited);
        tracing::info!(waited_ms = (waited * 1000.0).round(), "job started");
    }
    let max = ctx.settings.server.job_attempts.max(1) as u32;
    let mut n = 0u32;
    loop {
        n += 1;
        if !claim(&ctx, &record.id).await? {
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
        ctx.track(&record.id, Some(&progress));
        let result = tokio::select! {
            r = attempt(&ctx, &record, &progress) => Some(r),
            _ = ctx.stopping.cancelled() => None,
        };
        ctx.track(&record.id, None);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Do not wait for the pump's next tick (up to 0.7 s per job).
        pump.abort();
        let _ = pump.await;
        let Some(result) = result else {
            // Blocking work sees the flag at its next check and stops.
            progress.cancel();
            ctx.db.release_job(&record.id).await?;
            tracing::info!("the process is stopping: the job goes back to the queue");
            hold_unacknowledged().await
        };
        let (status, error) = match &result {
            Ok(()) => (SUCCEEDED, None),
            Err(JobError::Canceled) => (CANCELED, None),
            Err(e @ JobError::Transient { .. }) if n < max => {
                tracing::warn!(attempt = n, "attempt failed, retrying: {e}");
                ctx.db
                    .finish_job(&record.id, QUEUED, Some((e.code(), &e.to_string())))
                    .await?;
                tokio::select! {
                    _ = tokio::time::sleep(backoff(n)) => {}
                    _ = ctx.stopping.cancelled() => hold_unacknowledged().await,
                }
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

/// How often an idle worker looks for jobs pushed by other processes (this process's own
/// pushes wake it at once). apalis's default backs off to 60 s on an empty queue.
const POLL: Duration = Duration::from_millis(500);

/// Jobs of the light lane (webhooks, LS tasks, review decisions) a process runs at once.
const LIGHT_CONCURRENCY: usize = 2;

/// Running jobs get this long to notice the stop before the process leaves them to the queue.
pub const STOP_GRACE: Duration = Duration::from_millis(1200);

/// This process's worker name: unique per process start, across machines and containers.
/// The queue tracks a worker's liveness by its name, so two live processes must never share
/// one; in containers every process is pid 1, so the pid alone is not enough. The host name
/// (a container's id) and the pid make it readable; a fresh id makes it unique, so a restarted
/// container is not taken for the process that died.
fn worker_prefix() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .take(63)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let id = crate::domain::EntityId::new();
    let tail = &id.as_str()[id.as_str().len().saturating_sub(6)..];
    format!("ppi-worker-{host}-{}-{tail}", std::process::id())
}

/// Runs workers until `shutdown` resolves. Running jobs are then stopped and handed back to the
/// queue (they are keyed, so running them again is safe) instead of being waited for.
pub async fn run_workers<F>(ctx: Arc<JobContext>, shutdown: F) -> Result<(), BoxDynError>
where
    F: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let concurrency = ctx.settings.server.worker_concurrency.max(1);
    let worker_prefix = worker_prefix();
    tracing::info!(worker = %worker_prefix, "job workers registering");
    let mut monitor = Monitor::new().shutdown_timeout(STOP_GRACE);
    for (lane, backend, slots) in [
        ("heavy", ctx.queue.heavy.clone(), concurrency),
        ("light", ctx.queue.light.clone(), LIGHT_CONCURRENCY),
    ] {
        let wake = ctx.queue.wake.clone();
        let prefix = worker_prefix.clone();
        let name = move |i: usize| format!("{prefix}-{lane}-{i}");
        let ctx = ctx.clone();
        monitor = match backend {
            Backend::Sqlite(storage) => monitor.register(move |i| {
                WorkerBuilder::new(name(i))
                    .backend(
                        storage
                            .clone()
                            .poll_with_strategy(Wake::new(wake.clone(), POLL)),
                    )
                    .data(ctx.clone())
                    .parallelize(tokio::spawn)
                    .concurrency(slots)
                    .build(handle)
            }),
            Backend::Postgres(storage) => monitor.register(move |i| {
                WorkerBuilder::new(name(i))
                    .backend(
                        storage
                            .clone()
                            .poll_with_strategy(Wake::new(wake.clone(), POLL)),
                    )
                    .data(ctx.clone())
                    .parallelize(tokio::spawn)
                    .concurrency(slots)
                    .build(handle)
            }),
        };
    }
    let stopping = ctx.stopping.clone();
    let signal = async move {
        let r = shutdown.await;
        stopping.cancel();
        r
    };
    monitor.run_with_signal(signal).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::worker_prefix;

    /// Two process starts on one host with one pid (two containers) never share a worker name.
    #[test]
    fn worker_names_are_unique_per_start() {
        let (a, b) = (worker_prefix(), worker_prefix());
        assert_ne!(a, b);
        assert!(a.starts_with("ppi-worker-"), "{a}");
        assert!(a.contains(&format!("-{}-", std::process::id())), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "{a}"
        );
    }
}
