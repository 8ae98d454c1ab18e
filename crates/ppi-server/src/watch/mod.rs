//! The storage watcher (`ppi watch`, `[watch]` settings): finds lessons (a video plus its Label
//! Studio export) in folders, mounts and S3 prefixes, waits until each is complete and has
//! stopped changing, and hands it to a pipeline once per version of its files.

pub mod pairing;
mod run;
pub mod service;
pub mod settings;
pub mod source;
pub mod state;

use std::path::PathBuf;

pub use pairing::{Pair, Pairing};
pub use run::{run, Event, Lesson, Outcome, Pipeline, Watch};
pub use settings::{PollMode, WatchSettings};
pub use source::{Entry, Source};
pub use state::{Change, State};

use ppi_core::error::{Coded, ErrorKind};

/// Watcher errors name the source or file they concern.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{source_name}: {detail}")]
    Source { source_name: String, detail: String },
    #[error("{source_name}: {detail}")]
    Unavailable { source_name: String, detail: String },
    #[error("{path}: {detail}")]
    Io { path: PathBuf, detail: String },
    #[error("watch state {path}: {detail}")]
    State { path: PathBuf, detail: String },
}

impl Coded for WatchError {
    fn code(&self) -> &'static str {
        match self {
            WatchError::Source { .. } => "watch-source-invalid",
            WatchError::Unavailable { .. } => "storage-unavailable",
            WatchError::Io { .. } => "io-error",
            WatchError::State { .. } => "watch-state-invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            WatchError::Io { .. } => ErrorKind::Internal,
            WatchError::Unavailable { .. } => ErrorKind::External,
            _ => ErrorKind::Input,
        }
    }
}
