//! Publishing a dataset folder to the Hub, mirrored: `whoami` first (a bad token fails before
//! any hashing), the repository created or reused, preupload to learn each file's mode and the
//! oid already there, binaries through LFS (basic or multipart; never inline), commits of at
//! most 100 files, files that vanished from the folder deleted. Unchanged files are skipped by
//! oid, so re-publishing an unchanged dataset sends no media, and a publish cut short resumes
//! where it stopped: committed files are skipped, uploaded LFS objects are not sent again.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::json;

use super::client::{HubClient, HubError, LfsAction};

/// Files per commit (the Hub's recommendation).
pub const FILES_PER_COMMIT: usize = 100;
/// Files per preupload and LFS batch call.
const BATCH: usize = 256;

/// What to publish where.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// `owner/name`.
    pub repo: String,
    pub private: bool,
    pub message: String,
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    pub repo: String,
    pub created: bool,
    pub files: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub deleted: usize,
    pub commits: usize,
    /// Bytes sent through LFS (media) and inline (small text files, before base64).
    pub lfs_bytes: u64,
    pub inline_bytes: u64,
    /// The Hub's commit id of the last commit made, when this publish made one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

struct Local {
    path: String,
    file: PathBuf,
    size: u64,
    sha256: String,
    /// The first 512 bytes, for preupload.
    sample: Vec<u8>,
}

fn io(path: &Path, e: impl std::fmt::Display) -> HubError {
    HubError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Every file under `dir` (hidden names skipped), with repo paths using `/`.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>, HubError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let entry = entry.map_err(|e| io(&d, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let p = entry.path();
            let kind = entry.file_type().map_err(|e| io(&p, e))?;
            if kind.is_dir() {
                stack.push(p);
            } else if kind.is_file() {
                let rel = p
                    .strip_prefix(dir)
                    .map_err(|e| io(&p, e))?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, p));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn sample(file: &Path) -> Result<Vec<u8>, HubError> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(512);
    std::fs::File::open(file)
        .map_err(|e| io(file, e))?
        .take(512)
        .read_to_end(&mut buf)
        .map_err(|e| io(file, e))?;
    Ok(buf)
}

/// Checks the token may write to the repository's namespace.
async fn check_access(client: &HubClient, repo: &str) -> Result<(), HubError> {
    let (user, orgs) = client.whoami().await?;
    let owner = repo.split('/').next().unwrap_or_default();
    if repo.split('/').count() != 2 || owner.is_empty() {
        return Err(HubError::Config(format!(
            "{repo:?} is not a repository id: set HF_USERNAME and DATASET_NAME (owner/name)"
        )));
    }
    if owner != user && !orgs.iter().any(|o| o == owner) {
        return Err(HubError::Config(format!(
            "the token belongs to {user:?}, who cannot write to {owner:?} (organisations: {})",
            if orgs.is_empty() {
                "none".to_owned()
            } else {
                orgs.join(", ")
            }
        )));
    }
    Ok(())
}

/// Publishes `dir` to `o.repo`.
pub fn publish<'a>(
    client: &'a HubClient,
    dir: &'a Path,
    o: &'a PublishOptions,
) -> futures_util::future::BoxFuture<'a, Result<PublishReport, HubError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(publishing(client, dir, o))
}

