//! The command line. Each subcommand parses its flags, applies them over the layered
//! configuration and calls the same use-case function the service uses.

/// A line of a command's report on stdout (`println!` without its panic): see [`write_out`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// A command's report on stdout (`print!` without its panic): see [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}

/// A line for the person at the terminal on stderr (`eprintln!` without its panic on a closed
/// stderr): see [`write_err`].
macro_rules! errln {
    () => {
        $crate::cli::write_err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Text on stderr without a newline (a prompt): see [`write_err`].
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::cli::write_err(format_args!($($arg)*))
    };
}

mod activity;
mod agreement;
mod asr;
mod dataset;
mod draft;
mod hub;
mod learn;
mod ls;
mod mcp;
mod prepare_prompt;
mod progress;
mod publish;
mod service;
mod speakers;
mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::telemetry::{self, LogFormat};
use ppi_core::config;
use ppi_core::error::{Coded, ErrorKind};
use ppi_server::config::Settings;

pub use prepare_prompt::{prompt_removals, PromptOptions};
pub use progress::BarProgress;

/// PPI: classroom video → research-grade multimodal datasets through Label Studio.
#[derive(Debug, Parser)]
#[command(name = "ppi", version, about, max_term_width = 100)]
pub struct Cli {
    /// Settings file (TOML); default `./ppi.toml` when present, or `PPI_CONFIG`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bars or chatter; warnings and errors are still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// More logging (-v info, -vv debug).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, review and publish datasets (the old main.py, prepare_dataset.py, upload_to_hf.py).
    #[command(subcommand)]
    Dataset(Box<dataset::DatasetCommand>),
    /// Transcribe a lesson (video or audio) with Whisper: text, JSON or WebVTT.
    Transcribe(asr::TranscribeArgs),
    /// Who speaks when: speaker turns, teacher and student talk shares (text, JSON or RTTM).
    Speakers(speakers::SpeakersCmd),
    /// Models: list Whisper's and the speaker models with their state, fetch Whisper models
    /// from the Hub, show which file is used.
    #[command(subcommand)]
    Models(asr::ModelsCommand),
    /// Run the HTTP API, web UI and an embedded job worker (embedded defaults: SQLite, local folder).
    Serve(service::ServeArgs),
    /// Run job workers only (many of them share a Postgres queue and S3 storage).
    Worker,
    /// Manage users (roles admin and DL-user).
    #[command(subcommand)]
    Users(service::UsersCommand),
    /// Label Studio: generate label configs, wire projects/ML backend/webhooks, pre-annotate.
    #[command(subcommand)]
    Ls(ls::LsCommand),
    /// Agreement between the annotators of each task of a Label Studio export (κ, α, IoU
    /// matching, segments) and their gated consensus, as text, CSV or JSON.
    Agreement(agreement::AgreementArgs),
    /// What happens in a transcribed lesson: the teacher's questions (open or closed), wait
    /// times after them and after the answers, and the activity of each 2-minute bin.
    Activity(activity::ActivityArgs),
    /// The pre-annotation PPI would draft for a transcript (`ppi transcribe --format json`):
    /// its regions by activity (or by sentence), suggested patterns, cues and evidence.
    Draft(draft::DraftArgs),
    /// Watch folders, mounts or S3 prefixes for lessons (video + Label Studio export) and build
    /// each into the dataset once it has settled, again only when its files change.
    Watch(watch::WatchArgs),
    /// The Hugging Face Hub: which lessons a dataset holds, by the hash of their videos.
    #[command(subcommand)]
    Hub(hub::HubCommand),
    /// The MCP server on stdio, acting as the user of --token / PPI_TOKEN.
    Mcp(mcp::McpArgs),
    /// Fit the key-frame weights and the pattern suggester on the reviewers' decisions; each
    /// is deployed only when it beats the rules on held-out examples.
    Learn(learn::LearnArgs),
    /// The audit log, newest first: logins, users, tokens, Label Studio wiring, publications.
    Audit(service::AuditArgs),
    /// Show what a video file contains (JSON).
    Probe {
        /// The video.
        file: PathBuf,
    },
}

