//! PPI — Pedagogical Pattern Infrastructure.
//!
//! Turns classroom video recordings into research-grade multimodal datasets: lesson video +
//! Label Studio intervals + a patterns sheet in, clips, key frames, audio, transcripts and
//! metadata out.

pub mod asr;
pub mod atomic;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod domain;
pub mod error;
pub mod hash;
pub mod label_studio;
pub mod media;
pub mod progress;
pub mod telemetry;
