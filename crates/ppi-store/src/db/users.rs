//! Users and their refresh tokens.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{now_ms, Db, DbError};
use ppi_core::domain::{EntityId, Role, Username};

/// A stored user.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    /// An unknown stored role reads as the least privileged one.
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: i64,
}

pub(super) fn user(row: &AnyRow) -> Result<User, DbError> {
    Ok(User::from_row(row)?)
}

impl Db {
    /// Adds a user; a taken name is a conflict.
    pub async fn create_user(
        &self,
        name: &Username,
        role: Role,
        password_hash: &str,
    ) -> Result<User, DbError> {
        let id = EntityId::new();
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO ppi_users (id, username, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name.as_str())
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::Conflict(format!("user {name} already exists")));
        }
        Ok(User {
            id: id.to_string(),
            username: name.to_string(),
            role,
            password_hash: password_hash.to_owned(),
            created_at: now,
        })
    }

    pub async fn user_by_name(&self, name: &Username) -> Result<Option<User>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_users WHERE username = $1")
            .bind(name.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query("SELECT * FROM ppi_users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<User>, DbError> {
        let rows = sqlx::query("SELECT * FROM ppi_users ORDER BY username")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user).collect()
    }

    pub async fn count_users(&self) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM ppi_users")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Removes a user and revokes their refresh tokens. Returns false when there was none.
    pub async fn delete_user(&self, name: &Username) -> Result<bool, DbError> {
        let Some(u) = self.user_by_name(name).await? else {
            return Ok(false);
        };
        sqlx::query("UPDATE ppi_refresh_tokens SET revoked = 1 WHERE user_id = $1")
            .bind(&u.id)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM ppi_api_tokens WHERE user_id = $1")
            .bind(&u.id)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM ppi_users WHERE id = $1")
            .bind(&u.id)
            .execute(self.pool())
            .await?;
        Ok(true)
    }

    /// Sets a password and revokes existing refresh tokens.
    pub async fn set_password(
        &self,
        name: &Username,
        password_hash: &str,
    ) -> Result<bool, DbError> {
        let Some(u) = self.user_by_name(name).await? else {
            return Ok(false);
        };
        sqlx::query("UPDATE ppi_users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&u.id)
            .execute(self.pool())
            .await?;
        sqlx::query("UPDATE ppi_refresh_tokens SET revoked = 1 WHERE user_id = $1")
            .bind(&u.id)
            .execute(self.pool())
            .await?;
        Ok(true)
    }

    pub async fn store_refresh_token(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query("INSERT INTO ppi_refresh_tokens (token_hash, user_id, expires_at, revoked, created_at) VALUES ($1, $2, $3, 0, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Revokes a refresh token and returns its user id if it was valid (unrevoked, unexpired).
    /// Revoking in the same statement makes each refresh token usable once.
    pub async fn take_refresh_token(&self, token_hash: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query(
            "UPDATE ppi_refresh_tokens SET revoked = 1 WHERE token_hash = $1 AND revoked = 0 AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("user_id")).transpose()?)
    }
}
