//! Lesson ingest: a received file becomes a stored lesson and an extract-audio job. Shared by
//! the multipart upload and the presigned-upload completion.

use std::path::Path;

use crate::app::App;
use ppi_core::domain::{EntityId, Username};
use ppi_core::error::{Coded, ErrorKind};
use ppi_jobs::payload::ExtractAudio;
use ppi_jobs::Job;
use ppi_media::{self as media, MediaError};
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::lessons::{Lesson, PROCESSING, UPLOADED};
use ppi_store::db::{now_ms, DbError};
use ppi_store::storage::{key, StorageError};

/// Why a file was not accepted as a lesson.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{name:?} is not a video: {detail}")]
    NotAVideo { name: String, detail: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Internal(String),
}

impl Coded for IngestError {
    fn code(&self) -> &'static str {
        match self {
            IngestError::NotAVideo { .. } => "upload-not-a-video",
            IngestError::Db(e) => e.code(),
            IngestError::Storage(e) => e.code(),
            IngestError::Internal(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            IngestError::NotAVideo { .. } => ErrorKind::Input,
            IngestError::Db(e) => e.kind(),
            IngestError::Storage(e) => e.kind(),
            IngestError::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// A file received from a client, already on local disk and hashed.
pub struct Received<'a> {
    pub file: &'a Path,
    pub sha256: String,
    pub size: u64,
    /// The client's file name, kept for display only.
    pub file_name: String,
    pub title: Option<String>,
}

/// The outcome of an ingest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ingested {
    pub lesson: Lesson,
    pub job: Option<JobRecord>,
    /// True when the owner already had this exact file; nothing new was stored.
    pub duplicate: bool,
}

/// Printable, bounded text from a client (titles, file names).
pub fn clean_text(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Validates (probe), deduplicates (SHA-256 per owner), stores the file under the lesson's
/// key, records the lesson and queues its extract-audio job. The local file is consumed.
pub async fn ingest(
    app: &App,
    owner_id: &str,
    owner: &Username,
    rec: Received<'_>,
) -> Result<Ingested, IngestError> {
    // Same content from the same owner: answer with the existing lesson.
    if let Some(existing) = app.db.lesson_by_sha(owner_id, &rec.sha256).await? {
        let _ = tokio::fs::remove_file(rec.file).await;
        let job = match &existing.job_id {
            Some(j) => app.db.job(j).await?,
            None => None,
        };
        return Ok(Ingested {
            lesson: existing,
            job,
            duplicate: true,
        });
    }
    let path = rec.file.to_path_buf();
    let probe = tokio::task::spawn_blocking(move || media::probe(&path))
        .await
        .map_err(|e| IngestError::Internal(e.to_string()))?;
    let probe = match probe {
        Ok(p) => p,
        Err(e @ (MediaError::Io { .. } | MediaError::Write { .. })) => {
            return Err(IngestError::Internal(e.to_string()))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(rec.file).await;
            let detail = e.to_string();
            // The message names the temporary file; name the client's file instead.
            let detail = detail
                .split_once(": ")
                .map(|(_, d)| d.to_owned())
                .unwrap_or(detail);
            return Err(IngestError::NotAVideo {
                name: rec.file_name,
                detail,
            });
        }
    };
    let id = EntityId::new();
    let ext = key::ext_for_format(&probe.format);
    let source = key::lesson_source(owner, &id, ext)
        .ok_or_else(|| IngestError::Internal("invalid storage key".into()))?;
    let stored = app
        .store
        .ingest_file(&source, rec.file, "application/octet-stream")
        .await?;
    ppi_store::storage::telemetry::bytes_stored(stored);
    let now = now_ms();
    let title = rec
        .title
        .map(|t| clean_text(&t, 200))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| clean_text(&rec.file_name, 200));
    let lesson = Lesson {
        id: id.to_string(),
        owner_id: owner_id.to_owned(),
        owner: owner.to_string(),
        title,
        file_name: clean_text(&rec.file_name, 255),
        ext: ext.to_owned(),
        sha256: rec.sha256.clone(),
        size_bytes: rec.size as i64,
        status: UPLOADED.to_owned(),
        source_key: source.to_string(),
        audio_key: None,
        probe_key: None,
        probe: None,
        error: None,
        job_id: None,
        created_at: now,
        updated_at: now,
    };
    let (mut lesson, created) = app.db.insert_lesson(&lesson).await?;
    if !created {
        // Lost a race with an identical upload: drop our copy, answer with theirs.
        let _ = app.store.delete(&source).await;
        return Ok(Ingested {
            job: None,
            lesson,
            duplicate: true,
        });
    }
    let job = app
        .jobs
        .enqueue(
            &Job::ExtractAudio(ExtractAudio {
                lesson_id: lesson.id.clone(),
            }),
            &format!("extract-audio:{}", lesson.id),
            Some(&lesson.id),
            Some(owner_id),
        )
        .await?;
    app.db
        .set_lesson_job(&lesson.id, &job.id, PROCESSING)
        .await?;
    lesson.job_id = Some(job.id.clone());
    lesson.status = PROCESSING.to_owned();
    Ok(Ingested {
        lesson,
        job: Some(job),
        duplicate: false,
    })
}
