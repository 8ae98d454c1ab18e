//! `ppi serve`'s HTTP service: the router that joins the API ([`crate::server`]) and the MCP
//! server ([`crate::mcp`]), request metrics by route, serving on a bound listener, and
//! stopping on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

use crate::app::App;

/// Builds the router: the API and `/mcp`, behind the JSON error mapping and request metrics.
pub fn router(app: Arc<App>) -> Router {
    crate::server::routes::router()
        .merge(crate::mcp::http::router(app.clone()))
        .layer(axum::middleware::from_fn(
            crate::server::rejections::json_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(app.clone(), observe))
        .layer(axum::middleware::from_fn_with_state(
            app.security_headers.clone(),
            crate::security::headers::apply,
        ))
        .with_state(app)
}

/// Counts and times every request by its route pattern (not its concrete path, which would
/// make one series per lesson id).
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    app.metrics.request(&method, &route, status, seconds);
    tracing::debug!(%method, %route, status, ms = seconds * 1000.0, "request");
    response
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    app: Arc<App>,
}

impl Server {
    /// Serves `app` on an already bound listener.
    pub fn new(app: Arc<App>, listener: tokio::net::TcpListener) -> std::io::Result<Self> {
        Ok(Server {
            addr: listener.local_addr()?,
            listener,
            app,
        })
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    ///
    /// `shutdown` is boxed, not generic: a generic here made every caller (the `ppi` binary)
    /// compile its own copy of the whole axum and hyper server (see docs/benchmarks.md, "Build").
    pub fn run(
        self,
        shutdown: Shutdown,
    ) -> futures_util::future::BoxFuture<'static, std::io::Result<()>> {
        Box::pin(self.serve(shutdown))
    }

    async fn serve(self, shutdown: Shutdown) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let app = router(self.app);
        // Small answers (JSON, the MCP server's SSE events) go out at once instead of waiting
        // for the client's delayed ACK (Nagle): 40 ms per MCP call without it.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY not set: {e}");
            }
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// What tells the server to stop.
pub type Shutdown = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
