//! Durable jobs. apalis queues and delivers them (SQLite embedded, Postgres for many workers;
//! the same job code runs on both); PPI's own job records carry what the API shows: status,
//! typed progress stages with percent and ETA, attempts, errors, and a cancel flag.
//!
//! A job is keyed (idempotency key), so one logical job runs once however often it is asked
//! for. Long FFmpeg and Whisper work runs on blocking threads, so the async runtime (and
//! apalis's heartbeats) keep flowing.

pub mod assemble;
pub mod dataset;
pub mod extract;
pub mod extract_audio;
pub mod learn;
pub mod ls_annotation;
pub mod ls_tasks;
pub mod progress;
pub mod queue;
pub mod review_target;
pub mod runner;
pub mod scratch;
pub mod transcribe;
pub mod wake;

use crate::error::{Coded, ErrorKind};

pub use queue::Queue;
pub use runner::JobContext;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Probe an uploaded lesson and extract its 16 kHz mono audio.
    ExtractAudio,
    /// Transcribe one video and push the predictions of the tasks showing it.
    Transcribe,
    /// Pre-annotate a Label Studio task.
    LsTask,
    /// Check and keep an annotation saved in Label Studio.
    LsAnnotation,
    /// Import an uploaded lesson into the Label Studio annotation project.
    LsImport,
    /// Cut an annotation's intervals into clips and review tasks.
    Extract,
    /// Apply a reviewer's Approve or Reject.
    ReviewDecision,
    /// Assemble the approved clips into the dataset (and publish it).
    Assemble,
    /// Build a lesson (video + export + sheet) into a dataset folder (and publish it).
    DatasetBuild,
    /// Publish a dataset folder to the Hub.
    DatasetPublish,
    /// Fit the learned models on the reviewed items.
    Learn,
}

const KINDS: [(JobKind, &str); 11] = [
    (JobKind::Extract, "extract"),
    (JobKind::ReviewDecision, "review-decision"),
    (JobKind::Assemble, "assemble"),
    (JobKind::ExtractAudio, "extract-audio"),
    (JobKind::Transcribe, "transcribe"),
    (JobKind::LsTask, "ls-task"),
    (JobKind::LsAnnotation, "ls-annotation"),
    (JobKind::LsImport, "ls-import"),
    (JobKind::DatasetBuild, "dataset-build"),
    (JobKind::DatasetPublish, "dataset-publish"),
    (JobKind::Learn, "learn"),
];

impl JobKind {
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or("unknown")
    }

    pub fn parse(s: &str) -> Option<Self> {
        KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }

    /// Quick bookkeeping runs on its own workers; media work on the others.
    pub fn lane(self) -> queue::Lane {
        match self {
            JobKind::LsTask
            | JobKind::LsAnnotation
            | JobKind::LsImport
            | JobKind::ReviewDecision
            | JobKind::Learn => queue::Lane::Light,
            JobKind::ExtractAudio
            | JobKind::Transcribe
            | JobKind::Extract
            | JobKind::Assemble
            | JobKind::DatasetBuild
            | JobKind::DatasetPublish => queue::Lane::Heavy,
        }
    }
}

/// The queue message: the job record's id. Everything else lives in the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobMsg {
    pub job_id: String,
}

/// How a job attempt ended badly.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Retrying cannot help (bad input); the job fails at once.
    #[error("{message}")]
    Permanent { code: &'static str, message: String },
    /// Worth another attempt (storage or network trouble).
    #[error("{message}")]
    Transient { code: &'static str, message: String },
    #[error("canceled")]
    Canceled,
}

impl JobError {
    /// Classifies any coded error: input problems are permanent, the rest transient.
    pub fn from_coded<E: Coded + std::fmt::Display>(e: E) -> Self {
        let (code, message) = (e.code(), e.to_string());
        if code == "canceled" {
            return JobError::Canceled;
        }
        match e.kind() {
            ErrorKind::Input | ErrorKind::NotFound => JobError::Permanent { code, message },
            ErrorKind::External | ErrorKind::Internal => JobError::Transient { code, message },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            JobError::Permanent { code, .. } | JobError::Transient { code, .. } => code,
            JobError::Canceled => "canceled",
        }
    }
}