async fn publishing(
    client: &HubClient,
    dir: &Path,
    o: &PublishOptions,
) -> Result<PublishReport, HubError> {
    check_access(client, &o.repo).await?;
    if !dir.is_dir() {
        return Err(io(dir, "not a folder"));
    }
    let files = walk(dir)?;
    if files.is_empty() {
        return Err(io(dir, "the folder is empty: nothing to publish"));
    }
    let mut report = PublishReport {
        repo: o.repo.clone(),
        files: files.len(),
        ..PublishReport::default()
    };
    report.created = client.create_dataset_repo(&o.repo, o.private).await?;
    // Hash on blocking threads (media can be large).
    let local: Vec<Local> = {
        let files = files.clone();
        tokio::task::spawn_blocking(move || {
            files
                .into_iter()
                .map(|(path, file)| {
                    let size = std::fs::metadata(&file).map_err(|e| io(&file, e))?.len();
                    let sha256 = ppi_core::hash::file_sha256(&file).map_err(|e| io(&file, e))?;
                    let sample = sample(&file)?;
                    Ok(Local {
                        path,
                        file,
                        size,
                        sha256,
                        sample,
                    })
                })
                .collect::<Result<Vec<_>, HubError>>()
        })
        .await
        .map_err(|e| HubError::Config(e.to_string()))??
    };
    // Which files changed, and how each goes up (with the content of regular files, which
    // are small and go inline).
    let mut changed: Vec<(&Local, Option<Vec<u8>>)> = Vec::new();
    for chunk in local.chunks(BATCH) {
        let ask: Vec<(String, u64, Vec<u8>)> = chunk
            .iter()
            .map(|l| (l.path.clone(), l.size, l.sample.clone()))
            .collect();
        let modes = client.preupload(&o.repo, &ask).await?;
        for l in chunk {
            let Some(m) = modes.iter().find(|m| m.path == l.path) else {
                continue;
            };
            if m.should_ignore {
                continue;
            }
            let (local_oid, inline) = if m.lfs && l.size > 0 {
                (l.sha256.clone(), None)
            } else {
                let bytes = tokio::fs::read(&l.file).await.map_err(|e| io(&l.file, e))?;
                (ppi_core::hash::git_blob_sha1(&bytes), Some(bytes))
            };
            if m.remote_oid.as_deref() == Some(local_oid.as_str()) {
                report.unchanged += 1;
            } else {
                changed.push((l, inline));
            }
        }
    }
    report.changed = changed.len();
    // LFS objects first; those the Hub already holds come back without actions.
    let lfs: Vec<&Local> = changed
        .iter()
        .filter(|(_, inline)| inline.is_none())
        .map(|(l, _)| *l)
        .collect();
    for chunk in lfs.chunks(BATCH) {
        let objects: Vec<(String, u64)> =
            chunk.iter().map(|l| (l.sha256.clone(), l.size)).collect();
        for (oid, action) in client.lfs_batch(&o.repo, &objects).await? {
            let Some(l) = chunk.iter().find(|l| l.sha256 == oid) else {
                continue;
            };
            report.lfs_bytes += client.lfs_upload(&oid, l.size, &l.file, &action).await?;
            if action != LfsAction::Done {
                tracing::debug!(path = %l.path, bytes = l.size, "LFS object sent");
            }
        }
    }
    // Files gone from the folder are deleted from the repository.
    let present: std::collections::HashSet<&str> = local.iter().map(|l| l.path.as_str()).collect();
    let gone: Vec<String> = client
        .list_files(&o.repo)
        .await?
        .into_iter()
        .filter(|p| p != ".gitattributes" && !present.contains(p.as_str()))
        .collect();
    report.deleted = gone.len();
    // Commits of at most 100 operations; the card goes last so it describes the final state.
    let mut ops: Vec<String> = gone
        .iter()
        .map(|p| json!({"key": "deletedFile", "value": {"path": p}}).to_string())
        .collect();
    changed.sort_by_key(|(l, _)| l.path == "README.md");
    let b64 = base64::engine::general_purpose::STANDARD;
    for (l, inline) in &changed {
        ops.push(match inline {
            None => json!({"key": "lfsFile", "value": {"path": l.path, "algo": "sha256", "oid": l.sha256, "size": l.size}}).to_string(),
            Some(bytes) => {
                report.inline_bytes += bytes.len() as u64;
                json!({"key": "file", "value": {"path": l.path, "encoding": "base64", "content": b64.encode(bytes)}}).to_string()
            }
        });
    }
    let total = ops.len().div_ceil(FILES_PER_COMMIT);
    for (i, chunk) in ops.chunks(FILES_PER_COMMIT).enumerate() {
        let summary = if total > 1 {
            format!("{} ({}/{total})", o.message, i + 1)
        } else {
            o.message.clone()
        };
        let mut ndjson =
            json!({"key": "header", "value": {"summary": summary, "description": ""}}).to_string();
        for line in chunk {
            ndjson.push('\n');
            ndjson.push_str(line);
        }
        let oid = client.commit(&o.repo, ndjson).await?;
        report.revision = Some(oid).filter(|o| !o.is_empty());
        report.commits += 1;
    }
    Ok(report)
}
