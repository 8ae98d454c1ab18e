//! Job records: what the API shows about a job (status, stage, percent, ETA, error) beside the
//! queue entry apalis keeps. The idempotency key is unique, so one logical job has one record.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::types::{Flag, JsonText};
use super::{now_ms, Db, DbError};
use ppi_core::domain::EntityId;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const CANCELED: &str = "canceled";

/// How long a worker's claim on a running job lasts unless renewed (the progress pump renews
/// it every 0.7 s). A dead worker's job is taken over by the next worker it is delivered to.
pub const LEASE_MS: i64 = 6_000;

/// The outcome of [`Db::claim_job`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This worker runs the attempt.
    Started,
    /// Canceled or finished: nothing to run.
    Gone,
    /// Another live worker runs it, under a lease ending at this time (ms).
    Held { until_ms: i64 },
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    #[sqlx(rename = "idem_key")]
    pub idempotency_key: String,
    pub lesson_id: Option<String>,
    #[serde(skip)]
    pub owner_id: Option<String>,
    pub status: String,
    pub stage: Option<String>,
    pub percent: Option<f64>,
    pub eta_seconds: Option<f64>,
    pub attempts: i64,
    #[sqlx(try_from = "i64")]
    pub cancel_requested: Flag,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    #[serde(skip)]
    pub payload: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
    /// What the job made, when it reports something (a dataset build's counts…).
    #[sqlx(try_from = "Option<String>")]
    pub result: JsonText,
}

fn job(r: &AnyRow) -> Result<JobRecord, DbError> {
    Ok(JobRecord::from_row(r)?)
}

impl Db {
    /// Creates the record for `key`, or returns the existing one; `true` when newly created.
    pub async fn upsert_job(
        &self,
        kind: &str,
        key: &str,
        lesson_id: Option<&str>,
        owner_id: Option<&str>,
        payload: &str,
    ) -> Result<(JobRecord, bool), DbError> {
        let id = EntityId::new();
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO ppi_jobs (id, kind, idem_key, lesson_id, owner_id, status, attempts, cancel_requested, payload, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', 0, 0, $6, $7, $7) ON CONFLICT (idem_key) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(kind)
        .bind(key)
        .bind(lesson_id)
        .bind(owner_id)
        .bind(payload)
        .bind(now)
        .execute(self.pool())
        .await?;
        let record = self
            .job_by_key(key)
            .await?
            .ok_or_else(|| DbError::Conflict("job vanished during insert".into()))?;
        Ok((record, done.rows_affected() == 1))
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRecord>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job).transpose()
    }

