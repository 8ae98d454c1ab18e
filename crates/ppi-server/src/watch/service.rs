//! The watcher inside `ppi serve` (`[watch] sources` with `[watch] owner`): every settled
//! lesson becomes a `dataset-build` job owned by that user, keyed by the lesson's file
//! versions, so a restart, a rescan or a second server queues nothing twice.

use std::path::PathBuf;
use std::sync::Arc;

use super::run::{Lesson, Outcome, Pipeline, Watch};
use super::WatchError;
use crate::config::Settings;
use ppi_core::domain::Username;
use ppi_jobs::payload::{BuildJob, PublishTo};
use ppi_jobs::{Job, JobContext};

/// Where the service watcher keeps its state, downloads and dataset.
pub struct ServicePaths {
    pub state: PathBuf,
    pub cache: PathBuf,
    pub out: PathBuf,
}

/// `[watch] state` or `<data dir>/watch/state.json`; the cache beside it; `[watch] out` or
/// the owner's `watch` dataset.
pub fn paths(settings: &Settings, owner: &Username) -> ServicePaths {
    let w = &settings.watch;
    let dir = settings.server.data_dir.join("watch");
    let state = w.state.clone().unwrap_or_else(|| dir.join("state.json"));
    let cache = state
        .parent()
        .map(|p| p.join("cache"))
        .unwrap_or_else(|| dir.join("cache"));
    let out = w.out.clone().unwrap_or_else(|| {
        ppi_dataset::lesson::owned_root(&settings.server.data_dir, owner).join("watch")
    });
    ServicePaths { state, cache, out }
}

/// Feeds the job queue.
pub struct JobFeed {
    pub jobs: Arc<JobContext>,
    /// The watcher's own settings (`[watch]`).
    pub watch: crate::watch::WatchSettings,
    pub rt: tokio::runtime::Handle,
    pub owner_id: String,
    pub out: PathBuf,
}

impl Pipeline for JobFeed {
    fn process(&mut self, lesson: &Lesson) -> Outcome {
        let s = &self.jobs.settings;
        let Some(patterns) = lesson
            .sheet
            .clone()
            .or_else(|| self.watch.patterns.clone())
            .or_else(|| s.label_studio.patterns.clone())
        else {
            return Outcome::no_sheet("set [watch] patterns");
        };
        let files = lesson.files(patterns);
        let versions: Vec<String> = [&files.video, &files.export, &files.patterns]
            .iter()
            .map(|p| ppi_dataset::lesson::file_version(p))
            .collect();
        let key = format!(
            "watch:{}:{}:{}",
            lesson.source,
            lesson.id,
            ppi_core::hash::sha256_hex(versions.join("|").as_bytes())
        );
        let job = BuildJob {
            lesson: files,
            out: self.out.clone(),
            publish: self
                .watch
                .publish
                .then(|| s.hub.repo_id())
                .flatten()
                .map(|repo| PublishTo { repo }),
        };
        match self.rt.block_on(self.jobs.enqueue(
            &Job::DatasetBuild(job),
            &key,
            None,
            Some(&self.owner_id),
        )) {
            Ok(r) => Outcome {
                status: "queued",
                detail: format!("job {}", r.id),
            },
            Err(e) => Outcome {
                status: "unavailable",
                detail: format!("job not queued: {e}"),
            },
        }
    }
}

/// The watch of `[watch]`, with the service's paths.
pub fn watch(settings: &Settings, p: &ServicePaths) -> Result<Watch, WatchError> {
    let ws = &settings.watch;
    ws.validate().map_err(|detail| WatchError::Source {
        source_name: "[watch]".into(),
        detail,
    })?;
    let sources = ws
        .sources
        .iter()
        .map(|s| super::source::open(s, &settings.storage))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Watch {
        sources,
        state_path: p.state.clone(),
        cache: p.cache.clone(),
        pairing: ws.pairing(),
        settle: ws.settle(),
        rescan: ws.rescan(),
        poll: ws.poll,
        poll_interval: ws.poll_interval(),
        once: false,
    })
}

/// Starts the service watcher on its own thread when `[watch] sources` are set. The owner must
/// name an existing user; a wrong `[watch]` stops the server from starting.
pub fn spawn(
    app: &Arc<crate::app::App>,
) -> futures_util::future::BoxFuture<'_, Result<Option<std::thread::JoinHandle<()>>, WatchError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(spawning(app))
}

async fn spawning(
    app: &Arc<crate::app::App>,
) -> Result<Option<std::thread::JoinHandle<()>>, WatchError> {
    let s = &app.settings;
    if s.watch.sources.is_empty() {
        return Ok(None);
    }
    let bad = |detail: String| WatchError::Source {
        source_name: "[watch] owner".into(),
        detail,
    };
    let name = s.watch.owner.as_deref().ok_or_else(|| {
        bad("set the user whose jobs the watched lessons become (PPI_WATCH_OWNER)".into())
    })?;
    let owner = Username::parse(name).map_err(|e| bad(e.to_string()))?;
    let user = app
        .db
        .user_by_name(&owner)
        .await
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad(format!("no user {name:?}")))?;
    let p = paths(s, &owner);
    let w = watch(s, &p)?;
    let mut feed = JobFeed {
        jobs: app.jobs.clone(),
        watch: s.watch.clone(),
        rt: tokio::runtime::Handle::current(),
        owner_id: user.id,
        out: p.out,
    };
    let thread = std::thread::Builder::new()
        .name("ppi-watch".into())
        .spawn(move || {
            let r = super::run(w, &mut feed, &mut |e| log(e));
            if let Err(e) = r {
                tracing::error!("the storage watcher stopped: {e}");
            }
        })
        .map_err(|e| WatchError::Io {
            path: p.state,
            detail: e.to_string(),
        })?;
    Ok(Some(thread))
}

fn log(e: &super::Event) {
    match e {
        super::Event::File { source, change } => {
            tracing::info!(source = %source, change = ?change, "watched file")
        }
        super::Event::Lesson {
            source,
            lesson,
            outcome,
            stable_s,
            ..
        } => tracing::info!(
            source = %source,
            lesson = %lesson,
            status = outcome.status,
            detail = %outcome.detail,
            stable_s,
            "watched lesson"
        ),
        super::Event::Unavailable { source, detail } => {
            tracing::warn!(source = %source, "watched source unavailable: {detail}")
        }
        super::Event::Waiting { .. } => {}
    }
}
