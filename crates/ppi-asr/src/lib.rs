//! Speech recognition with Whisper: model files, voice activity detection, per-chunk language
//! detection, transcripts. Used by `ppi transcribe`, `ppi dataset prepare` and the service.

pub mod engine;
pub mod fetch;
pub mod language;
pub mod model;
mod one_pass;
pub mod settings;
pub mod streams;
pub mod transcript;
pub mod vad;

use std::path::PathBuf;

pub use engine::{AsrConfig, PcmFile, Transcriber};
pub use language::LanguageChoice;
pub use model::ModelSpec;
pub use settings::Device;
pub use transcript::{Segment, Transcript, Word};

use ppi_core::error::{Coded, ErrorKind};

/// Errors of speech recognition.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("Whisper model {model:?} is not available: {hint}")]
    ModelMissing { model: String, hint: String },
    #[error("{path}: not a usable Whisper model: {detail}")]
    ModelInvalid { path: PathBuf, detail: String },
    #[error("{0:?} is not a model name (e.g. base, base-q8_0, small, large-v3) or a path to a .bin file")]
    BadModelName(String),
    #[error(transparent)]
    Language(#[from] language::UnsupportedLanguage),
    #[error("{file}: the audio is empty")]
    EmptyAudio { file: PathBuf },
    #[error("{file}: no speech found ({seconds:.1} s of audio, all silence or background noise)")]
    NoSpeech { file: PathBuf, seconds: f64 },
    #[error("this ppi was built without CUDA support; rebuild with `cargo build --release --features cuda` or use --device cpu")]
    NoCuda,
    #[error(transparent)]
    Media(#[from] ppi_media::MediaError),
    #[error(transparent)]
    Wav(#[from] ppi_media::wav::WavError),
    #[error("cannot fetch model {model:?} from {endpoint}: {detail} (set HF_ENDPOINT for a mirror, or PPI_WHISPER_MODEL=/path/to/model.bin to use a file)")]
    Fetch {
        model: String,
        endpoint: String,
        detail: String,
    },
    #[error("{path}: checksum mismatch (expected {expected}, got {actual}); the download was removed, try again")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("Whisper failed: {0}")]
    Failed(String),
}

impl Coded for AsrError {
    fn code(&self) -> &'static str {
        match self {
            AsrError::ModelMissing { .. } => "asr-model-missing",
            AsrError::ModelInvalid { .. } => "asr-model-invalid",
            AsrError::BadModelName(_) => "asr-bad-model-name",
            AsrError::Language(_) => "asr-unsupported-language",
            AsrError::EmptyAudio { .. } => "asr-empty-audio",
            AsrError::NoSpeech { .. } => "asr-no-speech",
            AsrError::NoCuda => "asr-no-cuda",
            AsrError::Media(e) => e.code(),
            AsrError::Wav(_) => "io-error",
            AsrError::Fetch { .. } => "model-fetch-failed",
            AsrError::Checksum { .. } => "model-checksum-mismatch",
            AsrError::Failed(_) => "asr-failed",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AsrError::Media(e) => e.kind(),
            AsrError::Wav(_) => ErrorKind::Internal,
            AsrError::Failed(_) | AsrError::Fetch { .. } | AsrError::Checksum { .. } => {
                ErrorKind::External
            }
            _ => ErrorKind::Input,
        }
    }
}
