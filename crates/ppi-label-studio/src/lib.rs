//! Label Studio: exports and results (pure), label configs, result validation, pre-annotation,
//! webhook payloads, media resolution with the SSRF guard, and the REST client.

pub mod choice;
pub mod client;
pub mod config;
pub mod evidence;
pub mod export;
pub mod media;
pub mod model;
pub mod neutral;
pub mod preannotate;
pub mod result;
pub mod settings;
pub mod validate;
pub mod webhook;
