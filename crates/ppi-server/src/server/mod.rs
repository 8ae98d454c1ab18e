//! The HTTP API: the web UI, signed media URLs, health, readiness, metrics and the OpenAPI
//! document, under one route table ([`routes`]). Handlers are thin: they parse, authorise,
//! call a use case and answer. The router that joins it with `/mcp` is [`crate::serve`].

pub mod auth;
pub mod error;
mod openapi;
pub mod rejections;
pub mod routes;
pub(crate) mod upload;
