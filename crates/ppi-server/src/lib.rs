//! The service: the HTTP API and web UI, the Label Studio ML backend and its sync loops, the
//! storage watcher, the MCP server, security (throttling, headers, the audit log), and the
//! settings assembled from every feature's own.

pub mod app;
pub mod config;
pub mod corpus;
pub mod lessons;
pub mod ls_sync;
pub mod mcp;
pub mod metrics;
pub mod security;
pub mod serve;
pub mod server;
pub mod watch;
