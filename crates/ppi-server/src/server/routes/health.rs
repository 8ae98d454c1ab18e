//! Liveness, readiness and metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::app::App;

/// Liveness: the process answers. Also what Label Studio's ML health check reads.
pub async fn health() -> Json<serde_json::Value> {
    Json(
        serde_json::json!({"status": "UP", "service": "ppi", "version": env!("CARGO_PKG_VERSION")}),
    )
}

/// Readiness: the database and the object storage answer, and Label Studio's wiring (when
/// `serve` does it) is not failing.
pub async fn ready(State(app): State<Arc<App>>) -> impl IntoResponse {
    let db = app.db.ping().await;
    let storage = app.store.check().await;
    let ok = db.is_ok() && storage.is_ok() && app.ls_wiring.healthy();
    let describe = |r: Result<(), String>| match r {
        Ok(()) => serde_json::json!("ok"),
        Err(e) => serde_json::json!(e),
    };
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "not-ready" },
        "database": describe(db.map_err(|e| e.to_string())),
        "storage": describe(storage.map_err(|e| e.to_string())),
        "storage_backend": app.store.backend(),
        "label_studio": app.ls_wiring.get(),
    });
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

/// Prometheus text format.
pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let jobs = app.db.job_counts().await.unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(&jobs),
    )
}
