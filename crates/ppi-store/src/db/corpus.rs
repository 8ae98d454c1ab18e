//! What corpus analytics reads: each lesson's talk summary (kept by `put_media` beside the
//! transcript), and each measured task's stored agreement report with its lesson and frame rate.

use sqlx::Row;

use super::{Db, DbError};

/// A lesson and its talk summary (the transcript's `roles` and questions, as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusLesson {
    pub id: String,
    pub title: String,
    pub owner_id: String,
    /// `{"roles": …, "questions": [{role, type}…]}`, or the whole transcript for a row kept
    /// before the summary existed; `None` when not transcribed.
    pub talk: Option<String>,
}

/// A measured task.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusTask {
    pub task_id: i64,
    pub lesson_id: Option<String>,
    pub owner_id: Option<String>,
    pub report: String,
    pub fps: Option<f64>,
}

impl Db {
    /// Every lesson (one owner's, when given), oldest first.
    pub async fn corpus_lessons(
        &self,
        owner_id: Option<&str>,
    ) -> Result<Vec<CorpusLesson>, DbError> {
        let rows = sqlx::query(
            "SELECT l.id, l.title, l.owner_id, COALESCE(m.talk, m.transcript) AS talk \
             FROM ppi_lessons l \
             LEFT JOIN ppi_ls_tasks t ON t.task_id = (SELECT MAX(x.task_id) FROM ppi_ls_tasks x WHERE x.lesson_id = l.id) \
             LEFT JOIN ppi_media m ON m.media_key = COALESCE(t.media_key, 'key:' || l.source_key) \
             WHERE ($1 IS NULL OR l.owner_id = $1) ORDER BY l.created_at, l.id",
        )
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CorpusLesson {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    owner_id: r.try_get("owner_id")?,
                    talk: r.try_get("talk")?,
                })
            })
            .collect()
    }

    /// Every stored agreement with its task's lesson (and the lesson's owner) and frame rate;
    /// with `owner_id`, only that owner's lessons' tasks.
    pub async fn corpus_tasks(&self, owner_id: Option<&str>) -> Result<Vec<CorpusTask>, DbError> {
        let rows = sqlx::query(
            "SELECT g.task_id, t.lesson_id, l.owner_id, g.report, m.fps \
             FROM ppi_agreements g \
             LEFT JOIN ppi_ls_tasks t ON t.task_id = g.task_id \
             LEFT JOIN ppi_lessons l ON l.id = t.lesson_id \
             LEFT JOIN ppi_media m ON m.media_key = t.media_key \
             WHERE ($1 IS NULL OR l.owner_id = $1) ORDER BY g.updated_at, g.task_id",
        )
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CorpusTask {
                    task_id: r.try_get("task_id")?,
                    lesson_id: r.try_get("lesson_id")?,
                    owner_id: r.try_get("owner_id")?,
                    report: r.try_get("report")?,
                    fps: r.try_get("fps")?,
                })
            })
            .collect()
    }
}

/// The part of a transcript the corpus reads (its roles and the questions' role and type),
/// kept beside it by `put_media`; `None` when it has no roles (speakers not found).
pub(crate) fn talk_summary(transcript: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(transcript).ok()?;
    let roles = v.get("roles")?.clone();
    let questions: Vec<serde_json::Value> = v["questions"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .map(|q| serde_json::json!({"role": q["role"], "type": q["type"]}))
                .collect()
        })
        .unwrap_or_default();
    Some(serde_json::json!({"roles": roles, "questions": questions}).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn talk_summary_keeps_roles_and_question_kinds() {
        let t = serde_json::json!({"segments": [{"text": "long"}],
            "roles": {"teacher_share": 0.5},
            "questions": [{"role": "teacher", "type": "open", "text": "Why?"}]});
        let s = super::talk_summary(&t.to_string()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["roles"]["teacher_share"], 0.5);
        assert_eq!(
            v["questions"][0],
            serde_json::json!({"role": "teacher", "type": "open"})
        );
        assert!(super::talk_summary("{\"segments\": []}").is_none());
    }
}
