//! User accounts and sessions: the use cases behind `ppi users …` and the auth and user routes.

use crate::auth::password::{self, PasswordError};
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::Tokens;
use crate::db::users::User;
use crate::db::{now_ms, Db, DbError};
use ppi_core::domain::entity::InvalidUsername;
use ppi_core::domain::{Role, Username};
use ppi_core::error::{Coded, ErrorKind};

/// Account errors.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Name(#[from] InvalidUsername),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("unknown role {0:?}: use admin or DL-user")]
    Role(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("the refresh token is invalid, expired or already used; log in again")]
    BadRefresh,
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Random(#[from] ppi_core::secret::NoRandomness),
}

impl Coded for AccountError {
    fn code(&self) -> &'static str {
        match self {
            AccountError::Name(_) => "invalid-username",
            AccountError::Password(PasswordError::TooShort) => "password-too-short",
            AccountError::Password(_) => "internal",
            AccountError::Role(_) => "invalid-role",
            AccountError::BadCredentials => "auth-failed",
            AccountError::BadRefresh => "auth-refresh-invalid",
            AccountError::NoSuchUser(_) => "user-not-found",
            AccountError::Db(e) => e.code(),
            AccountError::Random(e) => e.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AccountError::Db(e) => e.kind(),
            AccountError::Random(_) => ErrorKind::Internal,
            AccountError::Password(PasswordError::Hash(_)) => ErrorKind::Internal,
            AccountError::NoSuchUser(_) => ErrorKind::NotFound,
            _ => ErrorKind::Input,
        }
    }
}

/// Creates an API token for `name` (shown once; only its hash is kept), valid `days` or for ever.
pub async fn create_api_token(
    db: &Db,
    name: &str,
    label: &str,
    days: Option<u32>,
) -> Result<(String, String), AccountError> {
    let name = Username::parse(name)?;
    let user = db
        .user_by_name(&name)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(name.to_string()))?;
    let (token, hash) = crate::auth::tokens::new_api_token()?;
    let id = ppi_core::domain::EntityId::new().to_string();
    let expires = days.map(|d| crate::db::now_ms() + i64::from(d) * 86_400_000);
    db.insert_api_token(&id, &hash, &user.id, label, expires)
        .await?;
    Ok((id, token))
}

/// Argon2 takes tens of milliseconds by design: keep it off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Adds a user.
pub async fn add_user(db: &Db, name: &str, role: &str, pass: &str) -> Result<User, AccountError> {
    let name = Username::parse(name)?;
    let role = Role::parse(role).ok_or_else(|| AccountError::Role(role.to_owned()))?;
    let pass = pass.to_owned();
    let hash = blocking(move || password::hash(&pass)).await?;
    Ok(db.create_user(&name, role, &hash).await?)
}

pub async fn remove_user(db: &Db, name: &str) -> Result<(), AccountError> {
    let name = Username::parse(name)?;
    if db.delete_user(&name).await? {
        Ok(())
    } else {
        Err(AccountError::NoSuchUser(name.to_string()))
    }
}

pub async fn set_password(db: &Db, name: &str, pass: &str) -> Result<(), AccountError> {
    let name = Username::parse(name)?;
    let pass = pass.to_owned();
    let hash = blocking(move || password::hash(&pass)).await?;
    if db.set_password(&name, &hash).await? {
        Ok(())
    } else {
        Err(AccountError::NoSuchUser(name.to_string()))
    }
}

/// Tokens handed out at login and refresh.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: SessionUser,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionUser {
    pub id: String,
    pub username: String,
    pub role: Role,
}

async fn session(
    db: &Db,
    tokens: &Tokens,
    user: &User,
    refresh_ttl_secs: u64,
) -> Result<Session, AccountError> {
    let access = tokens
        .issue(&user.id, &user.username, user.role)
        .map_err(|_| AccountError::BadCredentials)?;
    let (refresh, refresh_hash) = new_refresh_token()?;
    db.store_refresh_token(
        &refresh_hash,
        &user.id,
        now_ms() + (refresh_ttl_secs as i64) * 1000,
    )
    .await?;
    Ok(Session {
        access_token: access,
        token_type: "Bearer",
        expires_in: tokens.access_ttl(),
        refresh_token: refresh,
        user: SessionUser {
            id: user.id.clone(),
            username: user.username.clone(),
            role: user.role,
        },
    })
}

/// Checks a password and opens a session. Unknown names cost the same time as wrong passwords.
pub async fn login(
    db: &Db,
    tokens: &Tokens,
    name: &str,
    pass: &str,
    refresh_ttl_secs: u64,
) -> Result<Session, AccountError> {
    let user = match Username::parse(name) {
        Ok(n) => db.user_by_name(&n).await?,
        Err(_) => None,
    };
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let pass = pass.to_owned();
    let ok = blocking(move || password::verify(&pass, &stored)).await;
    match user {
        Some(u) if ok => session(db, tokens, &u, refresh_ttl_secs).await,
        _ => Err(AccountError::BadCredentials),
    }
}

/// Trades a refresh token (single use) for a new session.
pub async fn refresh(
    db: &Db,
    tokens: &Tokens,
    refresh_token: &str,
    refresh_ttl_secs: u64,
) -> Result<Session, AccountError> {
    let user_id = db
        .take_refresh_token(&hash_refresh_token(refresh_token))
        .await?
        .ok_or(AccountError::BadRefresh)?;
    let user = db
        .user_by_id(&user_id)
        .await?
        .ok_or(AccountError::BadRefresh)?;
    session(db, tokens, &user, refresh_ttl_secs).await
}
