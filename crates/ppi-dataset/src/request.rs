//! What a build is asked to do ([`BuildRequest`]), what it did ([`BuildReport`]) and how it
//! fails ([`BuildError`]): shared by the build, its plan and its media work.

use std::path::{Path, PathBuf};

use super::manifest::{CardSettings, ManifestError};
use ppi_core::catalog::sheet::SheetError;
use ppi_core::catalog::UnknownLabels;
use ppi_core::domain::{CropBox, Fps};
use ppi_core::error::{Coded, ErrorKind};
use ppi_label_studio::choice::AnnotationChoice;
use ppi_label_studio::export::ExportError;
use ppi_media::{wav, ClipMode, MediaError};

/// Inputs of a build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    pub video: PathBuf,
    pub annotations: PathBuf,
    pub patterns: PathBuf,
    pub out: PathBuf,
    pub mode: ClipMode,
    /// How each interval's key frame is chosen.
    pub key_frame: ppi_media::keyframe::KeyFrameMode,
    /// With `best`: prefer frames showing a face (the SeetaFace detector).
    pub faces: bool,
    /// Crop box for every clip, overriding boxes in the annotation.
    pub crop: Option<CropBox>,
    pub jobs: usize,
    /// Frame rate for frame numbers when the task has no `fps`.
    pub fps: Option<Fps>,
    pub annotation: AnnotationChoice,
    pub task: Option<i64>,
    pub from_name: Option<String>,
    pub lesson_id: Option<String>,
    pub allow_unknown_labels: bool,
    pub jpeg_quality: u8,
    pub card: CardSettings,
    /// Wait for another writer of the folder (else fail with `dataset-busy`).
    pub wait_for_lock: bool,
    /// With `annotation: consensus`: how the consensus is formed and gated.
    pub agreement: ppi_label_studio::settings::AgreementSettings,
    /// Write the lesson's analytics (`analytics/<lesson>/`).
    pub analytics: bool,
    /// The key-frame scorer (`best`): the rules' weights or a learned fit's.
    pub scorer: ppi_learn::FrameScorer,
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BuildReport {
    pub out: PathBuf,
    pub lesson_id: String,
    pub fps: f64,
    /// Where the frame rate came from: `task`, `flag` or `probe`.
    pub fps_source: &'static str,
    pub items: usize,
    pub built: usize,
    pub reused: usize,
    pub excluded: usize,
    pub stale_removed: usize,
    pub has_audio: bool,
}

/// Why a build failed. Inputs are validated first, so input errors leave the folder untouched.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Patterns(#[from] SheetError),
    #[error(transparent)]
    Annotations(#[from] ExportError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("{file}: {labels}")]
    UnknownLabels {
        file: PathBuf,
        labels: UnknownLabels,
    },
    #[error("{file}: {count} interval(s) do not fit the video {video} ({duration:.3} s at {fps} fps):\n  {list}")]
    Intervals {
        file: PathBuf,
        video: PathBuf,
        duration: f64,
        fps: String,
        count: usize,
        list: String,
    },
    #[error("{file}: {detail}")]
    NoIntervals { file: PathBuf, detail: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("--out {path}: {detail}")]
    OutNotAFolder { path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Wav(#[from] wav::WavError),
    #[error(transparent)]
    Locked(#[from] super::layout::LockError),
    #[error("{file}: {task}: the annotators' agreement is below the gate ({measure:?} κ {value} < {gate}): the consensus needs adjudication (see `ppi agreement`; --gate lowers the bar)")]
    BelowGate {
        file: PathBuf,
        task: String,
        measure: ppi_agreement::GateMeasure,
        value: String,
        gate: f64,
    },
}

impl Coded for BuildError {
    fn code(&self) -> &'static str {
        match self {
            BuildError::Patterns(e) => e.code(),
            BuildError::Annotations(e) => e.code(),
            BuildError::Media(e) => e.code(),
            BuildError::UnknownLabels { .. } => "annotations-unknown-labels",
            BuildError::Intervals { .. } => "interval-outside-video",
            BuildError::NoIntervals { .. } => "annotations-no-intervals",
            BuildError::OutNotAFolder { .. } => "out-not-a-folder",
            BuildError::Manifest(e) => e.code(),
            BuildError::Io { .. } | BuildError::Wav(_) => "io-error",
            BuildError::Locked(e) => e.code(),
            BuildError::BelowGate { .. } => "agreement-below-gate",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            BuildError::Patterns(e) => e.kind(),
            BuildError::Annotations(e) => e.kind(),
            BuildError::Media(e) => e.kind(),
            BuildError::Manifest(e) => e.kind(),
            BuildError::Locked(e) => e.kind(),
            BuildError::Io { .. } | BuildError::Wav(_) => ErrorKind::Internal,
            _ => ErrorKind::Input,
        }
    }
}

pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.into(),
        source,
    }
}
