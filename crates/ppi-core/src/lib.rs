//! The base every PPI crate stands on: the pure domain (time and frame arithmetic, identifiers,
//! crop boxes), stable error codes, content hashes, atomic file output, progress reporting,
//! the pattern catalog, secrets, configuration layering and the `[server]` settings every
//! process shares. Nothing here knows about Label Studio, the Hub or HTTP.

pub mod atomic;
pub mod catalog;
pub mod config;
pub mod domain;
pub mod error;
pub mod hash;
pub mod progress;
pub mod secret;
pub mod service;
