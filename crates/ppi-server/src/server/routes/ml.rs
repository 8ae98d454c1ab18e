//! The Label Studio ML backend under `/ml` (LS appends `health`, `setup`, `predict`, `webhook`,
//! `train` and `versions` to the backend URL). Basic auth guards every endpoint but
//! `/webhook`: LS's webhook deliveries carry the shared secret header instead, while its "Start
//! Training" (`START_TRAINING`, posted by the ML connection itself) carries the backend's basic
//! auth. Bodies are never logged (`/setup` carries LS's token, webhooks the project's).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use crate::app::App;
use crate::ls_sync::backend;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::auth::constant_time_eq;

/// The header Label Studio sends with PPI's webhooks (set by `ppi ls bootstrap`).
pub const SECRET_HEADER: &str = "x-ppi-webhook-secret";

/// Checks basic auth when `BASIC_AUTH_USER` is set.
fn basic_auth(app: &App, headers: &HeaderMap) -> ApiResult<()> {
    let s = &app.settings.label_studio;
    let Some(user) = &s.basic_auth_user else {
        return Ok(());
    };
    let pass = s.basic_auth_pass.as_ref().map(|p| p.expose()).unwrap_or("");
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    );
    let got = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(got, want.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "ml-unauthorized",
            "the ML backend needs basic auth (BASIC_AUTH_USER / BASIC_AUTH_PASS)",
        ))
    }
}

fn json_body(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("ml-bad-json", format!("the body is not JSON: {e}")))
}

pub async fn health(State(app): State<Arc<App>>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    basic_auth(&app, &headers)?;
    Ok(Json(json!({
        "status": "UP",
        "model_class": "PPI",
        "model_version": crate::ls_sync::model_version(&app.jobs.settings),
    })))
}

pub async fn versions(State(app): State<Arc<App>>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    basic_auth(&app, &headers)?;
    let settings = &app.jobs.settings;
    Ok(Json(json!({
        "versions": crate::ls_sync::model_versions(settings),
        "model_version": crate::ls_sync::model_version(settings),
    })))
}

pub async fn setup(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    basic_auth(&app, &headers)?;
    Ok(Json(backend::setup(&app.jobs, &json_body(&body)?).await?))
}

pub async fn train(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    basic_auth(&app, &headers)?;
    Ok(Json(backend::train(&app.jobs, &json_body(&body)?).await?))
}

pub async fn predict(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    basic_auth(&app, &headers)?;
    Ok(Json(backend::predict(&app.jobs, &json_body(&body)?).await?))
}

/// Webhook deliveries: the secret is checked in constant time, the body parsed, and the answer
/// sent at once; the events are queued after (LS waits on this inside the annotator's save).
pub async fn webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let secret = constant_time_eq(given, &app.webhook_secret);
    let unauthorized = || {
        ApiError::unauthorized(
            "webhook-unauthorized",
            "missing or wrong X-PPI-Webhook-Secret (run `ppi ls bootstrap` to register it)",
        )
        .into_response()
    };
    let value = match json_body(&body) {
        Ok(v) => v,
        Err(_) if !secret => return unauthorized(),
        Err(e) => return e.into_response(),
    };
    let action = value["action"].as_str().unwrap_or("").to_owned();
    // Without the secret, only "Start Training" from the ML connection, under the backend's
    // basic auth (as open as `/predict` when none is configured).
    if !secret && (action != "START_TRAINING" || basic_auth(&app, &headers).is_err()) {
        // Shown on the wiring page: LS delivers, but with a secret PPI does not accept.
        let ctx = app.jobs.clone();
        tokio::spawn(async move {
            let detail = "missing or wrong X-PPI-Webhook-Secret".to_owned();
            backend::record(&ctx, &value, &action, "unauthorized", Some(detail)).await
        });
        return unauthorized();
    }
    let ctx = app.jobs.clone();
    tokio::spawn(async move { backend::deliver(&ctx, value).await });
    (
        StatusCode::OK,
        Json(json!({"status": "accepted", "action": action})),
    )
        .into_response()
}
