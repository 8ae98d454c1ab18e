//! Reading any bucket's keys as they are (ListObjectsV2, GetObject), for the storage watcher:
//! keys there are named by people, not built by PPI, so they are not [`super::ObjectKey`]s.

use std::path::Path;

use aws_sdk_s3::Client;

use super::s3_client::{backend, client, save_body};
use super::StorageError;
use crate::storage::settings::StorageSettings;

/// One listed object. The ETag is opaque: compared, never interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub modified_ms: i64,
}

/// A bucket read with the storage settings' endpoint and credentials.
pub struct S3Bucket {
    client: Client,
    bucket: String,
}

impl S3Bucket {
    /// Uses the configured endpoint and credentials; creates nothing.
    pub fn open(s: &StorageSettings, bucket: &str) -> Result<Self, StorageError> {
        let endpoint = s.endpoint.clone().ok_or_else(|| {
            StorageError::Config("storage.endpoint (PPI_S3_ENDPOINT) is required for s3://".into())
        })?;
        let (Some(ak), Some(sk)) = (&s.access_key_id, &s.secret_access_key) else {
            return Err(StorageError::Config(
                "credentials are required for s3://: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                    .into(),
            ));
        };
        Ok(S3Bucket {
            client: client(&endpoint, s, ak.expose(), sk.expose()),
            bucket: bucket.to_owned(),
        })
    }

    /// Every object under `prefix`, page by page.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(backend)?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                out.push(Listed {
                    key: key.to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    etag: o.e_tag().map(str::to_owned),
                    modified_ms: o
                        .last_modified()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// Copies one object into a local file.
    pub async fn download(&self, key: &str, to: &Path) -> Result<u64, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(backend)?;
        save_body(out.body, to, key).await
    }
}
