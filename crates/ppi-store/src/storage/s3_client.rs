//! What both S3 files share: a client for an endpoint with the configured credentials, the
//! SDK's errors as storage errors, and streaming an object's body into a file.

use std::path::Path;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::Client;
use tokio::io::AsyncWriteExt;

use super::settings::StorageSettings;
use super::StorageError;

pub(super) fn backend<E: std::error::Error>(e: E) -> StorageError {
    StorageError::Backend(DisplayErrorContext(e).to_string())
}

pub(super) fn client(endpoint: &str, s: &StorageSettings, ak: &str, sk: &str) -> Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(s.region.clone()))
        .endpoint_url(endpoint)
        .force_path_style(s.path_style)
        .credentials_provider(Credentials::new(ak, sk, None, None, "ppi"))
        .build();
    Client::from_conf(conf)
}

/// Streams an object's body into a local file; returns its size.
pub(super) async fn save_body(
    mut body: aws_sdk_s3::primitives::ByteStream,
    to: &Path,
    key: &str,
) -> Result<u64, StorageError> {
    let io = |e: std::io::Error| StorageError::Io {
        key: key.to_owned(),
        detail: e.to_string(),
    };
    let mut f = tokio::fs::File::create(to).await.map_err(io)?;
    let mut n = 0u64;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?
    {
        f.write_all(&chunk).await.map_err(io)?;
        n += chunk.len() as u64;
    }
    f.flush().await.map_err(io)?;
    Ok(n)
}
