//! A task's video as a local file, wherever it lives: PPI's storage (with the lesson's audio
//! when PPI already extracted it), Label Studio, or an allowed remote host (checked again
//! here, since the allow-list may have changed since the task arrived).

use std::path::{Path, PathBuf};

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::MediaRef;
use ppi_label_studio::media;
use ppi_store::storage::ObjectKey;

/// The video as a local file, and the lesson's audio when PPI already extracted it.
pub async fn fetch(
    ctx: &JobContext,
    media: &MediaRef,
    task_id: i64,
    dir: &Path,
) -> Result<(PathBuf, Option<PathBuf>), JobError> {
    let to = dir.join("video");
    match media {
        MediaRef::Stored(value) => {
            let key = ObjectKey::parse(value)
                .ok_or_else(|| permanent("media-bad-key", format!("{value:?}")))?;
            let video = match ctx.store.local_path(&key) {
                Some(p) => p,
                None => {
                    ctx.store
                        .download(&key, &to)
                        .await
                        .map_err(JobError::from_coded)?;
                    to
                }
            };
            let audio = match key.sibling("audio.wav") {
                Some(a) if ctx.store.size(&a).await.ok().flatten().is_some() => {
                    match ctx.store.local_path(&a) {
                        Some(p) => Some(p),
                        None => {
                            let p = dir.join("audio.wav");
                            ctx.store
                                .download(&a, &p)
                                .await
                                .map_err(JobError::from_coded)?;
                            Some(p)
                        }
                    }
                }
                _ => None,
            };
            Ok((video, audio))
        }
        MediaRef::Ls(value) => {
            let client = ctx.ls()?;
            let url = if value.starts_with("s3://") {
                // A bucket LS holds the credentials for: LS resolves it to a presigned URL.
                use base64::Engine;
                let b64 = base64::engine::general_purpose::URL_SAFE.encode(value);
                format!("/tasks/{task_id}/resolve/?fileuri={b64}")
            } else {
                value.to_owned()
            };
            client
                .download(&url, &to)
                .await
                .map_err(JobError::from_coded)?;
            Ok((to, None))
        }
        MediaRef::Remote(value) => {
            let u = url::Url::parse(value)
                .map_err(|e| permanent("task-bad-video-url", e.to_string()))?;
            let allowed = &ctx.settings.label_studio.media_hosts;
            // Checked again here: the allow-list may have changed since the task arrived.
            if !media::host_allowed(&u, allowed) {
                return Err(permanent(
                    "media-host-not-allowed",
                    format!(
                        "host {:?} is not in PPI_MEDIA_HOSTS",
                        u.host_str().unwrap_or("")
                    ),
                ));
            }
            media::download_remote(&u, allowed, &to)
                .await
                .map_err(|e| JobError::Transient {
                    code: "media-download-failed",
                    message: format!("{u}: {e}"),
                })?;
            Ok((to, None))
        }
    }
}
