//! The `ppi` command's integration tests, one binary: the CLI, `ppi serve` with real Label
//! Studio, SeaweedFS, Postgres and headless Chromium, the Hub double, and MCP clients.

mod support;

mod activity;
mod agreement;
mod agreement_machine;
mod analytics;
mod api_auth;
mod api_lessons;
mod board;
mod cli_bad_input;
mod cli_dataset;
mod cli_transcribe;
mod corpus;
mod dataset_faults;
mod drafts;
mod hub_publish;
mod job_latency;
mod keyframes;
mod label_studio;
mod languages;
mod learn;
mod ls_agreement;
mod ls_media;
mod ls_speakers;
mod ls_training;
mod ls_wiring;
mod mcp;
mod mcp_jobs;
mod postgres_queue;
mod review_loop;
mod s3_storage;
mod security;
mod serve_script;
mod service_faults;
mod speakers;
mod ui_e2e;
mod watch;
