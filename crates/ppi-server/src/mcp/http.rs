//! `/mcp` on `ppi serve`: rmcp's streamable HTTP service behind PPI's bearer auth. The caller
//! is checked before the MCP layer sees the request and travels in the request's extensions;
//! `Host` and `Origin` are checked against explicit lists (DNS rebinding).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::PpiMcp;
use crate::app::App;
use crate::server::auth::Caller;

/// Loopback, the public URL's host, and the configured extras.
fn allowed_hosts(app: &App) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    let public = app.settings.public_url();
    if let Ok(u) = reqwest::Url::parse(&public) {
        if let Some(h) = u.host_str() {
            hosts.push(h.trim_matches(['[', ']']).to_owned());
        }
    }
    hosts.extend(app.settings.server.mcp_allowed_hosts.iter().cloned());
    hosts
}

/// Browsers may call `/mcp` only from PPI's own pages and the configured origins.
fn allowed_origins(app: &App) -> Vec<String> {
    let mut origins = vec![app.settings.public_url()];
    origins.extend(app.settings.server.cors_origins.iter().cloned());
    origins
}

async fn authenticate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match Caller::from_request_parts(&mut parts, &app).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

/// A closed session answers 204 No Content. rmcp answers the client's `DELETE` with 202
/// Accepted, which the MCP clients read as a failed close: the official Python client accepts
/// only 200 and 204 (405: closing not allowed) and logs "Session termination failed: 202".
/// The session is already closed when rmcp answers, so nothing is pending and 204 is the truth.
async fn session_closed(req: Request, next: Next) -> Response {
    let delete = req.method() == axum::http::Method::DELETE;
    let response = next.run(req).await;
    if delete && response.status() == axum::http::StatusCode::ACCEPTED {
        let (mut parts, _) = response.into_parts();
        parts.status = axum::http::StatusCode::NO_CONTENT;
        parts.headers.remove(axum::http::header::CONTENT_TYPE);
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    response
}

/// The `/mcp` routes.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts(&app))
        .with_allowed_origins(allowed_origins(&app));
    let for_sessions = app.clone();
    let service = StreamableHttpService::new(
        move || Ok(PpiMcp::new(for_sessions.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn(session_closed))
        .layer(axum::middleware::from_fn_with_state(app, authenticate))
}
