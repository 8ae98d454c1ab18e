//! `ppi watch SOURCE…`: the storage watcher feeding the dataset builder. Each lesson (video +
//! Label Studio export, optional patterns sheet per folder) is built into the dataset folder
//! once it has settled, and again only when its files change; the builder reuses every item
//! whose inputs did not change.

use std::path::PathBuf;

use clap::Args;

use super::{Failure, Ui};
use ppi_core::progress::Progress;
use ppi_dataset::build::build;
use ppi_dataset::hub::published::PublishedCache;
use ppi_dataset::hub::{publish, HubClient, PublishOptions};
use ppi_dataset::lesson;
use ppi_server::config::Settings;
use ppi_server::watch::{self, Event, Lesson, Outcome, Pipeline, PollMode, Watch};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Folders, mounts or `s3://bucket/prefix` addresses; `[watch] sources` when none.
    pub sources: Vec<String>,
    /// Dataset folder; `[watch] out`, else `[dataset] path`.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Patterns sheet for folders without their own `patterns.xlsx`.
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// Seconds a lesson's files must stay unchanged before it is processed.
    #[arg(long, value_name = "SECS")]
    pub settle: Option<f64>,
    /// Poll instead of waiting for file-system events.
    #[arg(long, value_enum)]
    pub poll: Option<PollMode>,
    /// Polling interval, seconds.
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<f64>,
    /// Full rescan interval, seconds.
    #[arg(long, value_name = "SECS")]
    pub rescan: Option<f64>,
    /// State file (default `<out>/.ppi/watch.json`).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Process what is there, wait for what is settling, then exit.
    #[arg(long)]
    pub once: bool,
    /// Publish to the Hub after each build (HF_TOKEN, HF_USERNAME/DATASET_NAME or --repo);
    /// a lesson whose video is already published, under any name, is skipped.
    #[arg(long)]
    pub publish: bool,
    /// `owner/name` to publish to.
    #[arg(long)]
    pub repo: Option<String>,
    /// Events as JSON lines on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Where built lessons are published, and what is there already.
struct Hub {
    repo: String,
    client: HubClient,
    private: bool,
    known: PublishedCache,
    rt: tokio::runtime::Runtime,
}

struct Builder<'a> {
    settings: &'a Settings,
    out: PathBuf,
    patterns: Option<PathBuf>,
    progress: &'a dyn Progress,
    hub: Option<Hub>,
}

fn failed(detail: String) -> Outcome {
    Outcome {
        status: "failed",
        detail,
    }
}

impl Builder<'_> {
    /// Another lesson with the same video, in the dataset folder or on the Hub.
    fn duplicate(&mut self, lesson: &Lesson, sha: &str) -> Result<Option<String>, Outcome> {
        if let Some(d) = lesson::local_duplicate(&self.out, &lesson.id, sha)
            .map_err(|e| failed(e.to_string()))?
        {
            return Ok(Some(d));
        }
        let Some(h) = self.hub.as_mut() else {
            return Ok(None);
        };
        let known =
            h.rt.block_on(h.known.get(&h.client, &h.repo))
                .map_err(|e| Outcome {
                    status: "unavailable",
                    detail: e.to_string(),
                })?;
        Ok(lesson::hub_duplicate(known, &h.repo, &lesson.id, sha))
    }

    fn publish(&mut self) -> Result<Option<String>, Outcome> {
        let Some(h) = self.hub.as_mut() else {
            return Ok(None);
        };
        let opts = PublishOptions {
            repo: h.repo.clone(),
            private: h.private,
            message: "Publish lessons found by ppi watch".into(),
        };
        let r =
            h.rt.block_on(publish(&h.client, &self.out, &opts))
                .map_err(|e| Outcome {
                    status: "unavailable",
                    detail: format!("built, but publishing failed: {e}"),
                })?;
        h.known.invalidate();
        Ok(Some(format!(
            "published to {}: {} file(s) sent, {} LFS bytes",
            r.repo, r.changed, r.lfs_bytes
        )))
    }
}

impl Pipeline for Builder<'_> {
    fn process(&mut self, lesson: &Lesson) -> Outcome {
        let sha = match ppi_core::hash::file_sha256(&lesson.video) {
            Ok(s) => s,
            Err(e) => return failed(format!("{}: {e}", lesson.video.display())),
        };
        match self.duplicate(lesson, &sha) {
            Ok(Some(detail)) => {
                return Outcome {
                    status: "skipped",
                    detail,
                }
            }
            Ok(None) => {}
            Err(o) => return o,
        }
        let Some(patterns) = lesson.sheet.clone().or_else(|| self.patterns.clone()) else {
            return Outcome::no_sheet("pass --patterns");
        };
        let files = lesson.files(patterns);
        let req = lesson::request(self.settings.build_settings(), &files, &self.out);
        let built = match build(&req, self.progress) {
            Ok(r) => format!(
                "{} item(s): {} built, {} reused, {} stale removed",
                r.items, r.built, r.reused, r.stale_removed
            ),
            Err(e) => return failed(e.to_string()),
        };
        match self.publish() {
            Ok(None) => Outcome {
                status: "built",
                detail: built,
            },
            Ok(Some(p)) => Outcome {
                status: "published",
                detail: format!("{built}; {p}"),
            },
            Err(o) => o,
        }
    }
}

