//! The S3 backend (AWS S3, MinIO, SeaweedFS). Two clients share credentials: one talks to the
//! internal endpoint, the other signs URLs for the public endpoint, because presigned URLs are
//! bound to the host they name (the MinIO-in-docker pitfall: `http://minio:9000` inside the
//! network, `http://localhost:9000` for the browser).

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, CorsConfiguration, CorsRule};
use aws_sdk_s3::Client;

use super::s3_client::{backend, client, save_body};
use super::{BoxFut, ObjectKey, ObjectStore, StorageError};
use crate::storage::settings::StorageSettings;

/// Files up to this size go in one PUT; larger ones in parts of this size.
const PART: u64 = 32 << 20;

pub struct S3Store {
    client: Client,
    presigner: Client,
    bucket: String,
}

impl S3Store {
    /// Builds the clients and makes sure the bucket exists.
    pub async fn connect(s: &StorageSettings) -> Result<Self, StorageError> {
        let endpoint = s.endpoint.clone().ok_or_else(|| {
            StorageError::Config("storage.endpoint (PPI_S3_ENDPOINT) is required for s3".into())
        })?;
        let (Some(ak), Some(sk)) = (&s.access_key_id, &s.secret_access_key) else {
            return Err(StorageError::Config(
                "credentials are required for s3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                    .into(),
            ));
        };
        let public = s
            .public_endpoint
            .clone()
            .unwrap_or_else(|| endpoint.clone());
        let store = S3Store {
            client: client(&endpoint, s, ak.expose(), sk.expose()),
            presigner: client(&public, s, ak.expose(), sk.expose()),
            bucket: s.bucket.clone(),
        };
        if store
            .client
            .head_bucket()
            .bucket(&store.bucket)
            .send()
            .await
            .is_err()
        {
            store
                .client
                .create_bucket()
                .bucket(&store.bucket)
                .send()
                .await
                .map_err(|e| {
                    StorageError::Backend(format!(
                        "bucket {:?} is missing and cannot be created: {}",
                        store.bucket,
                        DisplayErrorContext(e)
                    ))
                })?;
            tracing::info!(bucket = %store.bucket, "created the bucket");
        }
        Ok(store)
    }

