//! Agreement state per Label Studio task: the accepted annotations by annotator, the stored
//! agreement report and consensus, and the task's review target (what review shows now: one
//! annotation, the consensus, or nothing while waiting or flagged).

use sqlx::Row;

use super::{now_ms, Db, DbError};

/// An accepted annotation, as agreement reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AcceptedAnnotation {
    pub annotation_id: i64,
    pub ls_updated_at: String,
    /// Label Studio's `completed_by` (the annotator), when known.
    pub completed_by: Option<String>,
    /// `[{start, end, label, …}]` in LS frames.
    pub intervals: Option<String>,
    pub result: String,
}

/// The stored agreement of a task.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct AgreementRow {
    pub task_id: i64,
    pub project: i64,
    /// The report (JSON).
    pub report: String,
    /// The consensus as LS timeline results (JSON).
    pub consensus: String,
    /// 1 when the gate passed.
    pub passed: i64,
    pub annotators: i64,
    pub updated_at: i64,
}

impl Db {
    /// The task's accepted annotations, the newest per annotator, oldest annotator first.
    pub async fn accepted_annotations(
        &self,
        task_id: i64,
    ) -> Result<Vec<AcceptedAnnotation>, DbError> {
        let rows: Vec<AcceptedAnnotation> = sqlx::query_as(
            "SELECT annotation_id, ls_updated_at, completed_by, intervals, result \
             FROM ppi_ls_annotations WHERE task_id = $1 AND status = 'accepted' \
             ORDER BY annotation_id",
        )
        .bind(task_id)
        .fetch_all(self.pool())
        .await?;
        // An annotator who saved twice (two annotations) counts once, with the newer one.
        let mut out: Vec<AcceptedAnnotation> = Vec::new();
        for r in rows {
            let who = r.completed_by.clone();
            match out
                .iter_mut()
                .find(|o| who.is_some() && o.completed_by == who)
            {
                Some(o)
                    if (&r.ls_updated_at, r.annotation_id)
                        > (&o.ls_updated_at, o.annotation_id) =>
                {
                    *o = r
                }
                Some(_) => {}
                None => out.push(r),
            }
        }
        Ok(out)
    }

    pub async fn put_agreement(&self, a: &AgreementRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_agreements (task_id, project, report, consensus, passed, annotators, updated_at, kappa) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id) DO UPDATE SET \
             project = excluded.project, report = excluded.report, consensus = excluded.consensus, \
             passed = excluded.passed, annotators = excluded.annotators, updated_at = excluded.updated_at, \
             kappa = excluded.kappa",
        )
        .bind(a.task_id)
        .bind(a.project)
        .bind(&a.report)
        .bind(&a.consensus)
        .bind(a.passed)
        .bind(a.annotators)
        .bind(now_ms())
        // What the pipeline board shows, kept beside the report.
        .bind(super::board::gate_value(&a.report))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_agreement(&self, task_id: i64) -> Result<(), DbError> {
        sqlx::query("DELETE FROM ppi_agreements WHERE task_id = $1")
            .bind(task_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn agreement(&self, task_id: i64) -> Result<Option<AgreementRow>, DbError> {
        Ok(
            sqlx::query_as("SELECT * FROM ppi_agreements WHERE task_id = $1")
                .bind(task_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn agreements(&self, project: i64) -> Result<Vec<AgreementRow>, DbError> {
        Ok(
            sqlx::query_as("SELECT * FROM ppi_agreements WHERE project = $1 ORDER BY task_id")
                .bind(project)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// What review should show for a task now (`None`: nothing decided yet).
    pub async fn review_target(&self, task_id: i64) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT review_target FROM ppi_ls_tasks WHERE task_id = $1")
            .bind(task_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("review_target")?,
            None => None,
        })
    }

    pub async fn set_review_target(&self, task_id: i64, target: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_ls_tasks SET review_target = $2, updated_at = $3 WHERE task_id = $1",
        )
        .bind(task_id)
        .bind(target)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Annotators a project plans per task (`ppi ls bootstrap --annotators N`), default 1.
    pub async fn project_annotators(&self, project: i64) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT annotators FROM ppi_ls_projects WHERE id = $1")
            .bind(project)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<i64>, _>("annotators"))
            .transpose()?
            .flatten()
            .unwrap_or(1)
            .max(1))
    }

    pub async fn set_project_annotators(&self, project: i64, n: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE ppi_ls_projects SET annotators = $2, updated_at = $3 WHERE id = $1")
            .bind(project)
            .bind(n)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
