//! The apalis queue: SQLite in the data dir by default, Postgres when the database URL says so.

use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;

use super::JobMsg;
use crate::db::{DbError, DbKind};

/// A handle for pushing jobs. Cheap to clone.
#[derive(Clone)]
pub enum Queue {
    Sqlite(SqliteStorage<JobMsg>),
    Postgres(PostgresStorage<JobMsg>),
}

impl Queue {
    /// Connects to the queue tables in the database at `url` (creating them).
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        match DbKind::of(url).ok_or(DbError::BadUrl)? {
            DbKind::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(
                        url.parse::<sqlx::sqlite::SqliteConnectOptions>()?
                            .create_if_missing(true)
                            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                            .busy_timeout(Duration::from_secs(10)),
                    )
                    .await?;
                SqliteStorage::setup(&pool)
                    .await
                    .map_err(|e| DbError::Conflict(format!("queue setup: {e}")))?;
                Ok(Queue::Sqlite(SqliteStorage::new(&pool)))
            }
            DbKind::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(10)
                    .connect(url)
                    .await?;
                PostgresStorage::setup(&pool)
                    .await
                    .map_err(|e| DbError::Conflict(format!("queue setup: {e}")))?;
                Ok(Queue::Postgres(PostgresStorage::new(&pool)))
            }
        }
    }

    /// Queues a job record for execution. The idempotency key makes a second push of the same
    /// logical job a no-op.
    pub async fn push(&self, job_id: &str, key: &str, max_attempts: usize) -> Result<(), DbError> {
        let task = TaskBuilder::new(JobMsg {
            job_id: job_id.to_owned(),
        })
        .idempotency_key(key)
        .max_attempts(max_attempts.max(1))
        .build();
        let result = match self.clone() {
            Queue::Sqlite(mut s) => s.push_task(task).await.map_err(|e| e.to_string()),
            Queue::Postgres(mut s) => s.push_task(task).await.map_err(|e| e.to_string()),
        };
        result.map_err(|e| DbError::Conflict(format!("queue push: {e}")))
    }
}
