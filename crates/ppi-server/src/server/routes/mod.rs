//! Route table.

mod accounts;
mod analytics;
mod audit;
mod board;
mod files;
mod health;
pub(crate) mod jobs;
pub(crate) mod lessons;
pub(crate) mod ls;
pub mod ml;
mod speakers;
mod ui;
mod wiring;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;

use crate::app::App;

/// The largest body Label Studio sends to the ML endpoints (a bulk webhook, many tasks).
const ML_BODY_LIMIT: usize = 64 << 20;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(super::openapi::document))
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/refresh", post(accounts::refresh))
        .route("/api/me", get(accounts::me))
        .route("/api/users", get(accounts::list).post(accounts::create))
        .route("/api/users/{name}", axum::routing::delete(accounts::remove))
        .route("/api/users/{name}/password", put(accounts::password))
        .route("/api/users/{name}/tokens", post(audit::issue))
        .route("/api/tokens", get(audit::tokens))
        .route("/api/tokens/{id}", axum::routing::delete(audit::revoke))
        .route("/api/audit", get(audit::list))
        .route(
            "/api/lessons",
            get(lessons::list)
                .post(lessons::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/api/lessons/{id}", get(lessons::get))
        .route("/api/lessons/{id}/assemble", post(lessons::assemble))
        .route("/api/lessons/{id}/analytics", get(lessons::analytics))
        .route("/api/lessons/{id}/speakers", get(speakers::get))
        .route("/api/lessons/{id}/teacher", put(speakers::put_teacher))
        .route("/api/uploads", post(lessons::start_upload))
        .route("/api/uploads/{id}/complete", post(lessons::complete_upload))
        .route("/api/board", get(board::board))
        .route("/api/analytics", get(analytics::summary))
        .route("/api/analytics/{file}", get(analytics::file))
        .route("/api/jobs", get(jobs::list))
        .route("/api/jobs/{id}", get(jobs::get))
        .route("/api/jobs/{id}/cancel", post(jobs::cancel))
        .route("/api/jobs/{id}/retry", post(jobs::retry))
        .route("/api/wiring", get(wiring::get))
        .route("/api/wiring/check", post(wiring::check))
        .route(
            "/files/{*key}",
            get(files::get)
                .head(files::get)
                .put(files::put)
                .layer::<_, std::convert::Infallible>(DefaultBodyLimit::disable())
                .layer::<_, std::convert::Infallible>(files::cors()),
        )
        .route("/api/ls/tasks/{id}", get(ls::task))
        .route("/api/ls/annotations", get(ls::annotations))
        .route("/api/ls/agreement", get(ls::agreement))
        .route("/ml", get(ml::health))
        .route("/ml/", get(ml::health))
        .route("/ml/health", get(ml::health))
        .route("/ml/versions", get(ml::versions))
        .route("/ml/setup", post(ml::setup))
        .route("/ml/train", post(ml::train))
        .route(
            "/ml/predict",
            post(ml::predict)
                .layer(DefaultBodyLimit::disable())
                .layer(axum::middleware::from_fn(|r, n| {
                    crate::server::rejections::limit_body(ML_BODY_LIMIT, r, n)
                })),
        )
        .route(
            "/ml/webhook",
            post(ml::webhook)
                .layer(DefaultBodyLimit::disable())
                .layer(axum::middleware::from_fn(|r, n| {
                    crate::server::rejections::limit_body(ML_BODY_LIMIT, r, n)
                })),
        )
        .route("/", get(ui::index))
        .route("/ui/{file}", get(ui::asset))
        .fallback(|uri: axum::http::Uri| async move {
            crate::server::error::ApiError::not_found(
                "route-not-found",
                format!("no route {}", uri.path()),
            )
        })
}
