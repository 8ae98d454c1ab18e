//! Durable jobs. apalis queues and delivers them (SQLite embedded, Postgres for many workers;
//! the same job code runs on both); PPI's own job records carry what the API shows: status,
//! typed progress stages with percent and ETA, attempts, errors, and a cancel flag.
//!
//! A job is keyed (idempotency key), so one logical job runs once however often it is asked
//! for. Its payload is typed ([`payload::Job`]), decoded once by the runner and matched. Long
//! FFmpeg and Whisper work runs on blocking threads, so the async runtime (and apalis's
//! heartbeats) keep flowing.
//!
//! The machinery: [`context`], [`runner`], [`queue`], [`wake`], [`progress`], [`scratch`],
//! [`stage`], [`telemetry`]. One file per job kind, in the order data flows:
//! [`extract_audio`] → [`transcribe`] / [`preannotate`] / [`ls_import`] (with [`prediction`]
//! and [`fetch`]) → [`annotation`] → [`agreement`] (with [`review_target`] and
//! [`consensus_prediction`]) → [`extract`] →
//! [`review_decision`] → [`assemble`] (with [`lesson_analytics`]) → [`learn`]; and the
//! offline builder's [`dataset_build`] and [`dataset_publish`].

pub mod agreement;
pub mod annotation;
pub mod assemble;
pub mod consensus_prediction;
pub mod context;
pub mod dataset_build;
pub mod dataset_publish;
pub mod enrol;
pub mod error;
pub mod extract;
pub mod extract_audio;
pub mod fetch;
pub mod kind;
pub mod learn;
pub mod lesson_analytics;
pub mod ls_import;
pub mod machine;
pub mod payload;
pub mod preannotate;
pub mod prediction;
pub mod progress;
pub mod queue;
pub mod retry;
pub mod review_decision;
pub mod review_target;
pub mod runner;
pub mod scratch;
pub mod settings;
pub mod stage;
pub mod telemetry;
pub mod transcribe;
pub mod wake;

pub use context::JobContext;
pub use error::JobError;
pub use kind::JobKind;
pub use payload::Job;
pub use queue::{JobMsg, Queue};
pub use settings::JobSettings;
