//! Label Studio: exports and results (pure), label configs, result validation, pre-annotation,
//! webhook payloads, and the REST client.

pub mod config;
pub mod export;
pub mod result;
pub mod validate;
