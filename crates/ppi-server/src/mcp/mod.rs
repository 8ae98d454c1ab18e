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