    /// The records with these ids (in no particular order); one query however many.
    pub async fn jobs(&self, ids: &[&str]) -> Result<Vec<JobRecord>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT * FROM ppi_jobs WHERE id IN ({})", marks.join(", "));
        // Only numbered placeholders are formatted in; the ids themselves are bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(self.pool()).await?.iter().map(job).collect()
    }

    /// The newest jobs, optionally of one owner, kind and status.
    pub async fn list_jobs(
        &self,
        owner: Option<&str>,
        kind: Option<&str>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT * FROM ppi_jobs WHERE ($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR kind = $2) \
             AND ($3 IS NULL OR status = $3) ORDER BY created_at DESC, id DESC LIMIT $4",
        )
        .bind(owner)
        .bind(kind)
        .bind(status)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job).collect()
    }

    pub async fn job_by_key(&self, key: &str) -> Result<Option<JobRecord>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_jobs WHERE idem_key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job).transpose()
    }

    /// A job still waiting in the queue whose idempotency key starts with `prefix` (the
    /// prefix's own range of the unique key index, so it reads a handful of rows).
    pub async fn queued_job_with_prefix(&self, prefix: &str) -> Result<Option<JobRecord>, DbError> {
        let mut end = prefix.to_owned();
        // The first key after every key with this prefix: its last character moved on by one.
        match end.pop() {
            Some(c) => end.push(char::from_u32(c as u32 + 1).unwrap_or(char::MAX)),
            None => return Ok(None),
        }
        let row = sqlx::query(
            "SELECT * FROM ppi_jobs WHERE idem_key >= $1 AND idem_key < $2 AND status = 'queued' \
             AND cancel_requested = 0 LIMIT 1",
        )
        .bind(prefix)
        .bind(end)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job).transpose()
    }

    /// Claims a job for an attempt: marks it running under a lease of [`LEASE_MS`], which the
    /// progress pump renews. A job running under another live lease is [`Claim::Held`]; a
    /// lapsed lease (its worker died) is taken over.
    pub async fn claim_job(&self, id: &str) -> Result<Claim, DbError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE ppi_jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, $1), \
             updated_at = $1, error_code = NULL, error_message = NULL, lease_until = $3 \
             WHERE id = $2 AND cancel_requested = 0 AND (status IN ('queued', 'failed') \
             OR (status = 'running' AND (lease_until IS NULL OR lease_until < $1)))",
        )
        .bind(now)
        .bind(id)
        .bind(now + LEASE_MS)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Claim::Started);
        }
        let row = sqlx::query("SELECT status, lease_until FROM ppi_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) if r.try_get::<String, _>("status")? == RUNNING => Claim::Held {
                until_ms: r.try_get::<Option<i64>, _>("lease_until")?.unwrap_or(now),
            },
            _ => Claim::Gone,
        })
    }

    /// Gives a running job back to the queue (its worker is stopping): no attempt counted as
    /// failed, no lease left, so the next worker to receive it runs it at once.
    pub async fn release_job(&self, id: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE ppi_jobs SET status = 'queued', stage = 'queued again (worker stopped)', \
             lease_until = NULL, updated_at = $1 WHERE id = $2 AND status = 'running'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Reports progress; returns whether cancellation was requested meanwhile.
    pub async fn job_progress(
        &self,
        id: &str,
        stage: &str,
        percent: f64,
        eta: Option<f64>,
    ) -> Result<bool, DbError> {
        // No ETA is a literal NULL, not a bound one: sqlx 0.9's Any driver binds a NULL f64 to
        // Postgres as a `real` (its Real/Double null mapping is swapped), and the statement then
        // cached rejects the next call's 8-byte double ("incorrect binary data format").
        let sql = if eta.is_some() {
            "UPDATE ppi_jobs SET stage = $1, percent = $2, updated_at = $3, lease_until = $4, eta_seconds = $6 \
             WHERE id = $5 RETURNING cancel_requested"
        } else {
            "UPDATE ppi_jobs SET stage = $1, percent = $2, updated_at = $3, lease_until = $4, eta_seconds = NULL \
             WHERE id = $5 RETURNING cancel_requested"
        };
        let mut query = sqlx::query(sql)
            .bind(stage)
            .bind(percent)
            .bind(now_ms())
            .bind(now_ms() + LEASE_MS)
            .bind(id);
        if let Some(eta) = eta {
            query = query.bind(eta);
        }
        let row = query.fetch_optional(self.pool()).await?;
        let cancel: i64 = row
            .map(|r| r.try_get("cancel_requested"))
            .transpose()?
            .unwrap_or(1);
        Ok(cancel != 0)
    }

    /// Keeps what a job made, shown with its status.
    pub async fn set_job_result(
        &self,
        id: &str,
        result: &serde_json::Value,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE ppi_jobs SET result = $1, updated_at = $2 WHERE id = $3")
            .bind(result.to_string())
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records the end of an attempt: succeeded, failed (for good or to be retried), canceled.
    pub async fn finish_job(
        &self,
        id: &str,
        status: &str,
        error: Option<(&str, &str)>,
    ) -> Result<(), DbError> {
        let now = now_ms();
        let finished = (status != QUEUED).then_some(now);
        sqlx::query(
            "UPDATE ppi_jobs SET status = $1, error_code = $2, error_message = $3, finished_at = $4, updated_at = $5, \
             percent = CASE WHEN $1 = 'succeeded' THEN 100.0 ELSE percent END, eta_seconds = NULL, lease_until = NULL \
             WHERE id = $6",
        )
        .bind(status)
        .bind(error.map(|e| e.0))
        .bind(error.map(|e| e.1))
        .bind(finished)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Requests cancellation. A queued job is canceled at once; a running one stops at its next
    /// progress report. Returns the updated record, or `None` when there is no such job.
    pub async fn cancel_job(&self, id: &str) -> Result<Option<JobRecord>, DbError> {
        let now = now_ms();
        sqlx::query("UPDATE ppi_jobs SET cancel_requested = 1, updated_at = $1 WHERE id = $2 AND status IN ('queued', 'running')")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        sqlx::query("UPDATE ppi_jobs SET status = 'canceled', finished_at = $1 WHERE id = $2 AND status = 'queued'")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.job(id).await
    }

    /// Job counts by kind and status, for metrics.
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>, DbError> {
        let rows =
            sqlx::query("SELECT kind, status, COUNT(*) AS n FROM ppi_jobs GROUP BY kind, status")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }
}
