//! Login, refresh, the caller's identity, and user management (admins only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::accounts::{self, Session};

#[derive(serde::Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(
    State(app): State<Arc<App>>,
    Json(b): Json<LoginBody>,
) -> ApiResult<Json<Session>> {
    let s = accounts::login(
        &app.db,
        &app.tokens,
        &b.username,
        &b.password,
        app.settings.server.refresh_token_ttl_secs,
    )
    .await
    .map_err(|e| match e {
        accounts::AccountError::BadCredentials => {
            ApiError::unauthorized("auth-failed", e.to_string())
        }
        other => other.into(),
    })?;
    Ok(Json(s))
}

#[derive(serde::Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(app): State<Arc<App>>,
    Json(b): Json<RefreshBody>,
) -> ApiResult<Json<Session>> {
    let s = accounts::refresh(
        &app.db,
        &app.tokens,
        &b.refresh_token,
        app.settings.server.refresh_token_ttl_secs,
    )
    .await
    .map_err(|e| match e {
        accounts::AccountError::BadRefresh => {
            ApiError::unauthorized("auth-refresh-invalid", e.to_string())
        }
        other => other.into(),
    })?;
    Ok(Json(s))
}

pub async fn me(caller: Caller) -> Json<serde_json::Value> {
    Json(serde_json::json!({"id": caller.id, "username": caller.name, "role": caller.role}))
}

pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require_admin()?;
    let users = app.db.list_users().await?;
    Ok(Json(serde_json::json!({"users": users})))
}

#[derive(serde::Deserialize)]
pub struct CreateBody {
    username: String,
    password: String,
    role: String,
}

pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(b): Json<CreateBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require_admin()?;
    let u = accounts::add_user(&app.db, &b.username, &b.role, &b.password).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!(u))))
}

pub async fn remove(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    accounts::remove_user(&app.db, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
pub struct PasswordBody {
    password: String,
}

/// Admins set anyone's password; a user sets their own.
pub async fn password(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
    Json(b): Json<PasswordBody>,
) -> ApiResult<StatusCode> {
    if !caller.is_admin() && !name.eq_ignore_ascii_case(&caller.name) {
        return Err(ApiError::forbidden(
            "only admins may set other users' passwords",
        ));
    }
    accounts::set_password(&app.db, &name, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
