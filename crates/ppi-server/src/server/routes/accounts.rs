//! Login, refresh, the caller's identity, and user management (admins only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::app::App;
use crate::security::audit;
use crate::security::client::ClientAddr;
use crate::security::throttle::Verdict;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::accounts::{self, Session};
use ppi_store::db::audit::action;

#[derive(serde::Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(
    State(app): State<Arc<App>>,
    addr: ClientAddr,
    Json(b): Json<LoginBody>,
) -> ApiResult<Json<Session>> {
    if let Verdict::Wait(w) = app.throttle.check(Some(&b.username), addr.0) {
        app.metrics.credential("password", "throttled");
        tracing::info!(user = %b.username, client = %addr.0, "login throttled");
        return Err(ApiError::throttled(w));
    }
    let s = accounts::login(
        &app.db,
        &app.tokens,
        &b.username,
        &b.password,
        app.settings.server.refresh_token_ttl_secs,
    )
    .await;
    match s {
        Ok(s) => {
            app.throttle.succeeded(Some(&b.username), addr.0);
            app.metrics.credential("password", "success");
            audit::record(&app.db, &s.user.username, action::LOGIN, None, addr, None).await;
            Ok(Json(s))
        }
        Err(e @ accounts::AccountError::BadCredentials) => {
            app.throttle.failed(Some(&b.username), addr.0);
            app.metrics.credential("password", "failure");
            tracing::info!(user = %b.username, client = %addr.0, "login failed");
            audit::record(&app.db, &b.username, action::LOGIN_FAILED, None, addr, None).await;
            Err(ApiError::unauthorized("auth-failed", e.to_string()))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(app): State<Arc<App>>,
    addr: ClientAddr,
    Json(b): Json<RefreshBody>,
) -> ApiResult<Json<Session>> {
    if let Verdict::Wait(w) = app.throttle.check(None, addr.0) {
        app.metrics.credential("refresh", "throttled");
        return Err(ApiError::throttled(w));
    }
    let s = accounts::refresh(
        &app.db,
        &app.tokens,
        &b.refresh_token,
        app.settings.server.refresh_token_ttl_secs,
    )
    .await;
    match s {
        Ok(s) => {
            app.metrics.credential("refresh", "success");
            Ok(Json(s))
        }
        Err(e @ accounts::AccountError::BadRefresh) => {
            app.throttle.failed(None, addr.0);
            app.metrics.credential("refresh", "failure");
            audit::record(&app.db, "unknown", action::REFRESH_FAILED, None, addr, None).await;
            Err(ApiError::unauthorized(
                "auth-refresh-invalid",
                e.to_string(),
            ))
        }
        Err(other) => Err(other.into()),
    }
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
    addr: ClientAddr,
    Json(b): Json<CreateBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require_admin()?;
    let u = accounts::add_user(&app.db, &b.username, &b.role, &b.password).await?;
    let role = format!("role {}", b.role);
    audit::record(
        &app.db,
        &caller.name,
        action::USER_ADDED,
        Some(&b.username),
        addr,
        Some(&role),
    )
    .await;
    Ok((StatusCode::CREATED, Json(serde_json::json!(u))))
}

pub async fn remove(
    State(app): State<Arc<App>>,
    caller: Caller,
    addr: ClientAddr,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    accounts::remove_user(&app.db, &name).await?;
    audit::record(
        &app.db,
        &caller.name,
        action::USER_REMOVED,
        Some(&name),
        addr,
        None,
    )
    .await;
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
    addr: ClientAddr,
    Path(name): Path<String>,
    Json(b): Json<PasswordBody>,
) -> ApiResult<StatusCode> {
    if !caller.is_admin() && !name.eq_ignore_ascii_case(&caller.name) {
        return Err(ApiError::forbidden(
            "only admins may set other users' passwords",
        ));
    }
    accounts::set_password(&app.db, &name, &b.password).await?;
    audit::record(
        &app.db,
        &caller.name,
        action::PASSWORD_CHANGED,
        Some(&name),
        addr,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
