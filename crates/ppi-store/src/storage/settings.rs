//! `[storage]` settings: a local folder (the embedded default) or an S3 bucket.

use std::path::PathBuf;

use ppi_core::config::{var, EnvVar, Kind};
use ppi_core::secret::Secret;

/// Where media is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder (the embedded default), served through signed URLs.
    #[default]
    Local,
    /// S3, MinIO or SeaweedFS.
    S3,
}

/// Object storage.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// `local` or `s3` (`PPI_STORAGE`).
    pub backend: StorageBackend,
    /// Local backend root; default `<data_dir>/storage`.
    pub root: Option<PathBuf>,
    /// S3 endpoint PPI talks to, e.g. `http://minio:9000` (`PPI_S3_ENDPOINT`).
    pub endpoint: Option<String>,
    /// Endpoint put into presigned URLs for browsers and Label Studio, e.g.
    /// `http://localhost:9000` when PPI reaches MinIO by its docker name
    /// (`PPI_S3_PUBLIC_ENDPOINT`).
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<Secret>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// Path-style addressing (`http://host/bucket/key`), which MinIO and SeaweedFS need.
    pub path_style: bool,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            backend: StorageBackend::Local,
            root: None,
            endpoint: None,
            public_endpoint: None,
            bucket: "ppi".into(),
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            path_style: true,
        }
    }
}

/// The environment variables of `[storage]`.
pub const ENV: &[EnvVar] = &[
    var("PPI_STORAGE", "backend", Kind::Trimmed),
    var("PPI_S3_ENDPOINT", "endpoint", Kind::Text),
    var("PPI_S3_PUBLIC_ENDPOINT", "public_endpoint", Kind::Text),
    var("PPI_S3_BUCKET", "bucket", Kind::Text),
    var("PPI_S3_REGION", "region", Kind::Text),
    var("AWS_REGION", "region", Kind::Text),
    var("AWS_ACCESS_KEY_ID", "access_key_id", Kind::Text),
    var("AWS_SECRET_ACCESS_KEY", "secret_access_key", Kind::Text),
];
