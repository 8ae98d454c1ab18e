//! What PPI remembers about Label Studio: the projects it manages (with the reconcile cursor),
//! delivered events (for deduplication), transcripts per media, tasks with their predictions,
//! and the annotations received.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{now_ms, Db, DbError};

pub const ROLE_ANNOTATION: &str = "annotation";
pub const ROLE_REVIEW: &str = "review";

/// A Label Studio task PPI knows.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LsTask {
    pub task_id: i64,
    pub project: i64,
    pub media_key: Option<String>,
    /// The task's `data` (JSON).
    pub data: String,
    pub lesson_id: Option<String>,
    /// The prediction built for it (JSON: model_version, score, result).
    pub result: Option<String>,
    pub model_version: Option<String>,
    pub prediction_id: Option<i64>,
    pub pushed_at: Option<i64>,
    pub error: Option<String>,
}

fn task(r: &AnyRow) -> Result<LsTask, DbError> {
    Ok(LsTask::from_row(r)?)
}

/// A transcript kept for one video.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MediaRow {
    pub transcript: String,
    pub duration: f64,
    pub fps: f64,
    pub model: String,
}

/// An annotation PPI received.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct LsAnnotation {
    pub annotation_id: i64,
    pub task_id: i64,
    pub project: i64,
    pub ls_updated_at: String,
    pub status: String,
    pub intervals: Option<String>,
    pub errors: Option<String>,
    /// Label Studio's `completed_by`: who saved it.
    pub completed_by: Option<String>,
}

