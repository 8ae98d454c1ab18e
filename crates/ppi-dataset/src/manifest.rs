//! `.ppi/manifest.json`: what a dataset folder holds and how each item was made. It lets a
//! re-run reuse finished items, lets `prepare` exclude items for good, and lets metadata and
//! the card be rebuilt without the original inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::metadata::Row;
use ppi_core::catalog::Pattern;
use ppi_core::domain::ItemId;
use ppi_core::error::{Coded, ErrorKind};

/// Current manifest format.
pub const VERSION: u32 = 1;

/// The dataset's state.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Finished items by id.
    pub items: BTreeMap<ItemId, Item>,
    /// Items removed by `prepare`; builds do not bring them back.
    #[serde(default)]
    pub excluded: BTreeMap<ItemId, Exclusion>,
    /// Lessons by file slug.
    #[serde(default)]
    pub lessons: BTreeMap<String, Lesson>,
    /// The patterns sheet last used, for the card.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// Card settings last used.
    #[serde(default)]
    pub card: CardSettings,
    /// Models that produced the transcripts.
    #[serde(default)]
    pub transcript_models: Vec<String>,
}

/// A finished item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub row: Row,
    /// Hash of everything the item's files depend on; a change means rebuild.
    pub fingerprint: String,
    /// File slug of the lesson.
    pub lesson: String,
    /// Key-frame candidates (the chosen first) with their terms, for review and learning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<ppi_media::scoring::Candidate>,
}

/// An item removed by `prepare`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Exclusion {
    pub pattern_type: String,
    pub lesson_id: String,
}

/// A lesson that items came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Lesson {
    pub lesson_id: String,
    pub source_video: String,
    pub source_fingerprint: String,
    /// SHA-256 of the whole video, computed when `source_fingerprint` changes.
    #[serde(default)]
    pub source_sha256: String,
    pub fps: f64,
    pub duration: f64,
    pub has_audio: bool,
    /// What the cached lesson transcript was made from (model, language, spans); a change
    /// means transcribe again.
    #[serde(default)]
    pub transcript_key: Option<String>,
}

/// Settings for the dataset card.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CardSettings {
    pub pretty_name: String,
    pub license: String,
    /// Languages declared in the card when no transcript says otherwise.
    pub languages: Vec<String>,
    /// `user/name` on the Hub, for the usage snippet.
    #[serde(default)]
    pub repo_id: Option<String>,
    /// Also write the Parquet table with embedded media (`data/train-*.parquet`).
    #[serde(default)]
    pub parquet: bool,
}

impl Default for CardSettings {
    fn default() -> Self {
        CardSettings {
            pretty_name: "PPI classroom patterns".into(),
            license: "cc-by-4.0".into(),
            languages: vec!["ru".into(), "en".into()],
            repo_id: None,
            parquet: false,
        }
    }
}

/// Errors reading or writing the manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: line {line}, column {column}: the dataset manifest is damaged: {detail}")]
    Damaged {
        file: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("{file}: manifest version {found} is newer than this ppi understands ({VERSION})")]
    TooNew { file: PathBuf, found: u32 },
}

impl Coded for ManifestError {
    fn code(&self) -> &'static str {
        match self {
            ManifestError::Io { .. } => "io-error",
            ManifestError::Damaged { .. } => "dataset-manifest-damaged",
            ManifestError::TooNew { .. } => "dataset-manifest-too-new",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ManifestError::Io { .. } => ErrorKind::Internal,
            _ => ErrorKind::Input,
        }
    }
}

impl Manifest {
    /// Reads the manifest, or an empty one when the folder has none yet.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    version: VERSION,
                    ..Manifest::default()
                })
            }
            Err(source) => {
                return Err(ManifestError::Io {
                    file: path.into(),
                    source,
                })
            }
        };
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| ManifestError::Damaged {
            file: path.into(),
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        if m.version > VERSION {
            return Err(ManifestError::TooNew {
                file: path.into(),
                found: m.version,
            });
        }
        Ok(m)
    }

    /// Writes the manifest atomically.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let io = |source| ManifestError::Io {
            file: path.into(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        ppi_core::atomic::write(path, &bytes).map_err(io)
    }

    /// Rows of all items, ordered by lesson, start frame and id.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = self.items.values().map(|i| i.row.clone()).collect();
        rows.sort_by(|a, b| {
            (a.lesson_id.as_str(), a.start_frame, a.id.as_str()).cmp(&(
                b.lesson_id.as_str(),
                b.start_frame,
                b.id.as_str(),
            ))
        });
        rows
    }
}

impl Manifest {
    /// Transcription models recorded on items (filled in by transcription).
    pub fn transcript_models(&self) -> Vec<String> {
        let mut m: Vec<String> = self.transcript_models.clone();
        m.sort();
        m.dedup();
        m
    }
}
