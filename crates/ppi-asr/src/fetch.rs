//! `ppi models fetch NAME`: downloads `ggml-NAME.bin` from the Hub repository
//! `ggerganov/whisper.cpp` with the hf-hub crate (resumable, into the Hugging Face cache, honours
//! `HF_ENDPOINT`), then verifies it against the Hub's checksum.
//!
//! hf-hub names the cached blob after the file's ETag, which the Hub sets to the SHA-256 of an
//! LFS file (or the git blob SHA-1 of a small regular file), so the check needs no extra request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::{self, ModelSpec, MODEL_REPO};
use super::AsrError;
use ppi_core::progress::Progress;
use ppi_core::secret::Secret;

/// Where to fetch from.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Hub address, e.g. `https://huggingface.co` or a mirror.
    pub endpoint: String,
    pub token: Option<Secret>,
    pub revision: String,
}

/// Bridges hf-hub's progress callbacks to ours.
#[derive(Clone)]
struct HubProgress(Arc<dyn Progress + Send + Sync>);

impl hf_hub::api::tokio::Progress for HubProgress {
    async fn init(&mut self, size: usize, filename: &str) {
        self.0.stage(&format!("fetching {filename}"), size as u64);
    }

    async fn update(&mut self, size: usize) {
        self.0.advance(size as u64);
    }

    async fn finish(&mut self) {
        self.0.finish_stage();
    }
}

/// Downloads the model and returns its local path.
pub async fn fetch(
    spec: &ModelSpec,
    opts: &FetchOptions,
    progress: Arc<dyn Progress + Send + Sync>,
) -> Result<PathBuf, AsrError> {
    let ModelSpec::Name(name) = spec else {
        return Err(AsrError::BadModelName(format!(
            "{spec:?} is a path; fetch takes a model name"
        )));
    };
    let file = spec.file_name();
    let fail = |detail: String| AsrError::Fetch {
        model: name.clone(),
        endpoint: opts.endpoint.clone(),
        detail,
    };
    let api = hf_hub::api::tokio::ApiBuilder::from_env()
        .with_endpoint(opts.endpoint.trim_end_matches('/').to_owned())
        .with_token(opts.token.as_ref().map(|t| t.expose().to_owned()))
        .with_progress(false)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let repo = api.repo(hf_hub::Repo::with_revision(
        MODEL_REPO.to_owned(),
        hf_hub::RepoType::Model,
        opts.revision.clone(),
    ));
    let path = repo
        .download_with_progress(&file, HubProgress(progress))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let verify_path = path.clone();
    tokio::task::spawn_blocking(move || verify(&verify_path))
        .await
        .map_err(|e| AsrError::Failed(e.to_string()))??;
    model::check_file(&path)?;
    Ok(path)
}

/// Checks the downloaded blob against the checksum it is named after. A mismatch removes it,
/// so a retry downloads it again.
fn verify(pointer: &Path) -> Result<(), AsrError> {
    let blob = std::fs::canonicalize(pointer)
        .map_err(|e| AsrError::Failed(format!("{}: {e}", pointer.display())))?;
    let expected = blob
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let actual = match expected.len() {
        64 => file_sha256(&blob),
        40 => git_blob_sha1(&blob),
        // Not a checksum the Hub publishes; nothing to compare with.
        _ => return Ok(()),
    }
    .map_err(|e| AsrError::Failed(format!("{}: {e}", blob.display())))?;
    if actual != expected {
        let _ = std::fs::remove_file(&blob);
        let _ = std::fs::remove_file(pointer);
        return Err(AsrError::Checksum {
            path: pointer.into(),
            expected,
            actual,
        });
    }
    Ok(())
}

pub use ppi_core::hash::file_sha256;

/// Git's blob id: SHA-1 of `blob <len>\0<content>`.
fn git_blob_sha1(path: &Path) -> std::io::Result<String> {
    let data = std::fs::read(path)?;
    Ok(ppi_core::hash::git_blob_sha1(&data))
}
