//! `[dataset]` settings: where datasets go and how items are made.

use std::path::PathBuf;

use crate::media::keyframe::KeyFrameMode;
use crate::media::ClipMode;

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
    /// `PPI_CLIP_MODE` and `PPI_KEY_FRAME`; an error names the variable and what it expects.
    pub fn apply_env(
        &mut self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<(), (&'static str, String)> {
        if let Some(v) = get("PPI_CLIP_MODE") {
            self.mode = match v.as_str() {
                "accurate" => ClipMode::Accurate,
                "copy" => ClipMode::Copy,
                "reencode" => ClipMode::Reencode,
                _ => {
                    return Err((
                        "PPI_CLIP_MODE",
                        format!("expected accurate, copy or reencode, found {v:?}"),
                    ))
                }
            };
        }
        if let Some(v) = get("PPI_KEY_FRAME") {
            self.key_frame = match v.as_str() {
                "best" => KeyFrameMode::Best,
                "middle" => KeyFrameMode::Middle,
                _ => {
                    return Err((
                        "PPI_KEY_FRAME",
                        format!("expected best or middle, found {v:?}"),
                    ))
                }
            };
        }
        if let Some(v) = get("PPI_KEY_FRAME_FACES") {
            self.faces = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err((
                        "PPI_KEY_FRAME_FACES",
                        format!("expected true or false, found {v:?}"),
                    ))
                }
            };
        }
        Ok(())
    }
}
