//! `[whisper]` settings: which model, how many threads and transcriptions at once, the
//! language choice and the decoder's knobs.

use ppi_core::config::{var, EnvVar, Kind};

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

/// Speech recognition.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhisperSettings {
    /// Model name (`base`, `base-q8_0`, `small`, `large-v3`…) or path (`PPI_WHISPER_MODEL`).
    pub model: String,
    /// ggml threads per transcription; `None` = cores / jobs.
    pub threads: Option<usize>,
    /// Chunks one transcription decodes at once, each with its own state and a share of
    /// `threads`; `None` = one per thread, at most 2, on the CPU.
    pub streams: Option<usize>,
    /// Transcriptions at once (each holds a ~230 MB state for `base` per stream).
    pub jobs: usize,
    pub device: Device,
    /// The languages detection chooses among (`en,ru`, the default), one code to force it
    /// (`ru`), or `auto` for any of Whisper's languages. `[whisper] languages` in the file
    /// (`language` is the older name).
    #[serde(alias = "languages")]
    pub language: String,
    /// 1 = greedy; more = beam search.
    pub beam_size: usize,
    /// Encoder context beyond each speech chunk, seconds; negative = always the full 30 s.
    pub context_margin: f64,
    /// whisper.cpp flash attention.
    pub flash_attn: bool,
}

impl Default for WhisperSettings {
    fn default() -> Self {
        WhisperSettings {
            model: crate::model::DEFAULT_MODEL.into(),
            threads: None,
            streams: None,
            jobs: 1,
            device: Device::Cpu,
            language: DEFAULT_LANGUAGES.into(),
            beam_size: 1,
            context_margin: 2.0,
            flash_attn: false,
        }
    }
}

/// The lessons PPI is made for are in Russian and English: detection chooses between these two
/// unless told otherwise (choosing among all 99 took Russian speech for Latvian or Czech).
pub const DEFAULT_LANGUAGES: &str = "en,ru";

/// The environment variables of `[whisper]`.
pub const ENV: &[EnvVar] = &[
    var("PPI_WHISPER_MODEL", "model", Kind::Text),
    var("PPI_WHISPER_CONTEXT_MARGIN", "context_margin", Kind::Number),
    var("PPI_WHISPER_FLASH_ATTN", "flash_attn", Kind::Flag),
    var("PPI_LANGUAGES", "language", Kind::Text),
    var("PPI_WHISPER_LANGUAGE", "language", Kind::Text),
    var("PPI_WHISPER_THREADS", "threads", Kind::Positive),
    var("PPI_WHISPER_STREAMS", "streams", Kind::Positive),
    var("PPI_WHISPER_JOBS", "jobs", Kind::Positive),
];
