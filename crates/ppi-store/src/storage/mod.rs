//! Object storage behind one trait: a local folder (embedded default, served by PPI through
//! HMAC-signed expiring URLs with Range support) or S3 (MinIO, SeaweedFS) with presigned URLs.

pub mod key;
pub mod local;
pub mod s3;
pub mod s3_client;
pub mod s3_listing;
pub mod settings;
pub mod telemetry;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

pub use key::ObjectKey;

use ppi_core::error::{Coded, ErrorKind};

/// A boxed future, so that [`ObjectStore`] can be used as a trait object.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Storage errors. Messages name the key, never credentials.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{0}: no such object")]
    NotFound(ObjectKey),
    #[error("{key}: {detail}")]
    Io { key: String, detail: String },
    #[error("object storage: {0}")]
    Backend(String),
    #[error("object storage is not configured: {0}")]
    Config(String),
}

impl Coded for StorageError {
    fn code(&self) -> &'static str {
        match self {
            StorageError::NotFound(_) => "object-not-found",
            StorageError::Io { .. } => "storage-io-error",
            StorageError::Backend(_) => "storage-unavailable",
            StorageError::Config(_) => "config-invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            StorageError::NotFound(_) => ErrorKind::NotFound,
            StorageError::Config(_) => ErrorKind::Input,
            _ => ErrorKind::External,
        }
    }
}

/// What every backend offers. Large objects stream through files, never through memory.
pub trait ObjectStore: Send + Sync + 'static {
    /// `local` or `s3`.
    fn backend(&self) -> &'static str;

    /// Moves a local file into storage under `key` (the file is gone afterwards).
    fn ingest_file<'a>(
        &'a self,
        key: &'a ObjectKey,
        file: &'a Path,
        content_type: &'a str,
    ) -> BoxFut<'a, Result<u64, StorageError>>;

    /// Stores a small object.
    fn put_bytes<'a>(
        &'a self,
        key: &'a ObjectKey,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFut<'a, Result<(), StorageError>>;

    /// Copies an object into a local file.
    fn download<'a>(
        &'a self,
        key: &'a ObjectKey,
        to: &'a Path,
    ) -> BoxFut<'a, Result<u64, StorageError>>;

    /// The object's size, or `None` when it does not exist.
    fn size<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<Option<u64>, StorageError>>;

    /// Removes an object (a missing object is fine).
    fn delete<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<(), StorageError>>;

    /// A URL that lets anyone holding it GET the object until it expires (presigned or signed).
    fn url_get<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>>;

    /// A URL that lets anyone holding it PUT the object until it expires.
    fn url_put<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>>;

    /// Checks the backend is reachable (for `/ready`).
    fn check(&self) -> BoxFut<'_, Result<(), StorageError>>;

    /// The object as a local file, when the backend keeps it on this machine's disk.
    fn local_path(&self, key: &ObjectKey) -> Option<PathBuf>;

    /// Lets browsers on `origins` load objects cross-origin (Label Studio's editor does). A
    /// backend that answers CORS itself (the local store's `/files`) needs nothing: `None`.
    /// Otherwise `Some(true)` when the rules were changed, `Some(false)` when already in place.
    fn allow_origins<'a>(
        &'a self,
        _origins: &'a [String],
    ) -> BoxFut<'a, Result<Option<bool>, StorageError>> {
        Box::pin(async { Ok(None) })
    }
}
