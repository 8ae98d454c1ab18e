//! `[dataset]` settings: where datasets go and how items are made.

use std::path::PathBuf;

use ppi_core::config::{var, EnvVar, Kind};
use ppi_media::keyframe::KeyFrameMode;
use ppi_media::ClipMode;

/// Dataset building.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetSettings {
    /// Dataset folder (`LOCAL_DATASET_PATH` in the old scripts).
    pub path: PathBuf,
    pub mode: ClipMode,
    /// Parallel workers; `None` means one per core.
    pub jobs: Option<usize>,
    pub jpeg_quality: u8,
    pub license: String,
    /// Card languages used until transcripts say otherwise.
    pub languages: Vec<String>,
    pub pretty_name: Option<String>,
    /// How each interval's key frame is chosen (`PPI_KEY_FRAME`: best or middle).
    pub key_frame: KeyFrameMode,
    /// With `best`, prefer frames showing a face (`PPI_KEY_FRAME_FACES`: true or false).
    pub faces: bool,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        DatasetSettings {
            path: PathBuf::from("huggingface_dataset"),
            mode: ClipMode::Accurate,
            jobs: None,
            jpeg_quality: 90,
            license: "cc-by-4.0".into(),
            languages: vec!["ru".into(), "en".into()],
            pretty_name: None,
            key_frame: KeyFrameMode::Best,
            faces: true,
        }
    }
}

impl DatasetSettings {
    /// Worker count: configured, else one per core.
    pub fn workers(&self) -> usize {
        self.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

/// The environment variables of `[dataset]` (`LOCAL_DATASET_PATH` is the old scripts' name).
pub const ENV: &[EnvVar] = &[
    var("PPI_DATASET_PATH", "path", Kind::Text),
    var("LOCAL_DATASET_PATH", "path", Kind::Text),
    var("PPI_JOBS", "jobs", Kind::Positive),
    var("PPI_CLIP_MODE", "mode", Kind::Trimmed),
    var("PPI_KEY_FRAME", "key_frame", Kind::Trimmed),
    var("PPI_KEY_FRAME_FACES", "faces", Kind::StrictFlag),
];
