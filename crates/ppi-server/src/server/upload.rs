//! Receiving a file: streamed to a temporary file in the data dir while hashing (SHA-256) and
//! counting, so memory does not grow with the file and the size limit applies as bytes arrive.

use std::path::PathBuf;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::error::ApiError;

/// A received file; removed on drop unless kept. Its lock tells a starting process's scratch
/// cleaning that the file is in use (`jobs::scratch`).
pub struct Incoming {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    keep: bool,
    _lock: Option<std::fs::File>,
}

impl Incoming {
    /// Hands the file over (it is no longer removed on drop).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How much of an over-limit body is read and discarded before answering 413.
const DRAIN_LIMIT: u64 = 64 << 20;

/// Reads and drops up to `DRAIN_LIMIT` bytes of a body that will be refused, so that a client
/// still sending it reads the error instead of a reset connection.
pub async fn drain<S: AsyncChunks<E>, E>(next: &mut S) {
    let mut drained = 0u64;
    while drained < DRAIN_LIMIT {
        match next.next_chunk().await {
            Ok(Some(c)) => drained += c.len() as u64,
            _ => break,
        }
    }
}

/// Drains every field of a refused multipart body (bounded in total).
pub async fn drain_multipart(form: &mut axum::extract::Multipart) {
    let mut fields = 0;
    while let Ok(Some(mut field)) = form.next_field().await {
        drain(&mut field).await;
        fields += 1;
        if fields > 16 {
            break;
        }
    }
}

/// 413 with the limit named.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "upload-too-large",
        format!("the upload is larger than the limit of {limit} bytes (server.max_upload_bytes)"),
    )
}

/// Writes a stream of chunks to a new temporary file under `dir`.
pub async fn receive<S, E>(
    dir: &std::path::Path,
    limit: u64,
    next: &mut S,
) -> Result<Incoming, ApiError>
where
    S: AsyncChunks<E>,
    E: std::fmt::Display,
{
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| internal(&e))?;
    let path = dir.join(format!("upload-{}.part", ppi_core::domain::EntityId::new()));
    let std_file = std::fs::File::create(&path).map_err(|e| internal(&e))?;
    let lock = std_file.try_clone().map_err(|e| internal(&e))?;
    lock.try_lock()
        .map_err(|e| internal(&std::io::Error::other(e)))?;
    let mut incoming = Incoming {
        path: path.clone(),
        sha256: String::new(),
        size: 0,
        keep: false,
        _lock: Some(lock),
    };
    let file = tokio::fs::File::from_std(std_file);
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    while let Some(chunk) = next.next_chunk().await.map_err(|e| {
        ApiError::bad_request("upload-interrupted", format!("the upload stopped: {e}"))
    })? {
        incoming.size += chunk.len() as u64;
        if incoming.size > limit {
            // A bounded remainder is read so the client gets the 413; a far larger body is cut off.
            drain(next).await;
            return Err(too_large(limit));
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(|e| internal(&e))?;
    }
    out.flush().await.map_err(|e| internal(&e))?;
    incoming.sha256 = hex::encode(hasher.finalize());
    Ok(incoming)
}

fn internal(e: &std::io::Error) -> ApiError {
    tracing::error!("upload temp file: {e}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "io-error",
        "the server could not store the upload",
    )
}

/// Something that yields body chunks: a multipart field or a raw request body.
pub trait AsyncChunks<E> {
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<bytes::Bytes>, E>> + Send;
}

impl AsyncChunks<axum::extract::multipart::MultipartError> for axum::extract::multipart::Field<'_> {
    async fn next_chunk(
        &mut self,
    ) -> Result<Option<bytes::Bytes>, axum::extract::multipart::MultipartError> {
        self.chunk().await
    }
}

/// A raw request body as chunks.
pub struct BodyChunks(pub axum::body::BodyDataStream);

impl AsyncChunks<axum::Error> for BodyChunks {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, axum::Error> {
        use futures_util::StreamExt;
        self.0.next().await.transpose()
    }
}
