//! The audit log: security events, each with who, when, what and from where. Append-only:
//! nothing in PPI updates or deletes an event, except the retention that drops events older
//! than the configured age.

use super::{now_ms, Db, DbError};

/// Logins (success and failure), accounts, tokens, roles, Label Studio wiring, publications,
/// deleted lessons.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login-failed";
    pub const LOGIN_THROTTLED: &str = "login-throttled";
    pub const REFRESH_FAILED: &str = "refresh-failed";
    pub const TOKEN_REJECTED: &str = "api-token-rejected";
    pub const USER_ADDED: &str = "user-added";
    pub const USER_REMOVED: &str = "user-removed";
    pub const PASSWORD_CHANGED: &str = "password-changed";
    pub const ROLE_CHANGED: &str = "role-changed";
    pub const TOKEN_ISSUED: &str = "api-token-issued";
    pub const TOKEN_REVOKED: &str = "api-token-revoked";
    pub const WIRING_CHANGED: &str = "ls-wiring-changed";
    pub const PUBLISHED: &str = "dataset-published";
    pub const LESSON_DELETED: &str = "lesson-deleted";
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// The user who acted (`cli` for the command line on the server, `system` for PPI itself,
    /// or the name tried at a failed login).
    pub actor: String,
    pub action: String,
    /// What was acted on (a user, a token id, a project, a repository…).
    pub target: Option<String>,
    /// The client's address, for requests.
    pub address: Option<String>,
    /// A short free text (never a secret).
    pub detail: Option<String>,
}

/// An event to record.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub address: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    /// Events at or after this time (ms).
    pub since: Option<i64>,
    pub limit: i64,
}

impl Db {
    /// Appends an event.
    pub async fn audit(&self, e: &NewEvent<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_audit (id, at, actor, action, target, address, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ppi_core::domain::EntityId::new().to_string())
        .bind(now_ms())
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target)
        .bind(e.address)
        .bind(e.detail)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Appends an event; a failure is logged, never the caller's failure (the action it
    /// records has happened).
    pub async fn audit_or_log(&self, e: &NewEvent<'_>) {
        if let Err(err) = self.audit(e).await {
            tracing::error!(
                action = e.action,
                actor = e.actor,
                "audit event not stored: {err}"
            );
        }
    }

    /// Events, newest first.
    pub async fn audit_events(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, DbError> {
        Ok(sqlx::query_as(
            "SELECT * FROM ppi_audit WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor = $2) \
             AND at >= $3 ORDER BY at DESC, id DESC LIMIT $4",
        )
        .bind(q.action.as_deref())
        .bind(q.actor.as_deref())
        .bind(q.since.unwrap_or(0))
        .bind(q.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Drops events older than `before` (ms): the retention. Returns how many.
    pub async fn prune_audit(&self, before: i64) -> Result<u64, DbError> {
        Ok(sqlx::query("DELETE FROM ppi_audit WHERE at < $1")
            .bind(before)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
