//! Job progress: typed stages, percent and ETA, written to the job record about once a second,
//! and the cancel flag read back on each write.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ppi_core::progress::Progress;
use ppi_store::db::Db;

/// Progress of one job attempt, shared between the blocking worker thread (which reports) and
/// an async task (which writes the record).
pub struct JobProgress {
    stage: Mutex<(String, u64, Instant)>,
    done: AtomicU64,
    canceled: AtomicBool,
    /// Fraction of the whole job covered by the current stage: (offset, weight) in percent.
    span: Mutex<(f64, f64)>,
}

impl JobProgress {
    pub fn new() -> Arc<Self> {
        Arc::new(JobProgress {
            stage: Mutex::new(("starting".into(), 0, Instant::now())),
            done: AtomicU64::new(0),
            canceled: AtomicBool::new(false),
            span: Mutex::new((0.0, 100.0)),
        })
    }

    /// The next stages cover `weight` percent of the job, starting at `offset` percent.
    pub fn span(&self, offset: f64, weight: f64) {
        if let Ok(mut s) = self.span.lock() {
            *s = (offset, weight);
        }
    }

    /// Stops the work at its next check.
    pub fn cancel(&self) {
        self.canceled.store(true, Ordering::Relaxed);
    }

    /// (stage, percent of the whole job, ETA in seconds for the stage).
    pub fn snapshot(&self) -> (String, f64, Option<f64>) {
        let (name, total, started) = self
            .stage
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|_| ("?".into(), 0, Instant::now()));
        let (offset, weight) = self.span.lock().map(|s| *s).unwrap_or((0.0, 100.0));
        let done = self.done.load(Ordering::Relaxed).min(total);
        let frac = if total > 0 {
            done as f64 / total as f64
        } else {
            0.0
        };
        let elapsed = started.elapsed().as_secs_f64();
        let eta = (frac > 0.01 && elapsed > 0.5).then(|| elapsed / frac * (1.0 - frac));
        (name, (offset + weight * frac).clamp(0.0, 100.0), eta)
    }

    /// Writes progress to the record every `every` until `stop`, canceling on request.
    pub async fn pump(
        self: Arc<Self>,
        db: Db,
        job_id: String,
        every: Duration,
        stop: Arc<AtomicBool>,
    ) {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(every).await;
            let (stage, percent, eta) = self.snapshot();
            match db
                .job_progress(&job_id, &stage, (percent * 10.0).round() / 10.0, eta)
                .await
            {
                Ok(true) => self.cancel(),
                Ok(false) => {}
                Err(e) => tracing::warn!(job = %job_id, "progress not recorded: {e}"),
            }
        }
    }
}

impl Progress for JobProgress {
    fn stage(&self, name: &str, total: u64) {
        if let Ok(mut s) = self.stage.lock() {
            *s = (name.to_owned(), total, Instant::now());
        }
        self.done.store(0, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    fn note(&self, message: &str) {
        tracing::info!("{message}");
    }

    fn finish_stage(&self) {
        if let Ok(s) = self.stage.lock() {
            self.done.store(s.1, Ordering::Relaxed);
        }
    }

    fn canceled(&self) -> bool {
        self.canceled.load(Ordering::Relaxed)
    }
}
