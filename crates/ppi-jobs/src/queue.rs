//! The apalis queue: SQLite in the data dir by default, Postgres when the database URL says so.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use tokio::sync::Notify;

use ppi_store::db::{DbError, DbKind};

/// How often a worker tells the queue it is alive. A worker silent for [`MISSED_HEARTBEATS`]
/// of these is dead: its jobs go back to the queue for another worker (apalis's default, 30 s
/// × 2, left an orphaned job waiting a minute).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
pub const MISSED_HEARTBEATS: usize = 3;

/// The queue backend.
#[derive(Clone)]
pub enum Backend {
    Sqlite(SqliteStorage<JobMsg>),
    Postgres(PostgresStorage<JobMsg>),
}

/// Which workers run a job: quick bookkeeping (webhooks, LS tasks, review decisions) has its
/// own workers, so it never waits behind media work (transcription, clips, assembly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Light,
    Heavy,
}

/// A handle for pushing jobs. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    pub heavy: Backend,
    pub light: Backend,
    /// Wakes this process's idle workers when it pushes a job.
    pub wake: Arc<Notify>,
}

/// The queue names: the heavy lane keeps apalis's default for the message type, which is
/// where jobs queued before the lanes existed wait.
fn queue_name(lane: Lane) -> String {
    let base = std::any::type_name::<JobMsg>();
    match lane {
        Lane::Heavy => base.to_owned(),
        Lane::Light => format!("{base}::light"),
    }
}

impl Queue {
    /// Connects to the queue tables in the database at `url` (creating them). A worker takes
    /// at most `batch` jobs at a time off the queue, so that it never holds jobs it cannot
    /// start while other workers are idle.
    pub async fn connect(url: &str, batch: usize) -> Result<Self, DbError> {
        let (heavy, light) = match DbKind::of(url).ok_or(DbError::BadUrl)? {
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
                let lane = |lane: Lane| {
                    let config = apalis_sqlite::Config::default()
                        .queue(queue_name(lane))
                        .heartbeat_interval(HEARTBEAT)
                        .missed_heartbeats(MISSED_HEARTBEATS)
                        .batch_size(batch.max(1));
                    Backend::Sqlite(SqliteStorage::new(&pool).with_config(config))
                };
                (lane(Lane::Heavy), lane(Lane::Light))
            }
            DbKind::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(10)
                    .connect(url)
                    .await?;
                PostgresStorage::setup(&pool)
                    .await
                    .map_err(|e| DbError::Conflict(format!("queue setup: {e}")))?;
                let lane = |lane: Lane| {
                    let config = apalis_postgres::Config::default()
                        .queue(queue_name(lane))
                        .heartbeat_interval(HEARTBEAT)
                        .missed_heartbeats(MISSED_HEARTBEATS)
                        .batch_size(batch.max(1));
                    Backend::Postgres(PostgresStorage::new(&pool).with_config(config))
                };
                (lane(Lane::Heavy), lane(Lane::Light))
            }
        };
        Ok(Queue {
            heavy,
            light,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Queues a job record for execution and wakes this process's workers. The idempotency
    /// key makes a second push of the same logical job a no-op.
    pub async fn push(
        &self,
        lane: Lane,
        job_id: &str,
        key: &str,
        max_attempts: usize,
    ) -> Result<(), DbError> {
        let task = TaskBuilder::new(JobMsg {
            job_id: job_id.to_owned(),
        })
        .idempotency_key(key)
        .max_attempts(max_attempts.max(1))
        .build();
        let backend = match lane {
            Lane::Heavy => &self.heavy,
            Lane::Light => &self.light,
        };
        let result = match backend.clone() {
            Backend::Sqlite(mut s) => s.push_task(task).await.map_err(|e| e.to_string()),
            Backend::Postgres(mut s) => s.push_task(task).await.map_err(|e| e.to_string()),
        };
        result.map_err(|e| DbError::Conflict(format!("queue push: {e}")))?;
        self.wake.notify_waiters();
        Ok(())
    }
}

/// The queue message: the job record's id. Everything else lives in the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobMsg {
    pub job_id: String,
}