fn print(e: &Event, json: bool) {
    if json {
        outln!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    match e {
        Event::File { source, change } => {
            let (what, key) = match change {
                watch::Change::New(k) => ("new", k),
                watch::Change::Changed(k) => ("changed", k),
                watch::Change::Removed(k) => ("removed", k),
            };
            outln!("{source}: {what} {key}");
        }
        Event::Waiting { .. } => {}
        Event::Lesson {
            source,
            lesson,
            outcome,
            ..
        } => outln!(
            "{source}: lesson {lesson}: {} ({})",
            outcome.status,
            outcome.detail
        ),
        Event::Unavailable { source, detail } => errln!("warning: {source}: {detail}"),
    }
}

pub fn run(a: WatchArgs, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    let mut ws = settings.watch.clone();
    if !a.sources.is_empty() {
        ws.sources = a.sources;
    }
    if let Some(v) = a.settle {
        ws.settle_secs = v;
    }
    if let Some(v) = a.poll {
        ws.poll = v;
    }
    if let Some(v) = a.poll_interval {
        ws.poll_interval_secs = v;
    }
    if let Some(v) = a.rescan {
        ws.rescan_secs = v;
    }
    ws.publish |= a.publish;
    let invalid = |message: String| Failure {
        code: "invalid-argument",
        kind: ppi_core::error::ErrorKind::Input,
        message,
    };
    ws.validate().map_err(invalid)?;
    if ws.sources.is_empty() {
        return Err(invalid(
            "nothing to watch: name a folder or s3://bucket/prefix, or set [watch] sources".into(),
        ));
    }
    let out = a
        .out
        .or(ws.out.clone())
        .unwrap_or_else(|| settings.dataset.path.clone());
    if out.exists() && !out.is_dir() {
        return Err(Failure {
            code: "out-not-a-folder",
            kind: ppi_core::error::ErrorKind::Input,
            message: format!("{}: --out must be a folder", out.display()),
        });
    }
    let patterns = a.patterns.or(ws.patterns.clone());
    if let Some(p) = patterns.as_ref().filter(|p| !p.is_file()) {
        return Err(Failure {
            code: "file-not-found",
            kind: ppi_core::error::ErrorKind::Input,
            message: format!("{}: no such patterns sheet", p.display()),
        });
    }
    let sources = ws
        .sources
        .iter()
        .map(|s| watch::source::open(s, &settings.storage))
        .collect::<Result<Vec<_>, _>>()?;
    let state_path = a
        .state
        .or(ws.state.clone())
        .unwrap_or_else(|| out.join(".ppi/watch.json"));
    let cache = state_path
        .parent()
        .map(|p| p.join("watch-cache"))
        .unwrap_or_else(|| PathBuf::from("watch-cache"));
    let w = Watch {
        sources,
        state_path,
        cache,
        pairing: ws.pairing(),
        settle: ws.settle(),
        rescan: ws.rescan(),
        poll: ws.poll,
        poll_interval: ws.poll_interval(),
        once: a.once,
    };
    let hub = if ws.publish {
        let (repo, client) = super::hub::target(a.repo, settings)?;
        Some(Hub {
            repo,
            client,
            private: settings.hub.private,
            known: PublishedCache::new(std::time::Duration::from_secs(60)),
            rt: super::runtime()?,
        })
    } else {
        None
    };
    let progress = ui.progress();
    let mut pipeline = Builder {
        settings,
        out,
        patterns,
        progress: &progress,
        hub,
    };
    let json = a.json;
    let quiet = ui.quiet;
    watch::run(w, &mut pipeline, &mut |e| {
        match e {
            Event::Lesson {
                source,
                lesson,
                outcome,
                stable_s,
                seconds,
            } => tracing::info!(
                source = %source,
                lesson = %lesson,
                status = outcome.status,
                stable_s,
                seconds,
                "lesson processed"
            ),
            Event::File { source, change } => {
                tracing::info!(source = %source, change = ?change, "file")
            }
            _ => {}
        }
        if json || !quiet || matches!(e, Event::Unavailable { .. }) {
            print(e, json);
        }
    })?;
    Ok(())
}
