//! Enrolled teacher voices: one per Label Studio project, from the annotators' corrected speaker
//! lane or an admin naming the teacher; the project's next lessons name their teacher by it.

use super::{now_ms, Db, DbError};

/// A project's teacher voice.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TeacherVoice {
    /// The unit embedding, as a JSON array.
    pub voice: String,
    /// Who enrolled it: `annotation <id>` or `admin <user>`.
    pub source: String,
    /// The video it was heard in.
    pub media_key: Option<String>,
    pub updated_at: i64,
}

impl TeacherVoice {
    /// The embedding, when the stored JSON is one.
    pub fn vector(&self) -> Option<Vec<f32>> {
        serde_json::from_str(&self.voice).ok()
    }
}

impl Db {
    pub async fn teacher_voice(&self, project: i64) -> Result<Option<TeacherVoice>, DbError> {
        Ok(sqlx::query_as(
            "SELECT voice, source, media_key, updated_at FROM ppi_teacher_voices WHERE project = $1",
        )
        .bind(project)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Keeps `voice` as the project's teacher voice (the newest replaces the older).
    pub async fn set_teacher_voice(
        &self,
        project: i64,
        voice: &[f32],
        source: &str,
        media_key: Option<&str>,
    ) -> Result<(), DbError> {
        let json = serde_json::to_string(voice).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO ppi_teacher_voices (project, voice, source, media_key, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project) DO UPDATE SET \
             voice = excluded.voice, source = excluded.source, media_key = excluded.media_key, \
             updated_at = excluded.updated_at",
        )
        .bind(project)
        .bind(json)
        .bind(source)
        .bind(media_key)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
