//! PPI — Pedagogical Pattern Infrastructure.
//!
//! Turns classroom video recordings into research-grade multimodal datasets: lesson video +
//! Label Studio intervals + a patterns sheet in, clips, key frames, audio, transcripts and
//! metadata out.

pub mod accounts;
pub mod agreement;
pub mod analytics;
pub mod app;
pub mod asr;
pub mod atomic;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod db;
pub mod domain;
pub mod error;
pub mod hash;
pub mod hub;
pub mod jobs;
pub mod label_studio;
pub mod learn;
pub mod lessons;
pub mod ls_sync;
pub mod mcp;
pub mod media;
pub mod metrics;
pub mod progress;
pub mod server;
pub mod storage;
pub mod telemetry;
pub mod watch;
