//! Lessons: an uploaded video and what was made from it.

use sqlx::any::AnyRow;
use sqlx::FromRow;

use super::{now_ms, Db, DbError};

/// Processing state of a lesson.
pub const UPLOADED: &str = "uploaded";
pub const PROCESSING: &str = "processing";
pub const READY: &str = "ready";
pub const FAILED: &str = "failed";

/// A stored lesson.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct Lesson {
    pub id: String,
    pub owner_id: String,
    pub owner: String,
    pub title: String,
    /// The name the file was uploaded under; shown to people, never used in storage keys.
    pub file_name: String,
    pub ext: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub status: String,
    pub source_key: String,
    pub audio_key: Option<String>,
    pub probe_key: Option<String>,
    /// The probe (JSON); lists leave the column out.
    #[serde(skip)]
    #[sqlx(default)]
    pub probe: Option<String>,
    pub error: Option<String>,
    pub job_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every column but `probe`, which lists do not need.
macro_rules! list_columns {
    () => {
        "id, owner_id, owner, title, file_name, ext, sha256, size_bytes, status, source_key, \
         audio_key, probe_key, error, job_id, created_at, updated_at"
    };
}

fn lesson(r: &AnyRow) -> Result<Lesson, DbError> {
    Ok(Lesson::from_row(r)?)
}

impl Db {
    /// Inserts a lesson unless the owner already has one with the same content; returns the
    /// stored lesson and whether it is new.
    pub async fn insert_lesson(&self, l: &Lesson) -> Result<(Lesson, bool), DbError> {
        let done = sqlx::query(
            "INSERT INTO ppi_lessons (id, owner_id, owner, title, file_name, ext, sha256, size_bytes, status, source_key, \
             audio_key, probe_key, probe, error, job_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (owner_id, sha256) DO NOTHING",
        )
        .bind(&l.id)
        .bind(&l.owner_id)
        .bind(&l.owner)
        .bind(&l.title)
        .bind(&l.file_name)
        .bind(&l.ext)
        .bind(&l.sha256)
        .bind(l.size_bytes)
        .bind(&l.status)
        .bind(&l.source_key)
        .bind(&l.audio_key)
        .bind(&l.probe_key)
        .bind(&l.probe)
        .bind(&l.error)
        .bind(&l.job_id)
        .bind(l.created_at)
        .bind(l.updated_at)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok((l.clone(), true));
        }
        let existing = self
            .lesson_by_sha(&l.owner_id, &l.sha256)
            .await?
            .ok_or_else(|| DbError::Conflict("lesson vanished during insert".into()))?;
        Ok((existing, false))
    }

    pub async fn lesson_by_sha(
        &self,
        owner_id: &str,
        sha256: &str,
    ) -> Result<Option<Lesson>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_lessons WHERE owner_id = $1 AND sha256 = $2")
            .bind(owner_id)
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(lesson).transpose()
    }

    pub async fn lesson(&self, id: &str) -> Result<Option<Lesson>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_lessons WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(lesson).transpose()
    }

    /// Lessons, newest first: all of them, or one owner's; without their probe documents.
    pub async fn list_lessons(
        &self,
        owner_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Lesson>, DbError> {
        let rows = match owner_id {
            Some(o) => {
                sqlx::query(concat!(
                "SELECT ",
                list_columns!(),
                " FROM ppi_lessons WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
                .bind(o)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    list_columns!(),
                    " FROM ppi_lessons ORDER BY created_at DESC, id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(lesson).collect()
    }

    pub async fn set_lesson_job(
        &self,
        id: &str,
        job_id: &str,
        status: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_lessons SET job_id = $1, status = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(job_id)
        .bind(status)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records the outcome of processing.
    pub async fn finish_lesson(
        &self,
        id: &str,
        status: &str,
        audio_key: Option<&str>,
        probe_key: Option<&str>,
        probe: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_lessons SET status = $1, audio_key = COALESCE($2, audio_key), probe_key = COALESCE($3, probe_key), \
             probe = COALESCE($4, probe), error = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status)
        .bind(audio_key)
        .bind(probe_key)
        .bind(probe)
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// A presigned upload that has not been completed yet.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingUpload {
    pub id: String,
    pub owner_id: String,
    pub object_key: String,
    pub file_name: String,
    pub title: Option<String>,
    pub created_at: i64,
}

impl Db {
    pub async fn insert_upload(&self, u: &PendingUpload) -> Result<(), DbError> {
        sqlx::query("INSERT INTO ppi_uploads (id, owner_id, object_key, file_name, title, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&u.id)
            .bind(&u.owner_id)
            .bind(&u.object_key)
            .bind(&u.file_name)
            .bind(&u.title)
            .bind(u.created_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes and returns a pending upload (so it completes once).
    pub async fn take_upload(&self, id: &str) -> Result<Option<PendingUpload>, DbError> {
        Ok(
            sqlx::query_as("DELETE FROM ppi_uploads WHERE id = $1 RETURNING *")
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn upload(&self, id: &str) -> Result<Option<PendingUpload>, DbError> {
        Ok(sqlx::query_as("SELECT * FROM ppi_uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }
}
