//! The pipeline board's rows: where each lesson stands, from upload to the Hub, read in one
//! query over the lesson, its Label Studio task, the task's annotations and agreement, its
//! review items and transcript summary (the columns `put_media` and `put_agreement` keep).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Db, DbError};

/// The stages a lesson passes through, in order.
pub const STAGES: [&str; 8] = [
    "uploaded",
    "transcribed",
    "in-ls",
    "annotated",
    "agreed",
    "reviewed",
    "in-dataset",
    "published",
];

/// One lesson on the board.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoardRow {
    pub id: String,
    pub title: String,
    pub owner: String,
    #[serde(skip)]
    pub owner_id: String,
    /// The lesson's own status (`uploaded`, `processing`, `ready`, `failed`).
    pub status: String,
    pub error: Option<String>,
    pub uploaded_at: i64,
    /// The Label Studio task showing it, when imported.
    pub task_id: Option<i64>,
    pub project: Option<i64>,
    /// Transcribed: the main language and the number of speakers found.
    pub transcribed: bool,
    pub language: Option<String>,
    pub speakers: Option<i64>,
    /// Accepted annotations, and how many the project plans.
    pub annotations: i64,
    pub planned: Option<i64>,
    /// The agreement gate: κ (as the gate measures it) and whether it passed.
    pub kappa: Option<f64>,
    pub passed: Option<bool>,
    /// Review items by decision.
    pub approved: i64,
    pub rejected: i64,
    pub pending: i64,
    /// When the last of its items was decided.
    pub decided_at: Option<i64>,
}

impl BoardRow {
    fn from_row(r: &AnyRow) -> Result<Self, DbError> {
        Ok(BoardRow {
            id: r.try_get("id")?,
            title: r.try_get("title")?,
            owner: r.try_get("owner")?,
            owner_id: r.try_get("owner_id")?,
            status: r.try_get("status")?,
            error: r.try_get("error")?,
            uploaded_at: r.try_get("created_at")?,
            task_id: r.try_get("task_id")?,
            project: r.try_get("project")?,
            transcribed: r.try_get::<Option<String>, _>("media_key")?.is_some(),
            language: r.try_get("language")?,
            speakers: r.try_get("speakers")?,
            annotations: r.try_get("annotations")?,
            planned: r.try_get("planned")?,
            kappa: r.try_get("kappa")?,
            passed: r.try_get::<Option<i64>, _>("passed")?.map(|p| p != 0),
            approved: r.try_get("approved")?,
            rejected: r.try_get("rejected")?,
            pending: r.try_get("pending")?,
            decided_at: r.try_get("decided_at")?,
        })
    }

    /// The furthest stage reached, given when the dataset was last assembled and published.
    pub fn stage(&self, assembled_at: Option<i64>, published_at: Option<i64>) -> &'static str {
        let after = |t: Option<i64>| match (t, self.decided_at) {
            (Some(t), Some(d)) => t >= d,
            _ => false,
        };
        let reviewed = self.approved + self.rejected > 0 && self.pending == 0;
        if reviewed && self.approved > 0 && after(assembled_at) {
            if after(published_at) {
                return "published";
            }
            return "in-dataset";
        }
        if reviewed {
            return "reviewed";
        }
        if self.passed == Some(true) {
            return "agreed";
        }
        if self.annotations > 0 && self.planned.is_some_and(|p| self.annotations >= p) {
            return "annotated";
        }
        if self.task_id.is_some() {
            return "in-ls";
        }
        if self.transcribed {
            return "transcribed";
        }
        "uploaded"
    }
}

impl Db {
    /// Every lesson (one owner's, when given), newest first, with its pipeline state. A
    /// lesson shown by several tasks is shown with its newest task.
    pub async fn board_rows(&self, owner_id: Option<&str>) -> Result<Vec<BoardRow>, DbError> {
        let rows = sqlx::query(
            "SELECT l.id, l.title, l.owner, l.owner_id, l.status, l.error, l.created_at, \
             t.task_id, t.project, m.media_key, m.language, m.speakers, \
             (SELECT COUNT(*) FROM ppi_ls_annotations a WHERE a.task_id = t.task_id AND a.status = 'accepted') AS annotations, \
             CASE WHEN t.task_id IS NULL THEN NULL ELSE COALESCE(p.annotators, 1) END AS planned, g.kappa, g.passed, \
             (SELECT COUNT(*) FROM ppi_review_items r WHERE r.lesson_id = l.id AND r.status = 'approved') AS approved, \
             (SELECT COUNT(*) FROM ppi_review_items r WHERE r.lesson_id = l.id AND r.status = 'rejected') AS rejected, \
             (SELECT COUNT(*) FROM ppi_review_items r WHERE r.lesson_id = l.id AND r.status = 'pending') AS pending, \
             (SELECT MAX(r.decided_at) FROM ppi_review_items r WHERE r.lesson_id = l.id) AS decided_at \
             FROM ppi_lessons l \
             LEFT JOIN ppi_ls_tasks t ON t.task_id = (SELECT MAX(x.task_id) FROM ppi_ls_tasks x WHERE x.lesson_id = l.id) \
             LEFT JOIN ppi_media m ON m.media_key = COALESCE(t.media_key, 'key:' || l.source_key) \
             LEFT JOIN ppi_ls_projects p ON p.id = t.project \
             LEFT JOIN ppi_agreements g ON g.task_id = t.task_id \
             WHERE ($1 IS NULL OR l.owner_id = $1) \
             ORDER BY l.created_at DESC, l.id DESC",
        )
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(BoardRow::from_row).collect()
    }
}

