//! Label Studio's webhook deliveries as PPI received them: the last one per project, with its
//! action and outcome (what the wiring page shows), and the events the reconcile loop found
//! after it (deliveries that never arrived).

use sqlx::Row;

use super::{now_ms, Db, DbError};

/// A delivery was read and its events queued (or found already queued).
pub const OUTCOME_OK: &str = "ok";

/// The last delivery for one project.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Delivery {
    pub project: i64,
    pub action: String,
    pub received_at: i64,
    /// [`OUTCOME_OK`], `unauthorized`, `unreadable` or `failed`.
    pub outcome: String,
    pub detail: Option<String>,
}

impl Db {
    /// Records a delivery for `project` as its last one.
    pub async fn record_delivery(
        &self,
        project: i64,
        action: &str,
        outcome: &str,
        detail: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_webhook_deliveries (project, action, received_at, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project) DO UPDATE SET \
             action = excluded.action, received_at = excluded.received_at, \
             outcome = excluded.outcome, detail = excluded.detail",
        )
        .bind(project)
        .bind(action)
        .bind(now_ms())
        .bind(outcome)
        .bind(detail)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The last delivery of every project that had one.
    pub async fn deliveries(&self) -> Result<Vec<Delivery>, DbError> {
        let rows = sqlx::query(
            "SELECT project, action, received_at, outcome, detail FROM ppi_webhook_deliveries \
             ORDER BY project",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    project: r.try_get("project")?,
                    action: r.try_get("action")?,
                    received_at: r.try_get("received_at")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// How many events of `project` the reconcile loop recorded after `since` (ms): changes
    /// whose webhook delivery never arrived.
    pub async fn reconciled_since(&self, project: i64, since: i64) -> Result<i64, DbError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM ppi_ls_events WHERE project = $1 AND source = 'reconcile' \
             AND received_at > $2",
        )
        .bind(project)
        .bind(since)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        Ok(n)
    }
}
