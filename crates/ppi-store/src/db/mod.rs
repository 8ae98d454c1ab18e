//! The service database: users, refresh tokens, lessons and job records. One schema and one set
//! of queries serve SQLite (embedded default) and Postgres (many workers) through sqlx's `Any`
//! driver: queries use `$N` placeholders, which both accept, and only portable types
//! (BIGINT, TEXT, DOUBLE PRECISION).

pub mod agreement;
pub mod api_tokens;
pub mod audit;
pub mod board;
pub mod corpus;
pub mod jobs;
pub mod lessons;
pub mod ls;
pub mod review;
pub mod types;
pub mod users;
pub mod voices;
pub mod webhooks;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use ppi_core::error::{Coded, ErrorKind};

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(DbKind::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(DbKind::Postgres)
        } else {
            None
        }
    }
}

/// Database errors. Messages never include the URL (it may hold a password).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with sqlite:// or postgres://")]
    BadUrl,
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Conflict(String),
}

impl Coded for DbError {
    fn code(&self) -> &'static str {
        match self {
            DbError::BadUrl => "config-invalid",
            DbError::Sql(_) => "database-error",
            DbError::Conflict(_) => "conflict",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            DbError::BadUrl => ErrorKind::Input,
            DbError::Sql(_) => ErrorKind::External,
            DbError::Conflict(_) => ErrorKind::Input,
        }
    }
}

/// A connection pool and the database's kind.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    kind: DbKind,
}

const SCHEMA: &str = include_str!("schema.sql");

/// Changes to tables that existing databases already have, applied once each, in order
/// (`ppi_migrations` records which). Append only: never edit or reorder an entry.
const MIGRATIONS: &[&str] = &[
    // Job leases: a worker that holds a job renews this while it runs (issue 14).
    "ALTER TABLE ppi_jobs ADD COLUMN lease_until BIGINT",
    // Several annotators per task (issue 9): who saved each annotation, how many a project
    // plans, and what review shows for each task.
    "ALTER TABLE ppi_ls_annotations ADD COLUMN completed_by TEXT",
    "ALTER TABLE ppi_ls_projects ADD COLUMN annotators BIGINT",
    "ALTER TABLE ppi_ls_tasks ADD COLUMN review_target TEXT",
    // What a finished job made (dataset builds and publishes report their figures; issue 12).
    "ALTER TABLE ppi_jobs ADD COLUMN result TEXT",
    // API tokens for service accounts (issue 12): hashes only.
    "CREATE TABLE ppi_api_tokens (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, \
     user_id TEXT NOT NULL, label TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT)",
    // Learning from reviews (issue 10): what each item offered, and the reviewer's frame.
    "ALTER TABLE ppi_review_items ADD COLUMN learning TEXT",
    "ALTER TABLE ppi_review_items ADD COLUMN frame_choice BIGINT",
    // The audit log (issue 30): security events, append-only.
    "CREATE TABLE ppi_audit (id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, \
     action TEXT NOT NULL, target TEXT, address TEXT, detail TEXT)",
    "CREATE INDEX ppi_audit_at ON ppi_audit (at)",
    // Enrolled teacher voices, one per Label Studio project (issue 25).
    "CREATE TABLE ppi_teacher_voices (project BIGINT PRIMARY KEY, voice TEXT NOT NULL, \
     source TEXT NOT NULL, media_key TEXT, updated_at BIGINT NOT NULL)",
    // The pipeline board (issue 29): a transcript's language and speaker count and a task's κ
    // beside the JSON they come from, and the lookups by lesson and task it makes.
    "ALTER TABLE ppi_media ADD COLUMN language TEXT",
    "ALTER TABLE ppi_media ADD COLUMN speakers BIGINT",
    "ALTER TABLE ppi_agreements ADD COLUMN kappa DOUBLE PRECISION",
    "CREATE INDEX ppi_ls_tasks_lesson ON ppi_ls_tasks (lesson_id)",
    "CREATE INDEX ppi_ls_annotations_task ON ppi_ls_annotations (task_id)",
    "CREATE INDEX ppi_review_items_lesson ON ppi_review_items (lesson_id)",
    // Corpus analytics (issue 29): a transcript's roles and question kinds beside it.
    "ALTER TABLE ppi_media ADD COLUMN talk TEXT",
    // The wiring page (issue 29): each project's last webhook delivery and its outcome.
    "CREATE TABLE ppi_webhook_deliveries (project BIGINT PRIMARY KEY, action TEXT NOT NULL, \
     received_at BIGINT NOT NULL, outcome TEXT NOT NULL, detail TEXT)",
];

impl Db {
    /// Connects (creating the SQLite file if needed) and creates the tables.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        static DRIVERS: std::sync::Once = std::sync::Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let kind = DbKind::of(url).ok_or(DbError::BadUrl)?;
        let mut opts =
            AnyPoolOptions::new().max_connections(if kind == DbKind::Sqlite { 4 } else { 10 });
        if kind == DbKind::Sqlite {
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; the busy timeout absorbs short locks.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = opts
            .acquire_timeout(Duration::from_secs(15))
            .connect(url)
            .await?;
        let db = Db { pool, kind };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            self.pool.execute(stmt).await?;
        }
        self.pool
            .execute("CREATE TABLE IF NOT EXISTS ppi_migrations (id BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .await?;
        for (i, stmt) in MIGRATIONS.iter().enumerate() {
            // Claiming the id and changing the table commit together, so two processes
            // starting at once apply each change exactly once.
            let mut tx = self.pool.begin().await?;
            let claimed = sqlx::query(
                "INSERT INTO ppi_migrations (id, applied_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(i as i64)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 1 {
                sqlx::query(sqlx::AssertSqlSafe(*stmt))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let row: AnyRow = sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        let _: i32 = row
            .try_get(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v as i32))?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
