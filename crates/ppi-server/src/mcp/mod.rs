//! The MCP server (official Rust SDK `rmcp`, minor version pinned): PPI's pipeline as tools for
//! LLM clients, over streamable HTTP at `/mcp` on `ppi serve` (behind the same bearer auth as
//! the API) and over stdio (`ppi mcp`, as the user its token names). Every tool applies the
//! REST API's ownership rules: a `DL-user` sees only their own lessons and jobs.

pub mod http;
mod ops;
mod resources;
mod scan;
pub mod settings;
mod tools;

pub use settings::McpSettings;
pub use tools::PpiMcp;

/// Why an MCP session over stdio ended badly.
#[derive(Debug)]
pub enum StdioError {
    /// The session did not start (the client's first messages were not MCP's).
    Start(String),
    /// The session broke off.
    Session(String),
}

/// Serves `server` over this process's standard input and output until the client leaves.
///
/// Here rather than in the `ppi` binary: rmcp's service loop is generic, and the crate that
/// names the transport compiles all of it (see docs/benchmarks.md, "Build").
pub fn serve_stdio(
    server: PpiMcp,
) -> futures_util::future::BoxFuture<'static, Result<(), StdioError>> {
    Box::pin(stdio_session(server))
}

async fn stdio_session(server: PpiMcp) -> Result<(), StdioError> {
    use rmcp::ServiceExt;
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| StdioError::Start(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| StdioError::Session(e.to_string()))?;
    Ok(())
}