impl Db {
    /// Records a project PPI manages (or has seen), keeping a known role.
    pub async fn upsert_ls_project(
        &self,
        id: i64,
        role: Option<&str>,
        label_config: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_ls_projects (id, role, label_config, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET \
               role = CASE WHEN $5 = 1 THEN excluded.role ELSE ppi_ls_projects.role END, \
               label_config = COALESCE(excluded.label_config, ppi_ls_projects.label_config), \
               updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(role.unwrap_or(ROLE_ANNOTATION))
        .bind(label_config)
        .bind(now_ms())
        .bind(i64::from(role.is_some()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Projects with `role`: (id, label config, reconcile cursor).
    pub async fn ls_projects(
        &self,
        role: &str,
    ) -> Result<Vec<(i64, Option<String>, Option<String>)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, label_config, sync_cursor FROM ppi_ls_projects WHERE role = $1 ORDER BY id",
        )
        .bind(role)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every project PPI knows: (id, role).
    pub async fn ls_project_roles(&self) -> Result<Vec<(i64, String)>, DbError> {
        Ok(
            sqlx::query_as("SELECT id, role FROM ppi_ls_projects ORDER BY id")
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn ls_project_config(&self, id: i64) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT label_config FROM ppi_ls_projects WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("label_config")?,
            None => None,
        })
    }

    pub async fn set_ls_cursor(&self, id: i64, cursor: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE ppi_ls_projects SET sync_cursor = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(cursor)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a delivered event; `false` when it was seen before.
    pub async fn record_ls_event(
        &self,
        key: &str,
        action: &str,
        project: i64,
        source: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO ppi_ls_events (dedupe_key, action, project, source, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(key)
        .bind(action)
        .bind(project)
        .bind(source)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a task (keeping its prediction state).
    pub async fn upsert_ls_task(
        &self,
        task_id: i64,
        project: i64,
        media_key: Option<&str>,
        data: &str,
        lesson_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_ls_tasks (task_id, project, media_key, data, lesson_id, error, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id) DO UPDATE SET \
               project = excluded.project, media_key = excluded.media_key, data = excluded.data, \
               lesson_id = COALESCE(excluded.lesson_id, ppi_ls_tasks.lesson_id), \
               error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(task_id)
        .bind(project)
        .bind(media_key)
        .bind(data)
        .bind(lesson_id)
        .bind(error)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ready lessons that have no task in `project` yet (uploaded before the project existed,
    /// or while Label Studio was away), oldest first: `(lesson id, owner id)`.
    pub async fn lessons_without_task(
        &self,
        project: i64,
    ) -> Result<Vec<(String, String)>, DbError> {
        let rows = sqlx::query(
            "SELECT id, owner_id FROM ppi_lessons l WHERE status = 'ready' AND NOT EXISTS \
             (SELECT 1 FROM ppi_ls_tasks t WHERE t.lesson_id = l.id AND t.project = $1) ORDER BY created_at",
        )
        .bind(project)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("owner_id")?)))
            .collect()
    }

    /// The task showing a lesson in `project`, if any.
    pub async fn lesson_task(&self, lesson_id: &str, project: i64) -> Result<Option<i64>, DbError> {
        let row = sqlx::query(
            "SELECT task_id FROM ppi_ls_tasks WHERE lesson_id = $1 AND project = $2 ORDER BY task_id LIMIT 1",
        )
        .bind(lesson_id)
        .bind(project)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("task_id"))
            .transpose()
            .map_err(Into::into)
    }

    /// The annotation project's task showing a lesson, if any.
    pub async fn lesson_task_any(&self, lesson_id: &str) -> Result<Option<i64>, DbError> {
        let row = sqlx::query(
            "SELECT t.task_id FROM ppi_ls_tasks t JOIN ppi_ls_projects p ON p.id = t.project \
             WHERE t.lesson_id = $1 AND p.role = $2 ORDER BY t.task_id LIMIT 1",
        )
        .bind(lesson_id)
        .bind(ROLE_ANNOTATION)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("task_id"))
            .transpose()
            .map_err(Into::into)
    }

    pub async fn ls_task(&self, task_id: i64) -> Result<Option<LsTask>, DbError> {
        let row = sqlx::query(
            "SELECT task_id, project, media_key, data, lesson_id, result, model_version, prediction_id, pushed_at, error FROM ppi_ls_tasks WHERE task_id = $1",
        )
        .bind(task_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(task).transpose()
    }

    /// Tasks showing `media_key`.
    pub async fn ls_tasks_for_media(&self, media_key: &str) -> Result<Vec<LsTask>, DbError> {
        let rows = sqlx::query(
            "SELECT task_id, project, media_key, data, lesson_id, result, model_version, prediction_id, pushed_at, error FROM ppi_ls_tasks WHERE media_key = $1 ORDER BY task_id",
        )
        .bind(media_key)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task).collect()
    }

    pub async fn delete_ls_task(&self, task_id: i64) -> Result<(), DbError> {
        sqlx::query("DELETE FROM ppi_ls_tasks WHERE task_id = $1")
            .bind(task_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores the prediction built for a task.
    pub async fn set_ls_task_result(
        &self,
        task_id: i64,
        result: &str,
        model_version: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_ls_tasks SET result = $2, model_version = $3, error = NULL, updated_at = $4 WHERE task_id = $1",
        )
        .bind(task_id)
        .bind(result)
        .bind(model_version)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Claims the right to deliver a task's prediction (once, by whoever gets here first:
    /// the job pushing it or `/predict` answering with it).
    pub async fn claim_ls_push(&self, task_id: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE ppi_ls_tasks SET pushed_at = $2 WHERE task_id = $1 AND pushed_at IS NULL",
        )
        .bind(task_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// After a push: the prediction's id, or the claim released with the error.
    pub async fn finish_ls_push(
        &self,
        task_id: i64,
        outcome: Result<Option<i64>, &str>,
    ) -> Result<(), DbError> {
        let q = match outcome {
            Ok(id) => sqlx::query(
                "UPDATE ppi_ls_tasks SET prediction_id = $2, error = NULL WHERE task_id = $1",
            )
            .bind(task_id)
            .bind(id),
            Err(e) => sqlx::query(
                "UPDATE ppi_ls_tasks SET pushed_at = NULL, error = $2 WHERE task_id = $1",
            )
            .bind(task_id)
            .bind(e.to_owned()),
        };
        q.execute(self.pool()).await?;
        Ok(())
    }

    pub async fn media(&self, key: &str) -> Result<Option<MediaRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT transcript, duration, fps, model FROM ppi_media WHERE media_key = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn put_media(&self, key: &str, m: &MediaRow) -> Result<(), DbError> {
        // What the pipeline board shows, kept beside the transcript.
        let (language, speakers) = super::board::transcript_summary(&m.transcript);
        // What corpus analytics reads (talk shares and questions), also beside it.
        let talk = super::corpus::talk_summary(&m.transcript).unwrap_or_else(|| "{}".into());
        sqlx::query(
            "INSERT INTO ppi_media (media_key, transcript, duration, fps, model, updated_at, language, speakers, talk) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (media_key) DO UPDATE SET \
             transcript = excluded.transcript, duration = excluded.duration, fps = excluded.fps, \
             model = excluded.model, updated_at = excluded.updated_at, language = excluded.language, \
             speakers = excluded.speakers, talk = excluded.talk",
        )
        .bind(key)
        .bind(&m.transcript)
        .bind(m.duration)
        .bind(m.fps)
        .bind(&m.model)
        .bind(now_ms())
        .bind(language)
        .bind(speakers)
        .bind(talk)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stores an annotation's state unless a newer version is already stored; `true` when
    /// stored.
    pub async fn put_ls_annotation(&self, a: &LsAnnotation, result: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO ppi_ls_annotations (annotation_id, task_id, project, ls_updated_at, status, intervals, errors, result, updated_at, completed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (annotation_id) DO UPDATE SET \
             task_id = excluded.task_id, project = excluded.project, ls_updated_at = excluded.ls_updated_at, \
             status = excluded.status, intervals = excluded.intervals, errors = excluded.errors, \
             result = excluded.result, updated_at = excluded.updated_at, \
             completed_by = COALESCE(excluded.completed_by, ppi_ls_annotations.completed_by) \
             WHERE ppi_ls_annotations.ls_updated_at <= excluded.ls_updated_at",
        )
        .bind(a.annotation_id)
        .bind(a.task_id)
        .bind(a.project)
        .bind(&a.ls_updated_at)
        .bind(&a.status)
        .bind(&a.intervals)
        .bind(&a.errors)
        .bind(result)
        .bind(now_ms())
        .bind(&a.completed_by)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The task and project of an annotation PPI has kept.
    pub async fn ls_annotation_task(&self, id: i64) -> Result<Option<(i64, i64)>, DbError> {
        let row =
            sqlx::query("SELECT task_id, project FROM ppi_ls_annotations WHERE annotation_id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| Ok((r.try_get("task_id")?, r.try_get("project")?)))
            .transpose()
    }

    /// The `updated_at` of the newest version of an annotation PPI has kept.
    pub async fn ls_annotation_version(&self, id: i64) -> Result<Option<String>, DbError> {
        let row =
            sqlx::query("SELECT ls_updated_at FROM ppi_ls_annotations WHERE annotation_id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("ls_updated_at")?),
            None => None,
        })
    }

    pub async fn set_ls_annotation_status(&self, id: i64, status: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_ls_annotations SET status = $2, updated_at = $3 WHERE annotation_id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn ls_annotations(&self, project: i64) -> Result<Vec<LsAnnotation>, DbError> {
        Ok(sqlx::query_as(
            "SELECT annotation_id, task_id, project, ls_updated_at, status, intervals, errors, completed_by \
             FROM ppi_ls_annotations WHERE project = $1 ORDER BY annotation_id",
        )
        .bind(project)
        .fetch_all(self.pool())
        .await?)
    }
}
