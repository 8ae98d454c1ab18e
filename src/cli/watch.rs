//! `ppi watch SOURCE…`: the storage watcher feeding the dataset builder. Each lesson (video +
//! Label Studio export, optional patterns sheet per folder) is built into the dataset folder
//! once it has settled, and again only when its files change; the builder reuses every item
//! whose inputs did not change.

use std::path::PathBuf;

use clap::Args;

use super::{dataset::card_settings, Failure, Ui};
use crate::config::Settings;
use crate::dataset::build::{build, BuildRequest};
use crate::label_studio::result::AnnotationChoice;
use crate::progress::Progress;
use crate::watch::{self, Event, Lesson, Outcome, Pipeline, PollMode, Watch};

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
    /// Events as JSON lines on stdout.
    #[arg(long)]
    pub json: bool,
}

struct Builder<'a> {
    settings: &'a Settings,
    out: PathBuf,
    patterns: Option<PathBuf>,
    progress: &'a dyn Progress,
}

impl Pipeline for Builder<'_> {
    fn process(&mut self, lesson: &Lesson) -> Outcome {
        let Some(patterns) = lesson.sheet.clone().or_else(|| self.patterns.clone()) else {
            return Outcome {
                status: "failed",
                detail: "no patterns sheet: put patterns.xlsx beside the lesson or pass --patterns"
                    .into(),
            };
        };
        let s = self.settings;
        let req = BuildRequest {
            video: lesson.video.clone(),
            annotations: lesson.export.clone(),
            patterns,
            out: self.out.clone(),
            mode: s.dataset.mode,
            crop: None,
            jobs: s.jobs(),
            fps: None,
            annotation: AnnotationChoice::Latest,
            task: None,
            from_name: None,
            lesson_id: Some(lesson.id.clone()),
            allow_unknown_labels: false,
            jpeg_quality: s.dataset.jpeg_quality,
            card: card_settings(s, &self.out),
            wait_for_lock: true,
            agreement: s.label_studio.agreement,
            analytics: true,
        };
        match build(&req, self.progress) {
            Ok(r) => Outcome {
                status: "built",
                detail: format!(
                    "{} item(s): {} built, {} reused, {} stale removed",
                    r.items, r.built, r.reused, r.stale_removed
                ),
            },
            Err(e) => Outcome {
                status: "failed",
                detail: e.to_string(),
            },
        }
    }
}

fn print(e: &Event, json: bool) {
    if json {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    match e {
        Event::File { source, change } => {
            let (what, key) = match change {
                watch::Change::New(k) => ("new", k),
                watch::Change::Changed(k) => ("changed", k),
                watch::Change::Removed(k) => ("removed", k),
            };
            println!("{source}: {what} {key}");
        }
        Event::Waiting { .. } => {}
        Event::Lesson {
            source,
            lesson,
            outcome,
            ..
        } => println!(
            "{source}: lesson {lesson}: {} ({})",
            outcome.status, outcome.detail
        ),
        Event::Unavailable { source, detail } => eprintln!("warning: {source}: {detail}"),
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
    let invalid = |message: String| Failure {
        code: "invalid-argument",
        kind: crate::error::ErrorKind::Input,
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
            kind: crate::error::ErrorKind::Input,
            message: format!("{}: --out must be a folder", out.display()),
        });
    }
    let patterns = a.patterns.or(ws.patterns.clone());
    if let Some(p) = patterns.as_ref().filter(|p| !p.is_file()) {
        return Err(Failure {
            code: "file-not-found",
            kind: crate::error::ErrorKind::Input,
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
    let progress = ui.progress();
    let mut pipeline = Builder {
        settings,
        out,
        patterns,
        progress: &progress,
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