/// A failure as the CLI reports it: a stable code, a message, and an exit status.
#[derive(Debug)]
pub struct Failure {
    pub code: &'static str,
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    /// Bad input, named by `code` (the CLI exits 2).
    pub fn input(code: &'static str, message: String) -> Self {
        Failure {
            code,
            kind: ErrorKind::Input,
            message,
        }
    }
}

impl<E: Coded + std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: e.code(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Who acts, in the audit log, when a command changes the service from this machine:
/// `cli:<the OS user>`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self").map_or("unknown".into(), |m| format!("uid {}", m.uid()))
        });
    format!("cli:{user}")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Worker);
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) if cli.log_format == LogFormat::Json || long_running => "info",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    telemetry::init(cli.log_format, level);
    config::load_dotenv()?;
    let settings = Settings::load(cli.config.as_deref(), &config::ProcessEnv)?;
    let ui = Ui {
        quiet: cli.quiet || cli.log_format == LogFormat::Json,
    };
    let done = match cli.command {
        Command::Dataset(cmd) => dataset::run(*cmd, &settings, &ui),
        Command::Transcribe(args) => asr::run_transcribe(args, &settings, &ui),
        Command::Speakers(args) => speakers::run(args, &ui),
        Command::Serve(args) => service::run_serve(args, settings, &ui),
        Command::Worker => service::run_worker(settings, &ui),
        Command::Users(cmd) => service::run_users(cmd, settings, &ui),
        Command::Models(cmd) => asr::run_models(cmd, &settings, &ui),
        Command::Ls(cmd) => ls::run(cmd, settings, &ui),
        Command::Agreement(args) => agreement::run(args, &settings),
        Command::Draft(args) => draft::run(args, &settings),
        Command::Activity(args) => activity::run(args),
        Command::Watch(args) => watch::run(args, &settings, &ui),
        Command::Hub(cmd) => hub::run(cmd, &settings, &ui),
        Command::Mcp(args) => mcp::run(args, settings),
        Command::Learn(args) => learn::run(args, settings, &ui),
        Command::Audit(args) => service::run_audit(args, settings),
        Command::Probe { file } => {
            let probe = ppi_media::probe(&file)?;
            outln!(
                "{}",
                serde_json::to_string_pretty(&probe).unwrap_or_default()
            );
            Ok(())
        }
    };
    done.and_then(|()| report_written())
}

/// A Tokio runtime for commands that do network work.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: "internal",
            kind: ErrorKind::Internal,
            message: format!("cannot start the async runtime: {e}"),
        })
}

/// How the CLI talks to the person at the terminal.
pub struct Ui {
    /// Progress bars and chatter off.
    pub quiet: bool,
}

impl Ui {
    pub fn progress(&self) -> BarProgress {
        BarProgress::new(!self.quiet)
    }
}

/// The first error writing the report to stdout, other than a reader that went away.
static STDOUT_ERROR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Writes to stdout. A reader that went away (`ppi learn | head -1`) is not a failure of the
/// command: it still finishes its work (a fitted model is still saved), and the rest of the
/// report is dropped instead of panicking as `println!` does. Any other write error (a full
/// disk) is kept, and the command fails with it once its work is done: see [`report_written`].
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_ERROR.set(e.to_string());
        }
    }
}

/// `Err` when part of the report could not be written (other than to a reader that left).
fn report_written() -> Result<(), Failure> {
    match STDOUT_ERROR.get() {
        None => Ok(()),
        Some(e) => Err(Failure {
            code: "io-error",
            kind: ErrorKind::Internal,
            message: format!("cannot write the report to stdout: {e}"),
        }),
    }
}

/// Writes to stderr. A closed stderr (`ppi ... 2>&-`, a supervisor that went away) leaves the
/// message unwritten; the command's work and exit code are unchanged, where `eprintln!` panics.
pub fn write_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args).and_then(|()| stderr.flush());
}
