//! Running jobs: the apalis worker, attempts with timeout and exponential backoff, and the
//! record keeping around them.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use tracing::Instrument;

use crate::context::JobContext;
use crate::error::JobError;
use crate::payload::Job;
use crate::progress::JobProgress;
use crate::queue::{Backend, JobMsg};
use crate::wake::Wake;
use crate::{
    agreement, annotation, assemble, dataset_build, dataset_publish, extract, extract_audio, learn,
    ls_import, preannotate, review_decision, transcribe,
};
use ppi_store::db::jobs::{Claim, JobRecord, CANCELED, FAILED, LEASE_MS, QUEUED, SUCCEEDED};
use ppi_store::db::{now_ms, DbError};

/// The delays between attempts (`backon`): 2 s, 4 s, 8 s … capped at 60 s, without end (the
/// caller decides how many attempts there are).
pub fn retry_delays() -> impl Iterator<Item = Duration> {
    use backon::BackoffBuilder;
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(2))
        .with_max_delay(Duration::from_secs(60))
        .with_factor(2.0)
        .without_max_times()
        .build()
}

/// Delay before attempt `n + 1` (n ≥ 1).
pub fn backoff(n: u32) -> Duration {
    retry_delays()
        .nth(n.saturating_sub(1) as usize)
        .unwrap_or(Duration::from_secs(60))
}

/// One attempt, stopped at the per-job timeout.
async fn attempt(
    ctx: &Arc<JobContext>,
    record: &JobRecord,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let limit = Duration::from_secs(ctx.settings.server.job_timeout_secs.max(1));
    let work = async {
        // Decoded once; a payload that does not fit its kind fails the job for good.
        match Job::decode(&record.kind, &record.payload)? {
            Job::ExtractAudio(_) => extract_audio::run(ctx, record, progress).await,
            Job::Transcribe(job) => transcribe::run(ctx, record, &job, progress).await,
            Job::LsTask(job) => preannotate::run(ctx, &job).await,
            Job::LsAnnotation(event) => annotation::run(ctx, &event).await,
            Job::LsAgreement(ask) => agreement::run(ctx, &ask).await,
            Job::LsImport(job) => ls_import::run(ctx, &job).await,
            Job::Extract(job) => extract::run(ctx, &job, progress).await,
            Job::ReviewDecision(job) => review_decision::run(ctx, &job).await,
            Job::Assemble(_) => assemble::run(ctx).await,
            Job::DatasetBuild(job) => dataset_build::run(ctx, record, &job, progress).await,
            Job::DatasetPublish(job) => dataset_publish::run(ctx, record, &job, progress).await,
            Job::Learn(_) => learn::run(ctx, record).await,
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
/// after [`crate::queue::MISSED_HEARTBEATS`] the job is queued again).
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
        crate::telemetry::job_wait(&kind, waited);
        tracing::info!(waited_ms = (waited * 1000.0).round(), "job started");
    }
    let max = ctx.settings.server.job_attempts.max(1) as u32;
    let mut n = 0u32;
    let mut delays = retry_delays();
    loop {
        n += 1;
        if !claim(&ctx, &record.id).await? {
            tracing::info!("job canceled or finished before it ran");
            return Ok(());
        }
        crate::telemetry::job_event(&kind, "running");
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
                    _ = tokio::time::sleep(delays.next().unwrap_or(Duration::from_secs(60))) => {}
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
        crate::telemetry::job_event(&kind, status);
        crate::telemetry::job_duration(&kind, started.elapsed().as_secs_f64());
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
    let id = ppi_core::domain::EntityId::new();
    let tail = &id.as_str()[id.as_str().len().saturating_sub(6)..];
    format!("ppi-worker-{host}-{}-{tail}", std::process::id())
}

/// What tells the workers to stop.
pub type WorkersShutdown =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send + 'static>>;

/// Runs workers until `shutdown` resolves. Running jobs are then stopped and handed back to the
/// queue (they are keyed, so running them again is safe) instead of being waited for.
///
/// `shutdown` is boxed, not generic, so that the workers and every job handler they reach are
/// compiled here once, not again in each caller (see docs/benchmarks.md, "Build").
pub fn run_workers(
    ctx: Arc<JobContext>,
    shutdown: WorkersShutdown,
) -> futures_util::future::BoxFuture<'static, Result<(), BoxDynError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(workers(ctx, shutdown))
}

async fn workers(ctx: Arc<JobContext>, shutdown: WorkersShutdown) -> Result<(), BoxDynError> {
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
