//! API tokens: long-lived bearer tokens for service accounts (MCP clients, scripts), stored
//! as SHA-256 hashes only, each tied to a user whose current role applies.

use super::users::User;
use super::{now_ms, Db, DbError};

/// A token's record, without its secret.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    #[sqlx(rename = "username")]
    pub user: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl Db {
    pub async fn insert_api_token(
        &self,
        id: &str,
        hash: &str,
        user_id: &str,
        label: &str,
        expires_at: Option<i64>,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_api_tokens (id, token_hash, user_id, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(hash)
        .bind(user_id)
        .bind(label)
        .bind(now_ms())
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The user a token hash belongs to, when the token has not expired.
    pub async fn api_token_user(&self, hash: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(
            "SELECT u.* FROM ppi_api_tokens t JOIN ppi_users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(super::users::user).transpose()
    }

    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>, DbError> {
        Ok(sqlx::query_as(
            "SELECT t.id, u.username, t.label, t.created_at, t.expires_at FROM ppi_api_tokens t \
             JOIN ppi_users u ON u.id = t.user_id ORDER BY t.created_at",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes a token; `false` when there was none.
    pub async fn delete_api_token(&self, id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM ppi_api_tokens WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
