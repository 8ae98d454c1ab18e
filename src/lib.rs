//! PPI — Pedagogical Pattern Infrastructure: the `ppi` command line.
//!
//! Turns classroom video recordings into research-grade multimodal datasets: lesson video +
//! Label Studio intervals + a patterns sheet in, clips, key frames, audio, transcripts and
//! metadata out. The work lives in the crates under `crates/` (see docs/architecture.md); this
//! crate parses commands and prints what they did.

pub mod cli;
pub mod telemetry;
