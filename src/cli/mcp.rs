//! `ppi mcp`: the MCP server over stdio, for clients that launch it (Claude Desktop, the
//! Inspector). It acts as the user its access token names, with that user's rights.

use std::sync::Arc;

use clap::Args;

use super::Failure;
use ppi_core::error::ErrorKind;
use ppi_server::config::Settings;
use ppi_server::mcp::{PpiMcp, StdioError};
use ppi_server::server::auth::Caller;

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Access token of the user the tools act as (from `POST /api/auth/login`).
    #[arg(long, env = "PPI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Do not run jobs here (a `ppi serve` or `ppi worker` on the same database runs them).
    #[arg(long)]
    pub no_worker: bool,
}

fn failed(code: &'static str, kind: ErrorKind, message: String) -> Failure {
    Failure {
        code,
        kind,
        message,
    }
}

pub fn run(a: McpArgs, settings: Settings) -> Result<(), Failure> {
    let token = a.token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        failed(
            "auth-missing",
            ErrorKind::Input,
            "an access token is required: --token or PPI_TOKEN".into(),
        )
    })?;
    super::runtime()?.block_on(async {
        let app = Arc::new(ppi_server::app::App::open(settings).await?);
        let caller = Caller::from_token(&app, &token)
            .await
            .map_err(|e| failed(e.code, ErrorKind::Input, e.message))?;
        tracing::info!(user = %caller.name, "MCP server on stdio");
        // The jobs the tools queue run here too, unless told otherwise; at the end of the
        // session running ones go back to the queue (they are keyed).
        let stop = tokio_util::sync::CancellationToken::new();
        let worker = (!a.no_worker).then(|| {
            let (ctx, stop) = (app.jobs.clone(), stop.clone());
            tokio::spawn(async move {
                let _ = ppi_jobs::runner::run_workers(
                    ctx,
                    Box::pin(async move {
                        stop.cancelled().await;
                        Ok(())
                    }),
                )
                .await;
            })
        });
        ppi_server::mcp::serve_stdio(PpiMcp::new(app.clone(), Some(caller)))
            .await
            .map_err(|e| match e {
                StdioError::Start(m) => failed("mcp-error", ErrorKind::External, m),
                StdioError::Session(m) => failed("mcp-error", ErrorKind::Internal, m),
            })?;
        app.jobs.stopping.cancel();
        stop.cancel();
        if let Some(w) = worker {
            let _ = tokio::time::timeout(std::time::Duration::from_millis(1500), w).await;
        }
        Ok(())
    })
}
