//! What every job handler shares: the [`JobContext`] (database, storage, settings, queue,
//! Label Studio, the Whisper model) and the helpers several job kinds use: queueing a job once
//! per key, folder locks and scratch space, the Label Studio client, a project's label config
//! and the media SSRF policy.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::{permanent, JobError};
use crate::payload::Job;
use crate::progress::JobProgress;
use crate::queue::Queue;
use crate::settings::JobSettings;
use ppi_label_studio::client::LsClient;
use ppi_label_studio::config::LabelConfig;
use ppi_label_studio::media::MediaPolicy;
use ppi_store::db::jobs::{JobRecord, QUEUED};
use ppi_store::db::{Db, DbError};
use ppi_store::storage::settings::StorageBackend;
use ppi_store::storage::ObjectStore;

/// What jobs need: shared by all workers of a process.
pub struct JobContext {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub settings: Arc<JobSettings>,
    pub queue: Queue,
    /// The local backend again, for recognising PPI's own signed URLs in tasks.
    pub local: Option<Arc<ppi_store::storage::local::LocalStore>>,
    /// Label Studio, when configured.
    pub ls: Option<LsClient>,
    /// The Whisper model, loaded on first use and shared by this process's jobs.
    pub asr: tokio::sync::OnceCell<Arc<ppi_asr::Transcriber>>,
    /// The speaker models (VAD and voice encoder), loaded on first use.
    pub speakers: tokio::sync::OnceCell<Arc<ppi_speakers::Diarizer>>,
    /// The patterns sheet for suggestions, when configured.
    pub patterns: Option<Arc<ppi_core::catalog::PatternCatalog>>,
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
        job: &Job,
        key: &str,
        lesson_id: Option<&str>,
        owner_id: Option<&str>,
    ) -> Result<JobRecord, DbError> {
        Ok(self.enqueue_once(job, key, lesson_id, owner_id).await?.0)
    }

    /// [`Self::enqueue`], also saying whether this call created the job (`false`: it existed).
    pub async fn enqueue_once(
        &self,
        job: &Job,
        key: &str,
        lesson_id: Option<&str>,
        owner_id: Option<&str>,
    ) -> Result<(JobRecord, bool), DbError> {
        let kind = job.kind();
        let (record, created) = self
            .db
            .upsert_job(kind.as_str(), key, lesson_id, owner_id, &job.payload_json())
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
            crate::telemetry::job_event(kind.as_str(), QUEUED);
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

    pub(crate) fn track(&self, job_id: &str, progress: Option<&Arc<JobProgress>>) {
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
    pub fn scratch(&self, job_id: &str) -> std::io::Result<crate::scratch::Scratch> {
        crate::scratch::Scratch::create(&self.settings.server.data_dir.join("tmp"), job_id)
    }

    /// Keeps `result` as the job's result (what the API and MCP show when it ends).
    pub async fn keep_result(
        &self,
        record: &JobRecord,
        result: &serde_json::Value,
    ) -> Result<(), JobError> {
        self.db
            .set_job_result(&record.id, result)
            .await
            .map_err(JobError::from_coded)
    }

    /// The Label Studio client, or a permanent error saying how to configure it.
    pub fn ls(&self) -> Result<&LsClient, JobError> {
        self.ls.as_ref().ok_or_else(|| {
            permanent(
                "ls-not-configured",
                "Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY",
            )
        })
    }

    /// A project's parsed label config: the one given (and remembered), else the stored one,
    /// else asked from Label Studio.
    pub async fn project_config(
        &self,
        project: i64,
        given: Option<&str>,
    ) -> Result<LabelConfig, JobError> {
        let db = |e: DbError| JobError::from_coded(e);
        let xml = match given {
            Some(x) => {
                self.db
                    .upsert_ls_project(project, None, Some(x))
                    .await
                    .map_err(db)?;
                x.to_owned()
            }
            None => match self.db.ls_project_config(project).await.map_err(db)? {
                Some(x) => x,
                None => {
                    let p = self
                        .ls()?
                        .project(project)
                        .await
                        .map_err(JobError::from_coded)?;
                    let x = p["label_config"].as_str().unwrap_or_default().to_owned();
                    self.db
                        .upsert_ls_project(project, None, Some(&x))
                        .await
                        .map_err(db)?;
                    x
                }
            },
        };
        LabelConfig::parse(&xml).map_err(|e| {
            permanent(
                "ls-config-invalid",
                format!("project {project}'s label config: {e}"),
            )
        })
    }

    /// The SSRF guard as configured.
    pub fn media_policy(&self) -> MediaPolicy<'_> {
        let s = &self.settings;
        MediaPolicy {
            public_url: s.server.public_url.as_deref().unwrap_or(""),
            local: self.local.as_deref(),
            bucket: (s.storage.backend == StorageBackend::S3).then_some(s.storage.bucket.as_str()),
            label_studio: s.label_studio.url.as_deref(),
            allowed: &s.label_studio.media_hosts,
        }
    }
}
