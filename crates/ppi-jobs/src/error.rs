//! How a job attempt ends badly: permanent (bad input, fails at once), transient (worth
//! another attempt) or canceled, each with a stable code.

use ppi_core::error::{Coded, ErrorKind};

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

/// A permanent failure with its code.
pub fn permanent(code: &'static str, message: impl Into<String>) -> JobError {
    JobError::Permanent {
        code,
        message: message.into(),
    }
}

/// A transient file-system failure (`io-error`) naming what failed.
pub fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> JobError {
    JobError::Transient {
        code: "io-error",
        message: format!("{what}: {e}"),
    }
}

/// A blocking worker thread that panicked or was cancelled.
pub fn thread(e: tokio::task::JoinError) -> JobError {
    io("worker thread", e)
}
