//! `[watch]` settings: sources, where lessons go, how long a lesson must stay unchanged, and
//! how files pair up.

use std::path::PathBuf;
use std::time::Duration;

use ppi_core::config::{var, EnvVar, Kind};

use super::Pairing;

/// When to poll instead of waiting for file-system events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PollMode {
    /// Poll network mounts (NFS, SMB/CIFS, FUSE), where events do not arrive; events elsewhere.
    #[default]
    Auto,
    /// Always poll.
    Always,
    /// Never poll (events and the periodic rescan only).
    Never,
}

/// The storage watcher.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Folders, mounts or `s3://bucket/prefix` addresses.
    pub sources: Vec<String>,
    /// Dataset folder the lessons are built into; `[dataset] path` when unset.
    pub out: Option<PathBuf>,
    /// Patterns sheet for folders without their own `patterns.xlsx`.
    pub patterns: Option<PathBuf>,
    /// A lesson is processed once its files have not changed for this long.
    pub settle_secs: f64,
    /// Full rescan interval, for changes no event announced.
    pub rescan_secs: f64,
    pub poll: PollMode,
    /// Polling interval for polled folders.
    pub poll_interval_secs: f64,
    /// Publish to the Hub after each build (`[hub]` settings); lessons already published,
    /// under any name, are skipped.
    pub publish: bool,
    /// State file; `<out>/.ppi/watch.json` when unset (`ppi serve`: `<data dir>/watch/state.json`).
    pub state: Option<PathBuf>,
    /// `ppi serve` only: the user whose jobs and dataset the watched lessons become.
    pub owner: Option<String>,
    /// Video file extensions.
    pub video_extensions: Vec<String>,
    /// The export's name beside `{stem}.<video ext>`.
    pub export_pattern: String,
    /// A folder's own patterns sheet.
    pub sheet_names: Vec<String>,
}

impl Default for WatchSettings {
    fn default() -> Self {
        let p = Pairing::default();
        WatchSettings {
            sources: Vec::new(),
            out: None,
            patterns: None,
            settle_secs: 5.0,
            rescan_secs: 60.0,
            poll: PollMode::Auto,
            poll_interval_secs: 2.0,
            publish: false,
            state: None,
            owner: None,
            video_extensions: p.video_extensions,
            export_pattern: p.export_pattern,
            sheet_names: p.sheet_names,
        }
    }
}

fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0)).unwrap_or(Duration::from_secs(3600))
}

impl WatchSettings {
    pub fn pairing(&self) -> Pairing {
        Pairing {
            video_extensions: self.video_extensions.clone(),
            export_pattern: self.export_pattern.clone(),
            sheet_names: self.sheet_names.clone(),
        }
    }

    pub fn settle(&self) -> Duration {
        secs(self.settle_secs)
    }

    pub fn rescan(&self) -> Duration {
        secs(self.rescan_secs).max(Duration::from_millis(100))
    }

    pub fn poll_interval(&self) -> Duration {
        secs(self.poll_interval_secs).max(Duration::from_millis(100))
    }

    /// Checks what serde cannot: a pattern with `{stem}`, positive times.
    pub fn validate(&self) -> Result<(), String> {
        if !self.export_pattern.contains("{stem}") {
            return Err(format!(
                "watch.export_pattern {:?} must contain {{stem}}",
                self.export_pattern
            ));
        }
        for (name, v) in [
            ("settle_secs", self.settle_secs),
            ("rescan_secs", self.rescan_secs),
            ("poll_interval_secs", self.poll_interval_secs),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("watch.{name} must be a number of seconds ≥ 0"));
            }
        }
        Ok(())
    }
}

/// The environment variables of `[watch]` (`PPI_WATCH_SOURCES` is comma-separated).
pub const ENV: &[EnvVar] = &[
    var("PPI_WATCH_SOURCES", "sources", Kind::List),
    var("PPI_WATCH_OWNER", "owner", Kind::Text),
    var("PPI_WATCH_SETTLE_SECS", "settle_secs", Kind::Number),
];
