//! The local-folder backend. PPI serves its objects itself at `/files/<key>`, authorised by
//! an HMAC-SHA256 signature over method, key and expiry: the same shape as an S3 presigned URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{BoxFut, ObjectKey, ObjectStore, StorageError};

/// A folder of objects.
pub struct LocalStore {
    root: PathBuf,
    public_url: String,
    key: Vec<u8>,
}

/// Why a signed URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid,
    Expired,
    Invalid,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl LocalStore {
    /// `public_url` is how clients reach this server (signed URLs are absolute).
    pub fn new(
        root: PathBuf,
        public_url: String,
        signing_key: Vec<u8>,
    ) -> Result<Self, StorageError> {
        std::fs::create_dir_all(&root).map_err(|e| StorageError::Io {
            key: root.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(LocalStore {
            root,
            public_url: public_url.trim_end_matches('/').to_owned(),
            key: signing_key,
        })
    }

    fn path(&self, key: &ObjectKey) -> PathBuf {
        // Keys are validated (no empty, dot-led or odd segments), so this stays under root.
        self.root.join(key.as_str())
    }

    fn signature(&self, method: &str, key: &str, exp: u64) -> String {
        // HMAC accepts keys of any length; were it ever to refuse one, an empty signature
        // matches nothing, so every URL is refused rather than trusted.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(method.as_bytes());
        mac.update(b"\n");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A signed URL for `method` (`GET` or `PUT`).
    pub fn sign(&self, method: &str, key: &ObjectKey, ttl: Duration) -> String {
        self.sign_until(method, key, now_secs() + ttl.as_secs())
    }

    /// A signed URL valid until `exp` (Unix seconds).
    pub fn sign_until(&self, method: &str, key: &ObjectKey, exp: u64) -> String {
        let sig = self.signature(method, key.as_str(), exp);
        format!(
            "{}/files/{}?exp={exp}&sig={sig}",
            self.public_url,
            key.as_str()
        )
    }

    /// Checks a signature in constant time. `HEAD` is authorised by a `GET` signature.
    pub fn check_signature(
        &self,
        method: &str,
        key: &ObjectKey,
        exp: u64,
        sig: &str,
    ) -> SignatureCheck {
        let method = if method == "HEAD" { "GET" } else { method };
        let want = self.signature(method, key.as_str(), exp);
        if want.is_empty() || !crate::auth::constant_time_eq(want.as_bytes(), sig.as_bytes()) {
            return SignatureCheck::Invalid;
        }
        if exp < now_secs() {
            return SignatureCheck::Expired;
        }
        SignatureCheck::Valid
    }

    /// The file behind a key.
    pub fn file(&self, key: &ObjectKey) -> PathBuf {
        self.path(key)
    }
}

fn io(key: &ObjectKey, e: std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound(key.clone())
    } else {
        StorageError::Io {
            key: key.to_string(),
            detail: e.to_string(),
        }
    }
}

/// Moves `from` to `to`, copying across file systems; writes under a temporary name first.
async fn place(from: &Path, to: &Path) -> std::io::Result<u64> {
    if let Some(dir) = to.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let part = ppi_core::atomic::part_path(to);
    if tokio::fs::rename(from, &part).await.is_err() {
        tokio::fs::copy(from, &part).await?;
        tokio::fs::remove_file(from).await?;
    }
    tokio::fs::rename(&part, to).await?;
    Ok(tokio::fs::metadata(to).await?.len())
}

impl ObjectStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn ingest_file<'a>(
        &'a self,
        key: &'a ObjectKey,
        file: &'a Path,
        _content_type: &'a str,
    ) -> BoxFut<'a, Result<u64, StorageError>> {
        Box::pin(async move { place(file, &self.path(key)).await.map_err(|e| io(key, e)) })
    }

    fn put_bytes<'a>(
        &'a self,
        key: &'a ObjectKey,
        bytes: Vec<u8>,
        _content_type: &'a str,
    ) -> BoxFut<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let path = self.path(key);
            tokio::task::spawn_blocking(move || {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                ppi_core::atomic::write(&path, &bytes)
            })
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?
            .map_err(|e| io(key, e))
        })
    }

    fn download<'a>(
        &'a self,
        key: &'a ObjectKey,
        to: &'a Path,
    ) -> BoxFut<'a, Result<u64, StorageError>> {
        Box::pin(async move {
            tokio::fs::copy(self.path(key), to)
                .await
                .map_err(|e| io(key, e))
        })
    }

    fn size<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<Option<u64>, StorageError>> {
        Box::pin(async move {
            match tokio::fs::metadata(self.path(key)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io(key, e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<(), StorageError>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(key, e)),
                _ => Ok(()),
            }
        })
    }

    fn url_get<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>> {
        Box::pin(async move { Ok(self.sign("GET", key, ttl)) })
    }

    fn url_put<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>> {
        Box::pin(async move { Ok(self.sign("PUT", key, ttl)) })
    }

    fn check(&self) -> BoxFut<'_, Result<(), StorageError>> {
        Box::pin(async move {
            let probe = self.root.join(".ready");
            tokio::fs::write(&probe, b"ok")
                .await
                .map_err(|e| StorageError::Io {
                    key: probe.display().to_string(),
                    detail: e.to_string(),
                })
        })
    }

    fn local_path(&self, key: &ObjectKey) -> Option<PathBuf> {
        Some(self.path(key))
    }
}