    async fn put_multipart(
        &self,
        key: &ObjectKey,
        file: &Path,
        size: u64,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .send()
            .await
            .map_err(backend)?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let result = async {
            let mut parts = Vec::new();
            let mut offset = 0u64;
            let mut n = 1i32;
            while offset < size {
                let len = PART.min(size - offset);
                // Each part streams from the file: memory stays at one buffer, not one part.
                let body = ByteStream::read_from()
                    .path(file)
                    .offset(offset)
                    .length(Length::Exact(len))
                    .build()
                    .await
                    .map_err(|e| StorageError::Io {
                        key: key.to_string(),
                        detail: e.to_string(),
                    })?;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .upload_id(&upload_id)
                    .part_number(n)
                    .body(body)
                    .send()
                    .await
                    .map_err(backend)?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(n)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
                offset += len;
                n += 1;
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(backend)?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    fn ingest_file<'a>(
        &'a self,
        key: &'a ObjectKey,
        file: &'a Path,
        content_type: &'a str,
    ) -> BoxFut<'a, Result<u64, StorageError>> {
        Box::pin(async move {
            let size = tokio::fs::metadata(file)
                .await
                .map_err(|e| StorageError::Io {
                    key: file.display().to_string(),
                    detail: e.to_string(),
                })?
                .len();
            if size <= PART {
                let body = ByteStream::from_path(file)
                    .await
                    .map_err(|e| StorageError::Io {
                        key: key.to_string(),
                        detail: e.to_string(),
                    })?;
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .content_type(content_type)
                    .body(body)
                    .send()
                    .await
                    .map_err(backend)?;
            } else {
                self.put_multipart(key, file, size, content_type).await?;
            }
            let _ = tokio::fs::remove_file(file).await;
            Ok(size)
        })
    }

    fn put_bytes<'a>(
        &'a self,
        key: &'a ObjectKey,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFut<'a, Result<(), StorageError>> {
        Box::pin(async move {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .content_type(content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn download<'a>(
        &'a self,
        key: &'a ObjectKey,
        to: &'a Path,
    ) -> BoxFut<'a, Result<u64, StorageError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                        StorageError::NotFound(key.clone())
                    } else {
                        backend(e)
                    }
                })?;
            save_body(out.body, to, key.as_str()).await
        })
    }

    fn size<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<Option<u64>, StorageError>> {
        Box::pin(async move {
            match self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .send()
                .await
            {
                Ok(h) => Ok(Some(h.content_length().unwrap_or(0).max(0) as u64)),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
                Err(e) => Err(backend(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a ObjectKey) -> BoxFut<'a, Result<(), StorageError>> {
        Box::pin(async move {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .send()
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn url_get<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>> {
        Box::pin(async move {
            let req = self
                .presigner
                .get_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .presigned(presigning(ttl)?)
                .await
                .map_err(backend)?;
            Ok(req.uri().to_string())
        })
    }

    fn url_put<'a>(
        &'a self,
        key: &'a ObjectKey,
        ttl: Duration,
    ) -> BoxFut<'a, Result<String, StorageError>> {
        Box::pin(async move {
            let req = self
                .presigner
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .presigned(presigning(ttl)?)
                .await
                .map_err(backend)?;
            Ok(req.uri().to_string())
        })
    }

    fn check(&self) -> BoxFut<'_, Result<(), StorageError>> {
        Box::pin(async move {
            self.client
                .head_bucket()
                .bucket(&self.bucket)
                .send()
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn local_path(&self, _key: &ObjectKey) -> Option<PathBuf> {
        None
    }

    fn allow_origins<'a>(
        &'a self,
        origins: &'a [String],
    ) -> BoxFut<'a, Result<Option<bool>, StorageError>> {
        Box::pin(async move {
            let rule = cors_rule(origins).map_err(backend)?;
            let current = self
                .client
                .get_bucket_cors()
                .bucket(&self.bucket)
                .send()
                .await;
            // A bucket without rules answers an error (NoSuchCORSConfiguration): set them.
            if let Ok(c) = &current {
                if c.cors_rules().iter().any(|r| same_rule(r, &rule)) {
                    return Ok(Some(false));
                }
            }
            let mut rules: Vec<CorsRule> = current
                .map(|c| c.cors_rules().to_vec())
                .unwrap_or_default()
                .into_iter()
                .filter(|r| r.id() != Some(CORS_RULE_ID))
                .collect();
            rules.push(rule);
            let config = CorsConfiguration::builder()
                .set_cors_rules(Some(rules))
                .build()
                .map_err(backend)?;
            self.client
                .put_bucket_cors()
                .bucket(&self.bucket)
                .cors_configuration(config)
                .send()
                .await
                .map_err(backend)?;
            Ok(Some(true))
        })
    }
}

/// The id of the CORS rule PPI manages on its bucket (other rules are left alone).
const CORS_RULE_ID: &str = "ppi-media";

/// What a browser player needs: GET/HEAD with `Range`, and the range headers exposed.
fn cors_rule(origins: &[String]) -> Result<CorsRule, aws_sdk_s3::error::BuildError> {
    let mut origins = origins.to_vec();
    origins.sort();
    origins.dedup();
    CorsRule::builder()
        .id(CORS_RULE_ID)
        .set_allowed_origins(Some(origins))
        .set_allowed_methods(Some(vec!["GET".into(), "HEAD".into(), "PUT".into()]))
        .allowed_headers("*")
        .set_expose_headers(Some(
            ["Content-Range", "Accept-Ranges", "Content-Length", "ETag"]
                .map(String::from)
                .to_vec(),
        ))
        .max_age_seconds(3600)
        .build()
}

fn same_rule(a: &CorsRule, b: &CorsRule) -> bool {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    sorted(a.allowed_origins()) == sorted(b.allowed_origins())
        && sorted(a.allowed_methods()) == sorted(b.allowed_methods())
        && sorted(a.expose_headers()) == sorted(b.expose_headers())
}

/// How long a presigned URL lives.
fn presigning(ttl: Duration) -> Result<PresigningConfig, StorageError> {
    PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Config(e.to_string()))
}
