//! The audit log for admins (`GET /api/audit`), and API tokens for service accounts (issue,
//! list, revoke), each change recorded in it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::security::audit;
use crate::security::client::ClientAddr;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::db::audit::{action, AuditQuery};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    action: Option<String>,
    actor: Option<String>,
    /// Milliseconds since the Unix epoch.
    since: Option<i64>,
    limit: Option<i64>,
}

/// The newest events first (admins). There is no route that changes or deletes one.
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(f): Query<AuditFilter>,
) -> ApiResult<Json<Value>> {
    caller.require_admin()?;
    let events = app
        .db
        .audit_events(&AuditQuery {
            action: f.action,
            actor: f.actor,
            since: f.since,
            limit: f.limit.unwrap_or(200).clamp(1, 5000),
        })
        .await?;
    Ok(Json(json!({ "events": events })))
}

pub async fn tokens(State(app): State<Arc<App>>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_admin()?;
    Ok(Json(json!({ "tokens": app.db.api_tokens().await? })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    #[serde(default)]
    label: String,
    days: Option<u32>,
}

/// A new API token for a user, shown once (admins).
pub async fn issue(
    State(app): State<Arc<App>>,
    caller: Caller,
    addr: ClientAddr,
    Path(name): Path<String>,
    Json(b): Json<TokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require_admin()?;
    let (id, token) =
        ppi_store::accounts::create_api_token(&app.db, &name, &b.label, b.days).await?;
    let detail = format!("for {name}");
    audit::record(
        &app.db,
        &caller.name,
        action::TOKEN_ISSUED,
        Some(&id),
        addr,
        Some(&detail),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "token": token, "user": name})),
    ))
}

/// Revokes an API token (admins).
pub async fn revoke(
    State(app): State<Arc<App>>,
    caller: Caller,
    addr: ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    if !app.db.delete_api_token(&id).await? {
        return Err(ApiError::not_found(
            "token-not-found",
            format!("no API token {id}"),
        ));
    }
    audit::record(
        &app.db,
        &caller.name,
        action::TOKEN_REVOKED,
        Some(&id),
        addr,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