/// The dataset's side of the board: when it was last assembled and last published, where,
/// and at which Hub revision.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DatasetState {
    pub assembled_at: Option<i64>,
    pub published_at: Option<i64>,
    pub repo: Option<String>,
    pub revision: Option<String>,
}

impl Db {
    /// The last successful assembly (its job) and the last publication (the audit log).
    pub async fn dataset_state(&self) -> Result<DatasetState, DbError> {
        let assembled_at: Option<i64> = sqlx::query(
            "SELECT MAX(finished_at) AS t FROM ppi_jobs WHERE kind = 'assemble' \
             AND status = 'succeeded'",
        )
        .fetch_one(self.pool())
        .await?
        .try_get("t")?;
        let published = sqlx::query(
            "SELECT at, target, detail FROM ppi_audit WHERE action = $1 ORDER BY at DESC LIMIT 1",
        )
        .bind(super::audit::action::PUBLISHED)
        .fetch_optional(self.pool())
        .await?;
        let mut state = DatasetState {
            assembled_at,
            ..DatasetState::default()
        };
        if let Some(r) = published {
            state.published_at = Some(r.try_get("at")?);
            state.repo = r.try_get("target")?;
            let detail: Option<String> = r.try_get("detail")?;
            state.revision = detail.as_deref().and_then(revision_of).map(str::to_owned);
        }
        Ok(state)
    }
}

/// The Hub revision a publication's audit detail names (`…; revision <oid>`).
pub fn revision_of(detail: &str) -> Option<&str> {
    let (_, rev) = detail.rsplit_once("; revision ")?;
    let rev = rev.trim();
    (!rev.is_empty() && rev.chars().all(|c| c.is_ascii_alphanumeric())).then_some(rev)
}

/// The transcript summary `put_media` keeps beside the transcript: its main language and
/// how many speakers it found.
pub(crate) fn transcript_summary(transcript: &str) -> (Option<String>, Option<i64>) {
    let v: serde_json::Value = serde_json::from_str(transcript).unwrap_or_default();
    let language = v["language"]
        .as_str()
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    let speakers = v["speakers"].as_array().map(|s| s.len() as i64);
    (language, speakers)
}

/// The gate's κ (or whichever measure the gate uses) from an agreement report.
pub(crate) fn gate_value(report: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(report).ok()?;
    v["gate"]["value"].as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> BoardRow {
        BoardRow {
            id: "l".into(),
            title: "t".into(),
            owner: "o".into(),
            owner_id: "o".into(),
            status: "ready".into(),
            error: None,
            uploaded_at: 0,
            task_id: None,
            project: None,
            transcribed: false,
            language: None,
            speakers: None,
            annotations: 0,
            planned: None,
            kappa: None,
            passed: None,
            approved: 0,
            rejected: 0,
            pending: 0,
            decided_at: None,
        }
    }

    #[test]
    fn stages_follow_the_pipeline() {
        let mut r = row();
        assert_eq!(r.stage(None, None), "uploaded");
        r.transcribed = true;
        assert_eq!(r.stage(None, None), "transcribed");
        r.task_id = Some(7);
        assert_eq!(r.stage(None, None), "in-ls");
        r.annotations = 2;
        r.planned = Some(3);
        assert_eq!(r.stage(None, None), "in-ls");
        r.annotations = 3;
        assert_eq!(r.stage(None, None), "annotated");
        r.passed = Some(true);
        assert_eq!(r.stage(None, None), "agreed");
        r.approved = 2;
        r.pending = 1;
        r.decided_at = Some(100);
        assert_eq!(r.stage(Some(200), Some(300)), "agreed");
        r.pending = 0;
        assert_eq!(r.stage(Some(50), None), "reviewed");
        // Published before the last decision: in the dataset, not yet on the Hub.
        assert_eq!(r.stage(Some(200), Some(50)), "in-dataset");
        assert_eq!(r.stage(Some(200), Some(300)), "published");
    }

    #[test]
    fn summaries_read_what_they_can() {
        assert_eq!(
            transcript_summary(r#"{"language":"ru","speakers":[{},{}]}"#),
            (Some("ru".into()), Some(2))
        );
        assert_eq!(transcript_summary("not json"), (None, None));
        assert_eq!(gate_value(r#"{"gate":{"value":0.71}}"#), Some(0.71));
        assert_eq!(gate_value(r#"{"gate":{"value":null}}"#), None);
        assert_eq!(
            revision_of("3 file(s) changed, 0 unchanged, 0 deleted, 1 commit(s); revision ab12"),
            Some("ab12")
        );
        assert_eq!(revision_of("0 file(s) changed"), None);
    }
}
