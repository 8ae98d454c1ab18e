//! Retrying a job that failed or was canceled: its payload queued again as a new job, keyed
//! by the one it retries (a second click queues nothing more), with the same lesson and owner.
//! The failed record stays as it was, for the record.

use ppi_store::db::jobs::{JobRecord, CANCELED, FAILED};
use ppi_store::db::DbError;

use crate::{Job, JobContext};

/// Why a job was not retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("job {id} is {status}: only a failed or canceled job can be retried")]
    NotFinished { id: String, status: String },
    #[error("job {id} cannot run again: {message}")]
    Payload { id: String, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ppi_core::error::Coded for RetryError {
    fn code(&self) -> &'static str {
        match self {
            RetryError::NotFinished { .. } => "conflict",
            RetryError::Payload { .. } => "job-invalid",
            RetryError::Db(e) => e.code(),
        }
    }

    fn kind(&self) -> ppi_core::error::ErrorKind {
        match self {
            RetryError::Db(e) => e.kind(),
            _ => ppi_core::error::ErrorKind::Input,
        }
    }
}

/// Queues `job` again; `(the new job, true)`, or `(the retry queued before, false)`.
pub async fn retry(ctx: &JobContext, job: &JobRecord) -> Result<(JobRecord, bool), RetryError> {
    if job.status != FAILED && job.status != CANCELED {
        return Err(RetryError::NotFinished {
            id: job.id.clone(),
            status: job.status.clone(),
        });
    }
    let payload = Job::decode(&job.kind, &job.payload).map_err(|e| RetryError::Payload {
        id: job.id.clone(),
        message: e.to_string(),
    })?;
    let key = format!("{}#retry-of-{}", job.idempotency_key, job.id);
    Ok(ctx
        .enqueue_once(
            &payload,
            &key,
            job.lesson_id.as_deref(),
            job.owner_id.as_deref(),
        )
        .await?)
}
