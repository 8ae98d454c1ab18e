//! The watch loop: list every source, report what changed, and process each complete lesson
//! once its files have been unchanged for the settle time (the "keys unchanged" sensor).
//! File-system events and polling only wake the loop early; the listing decides.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notify_debouncer_mini::notify::{self, RecursiveMode};

use super::source::Source;
use super::state::{diff, Change, Done, State};
use super::{Pair, Pairing, PollMode, WatchError};

/// A lesson ready to process: local paths of its files.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// `<folder>/<stem>` within its source, prefixed by the source's label when several
    /// sources are watched.
    pub id: String,
    pub source: String,
    pub video: PathBuf,
    pub export: PathBuf,
    pub sheet: Option<PathBuf>,
}

impl Lesson {
    /// The dataset builder's view of this lesson, with the patterns sheet chosen for it.
    pub fn files(&self, patterns: PathBuf) -> ppi_dataset::lesson::LessonFiles {
        ppi_dataset::lesson::LessonFiles {
            id: self.id.clone(),
            video: self.video.clone(),
            export: self.export.clone(),
            patterns,
        }
    }
}

/// What the pipeline did with a lesson.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outcome {
    /// `built`, `published`, `skipped` (already there), `failed` (not retried until the
    /// files change) or `unavailable` (retried at the next rescan).
    pub status: &'static str,
    pub detail: String,
}

impl Outcome {
    /// A lesson without a patterns sheet; `how` says where one can be given.
    pub fn no_sheet(how: &str) -> Self {
        Outcome {
            status: "failed",
            detail: format!("no patterns sheet: put patterns.xlsx beside the lesson or {how}"),
        }
    }
}

/// Whatever the watcher feeds: the dataset builder for `ppi watch`, the service's jobs.
pub trait Pipeline {
    fn process(&mut self, lesson: &Lesson) -> Outcome;
}

/// Something the watcher reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// A file appeared, changed or went away.
    File {
        source: String,
        #[serde(flatten)]
        change: Change,
    },
    /// A lesson is complete but still changing; it is processed after `settle_ms` more.
    Waiting {
        source: String,
        lesson: String,
        settle_ms: u64,
    },
    /// A lesson was processed.
    Lesson {
        source: String,
        lesson: String,
        #[serde(flatten)]
        outcome: Outcome,
        /// From the first listing that showed its files in their final state to the start of
        /// processing (the settle time plus the watcher's own delay).
        stable_s: f64,
        /// Processing time.
        seconds: f64,
    },
    /// A source could not be listed this round (it is retried).
    Unavailable { source: String, detail: String },
}

/// How to watch.
pub struct Watch {
    pub sources: Vec<Box<dyn Source>>,
    pub state_path: PathBuf,
    /// Where S3 lessons are downloaded.
    pub cache: PathBuf,
    pub pairing: Pairing,
    pub settle: Duration,
    pub rescan: Duration,
    pub poll: PollMode,
    pub poll_interval: Duration,
    /// Stop once nothing complete is waiting (for scripts and tests).
    pub once: bool,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// True for NFS, SMB/CIFS and FUSE mounts, where inotify sees no remote changes.
#[cfg(target_os = "linux")]
fn network_mount(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a properly sized out-parameter.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const NETWORK: [i64; 6] = [
        0x6969,                 // NFS
        0x517B,                 // SMB
        0xFF53_4D42_u32 as i64, // CIFS
        0xFE53_4D42_u32 as i64, // SMB2
        0x6573_5546,            // FUSE
        0x0102_1997,            // 9p
    ];
    NETWORK.contains(&(st.f_type as i64))
}

#[cfg(not(target_os = "linux"))]
fn network_mount(_: &Path) -> bool {
    false
}

type Waker = Box<dyn std::any::Any>;

/// Starts an event or polling watcher on a folder; its events only wake the loop.
fn waker(folder: &Path, w: &Watch, tx: mpsc::Sender<()>) -> Result<(Waker, bool), WatchError> {
    let poll = match w.poll {
        PollMode::Always => true,
        PollMode::Never => false,
        PollMode::Auto => network_mount(folder),
    };
    let handler = move |_: notify_debouncer_mini::DebounceEventResult| {
        let _ = tx.send(());
    };
    let config = notify_debouncer_mini::Config::default()
        .with_timeout(Duration::from_millis(200))
        .with_notify_config(notify::Config::default().with_poll_interval(w.poll_interval));
    let err = |e: notify::Error| WatchError::Io {
        path: folder.to_owned(),
        detail: format!("cannot watch: {e}"),
    };
    let boxed: Waker = if poll {
        let mut d =
            notify_debouncer_mini::new_debouncer_opt::<_, notify::PollWatcher>(config, handler)
                .map_err(err)?;
        d.watcher()
            .watch(folder, RecursiveMode::Recursive)
            .map_err(err)?;
        Box::new(d)
    } else {
        let mut d = notify_debouncer_mini::new_debouncer_opt::<_, notify::RecommendedWatcher>(
            config, handler,
        )
        .map_err(err)?;
        d.watcher()
            .watch(folder, RecursiveMode::Recursive)
            .map_err(err)?;
        Box::new(d)
    };
    Ok((boxed, poll))
}

/// A label for a source in lesson ids: its last path part or bucket/prefix, made plain.
fn label(name: &str) -> String {
    let base = name
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(name);
    ppi_core::domain::ids::slug(base, "source")
}

/// Runs until `once` has nothing left, or forever. Every processed lesson and every listing
/// change is saved before the next one, so a kill at any moment loses at most the lesson
/// being processed (which the dataset builder leaves consistent), and a restart resumes.
pub fn run(
    mut w: Watch,
    pipeline: &mut dyn Pipeline,
    report: &mut dyn FnMut(&Event),
) -> Result<(), WatchError> {
    let mut state = State::load(&w.state_path)?;
    state.version = 1;
    let (tx, rx) = mpsc::channel();
    let mut wakers = Vec::new();
    if !w.once {
        for s in &w.sources {
            if let Some(folder) = s.folder() {
                let (waker, polled) = waker(folder, &w, tx.clone())?;
                tracing::info!(source = s.name(), polled, "watching");
                wakers.push(waker);
            }
        }
    }
    let prefixed = w.sources.len() > 1;
    // Per lesson: the fingerprint seen and since when it has not changed.
    let mut stable: HashMap<(String, String), (String, Instant)> = HashMap::new();
    loop {
        let mut next: Option<Duration> = None;
        for s in w.sources.iter_mut() {
            let name = s.name().to_owned();
            let files = match s.scan() {
                Ok(f) => f,
                Err(e) => {
                    report(&Event::Unavailable {
                        source: name.clone(),
                        detail: e.to_string(),
                    });
                    next = Some(next.map_or(w.rescan, |n| n.min(w.rescan)));
                    continue;
                }
            };
            let mine = state.sources.entry(name.clone()).or_default();
            let changes = diff(&mine.files, &files);
            for c in &changes {
                report(&Event::File {
                    source: name.clone(),
                    change: c.clone(),
                });
            }
            if !changes.is_empty() {
                mine.files = files.clone();
                state.save(&w.state_path)?;
            }
            let pairs = w.pairing.pairs(&files);
            stable.retain(|(src, id), _| src != &name || pairs.contains_key(id));
            for pair in pairs.values().filter(|p| p.complete()) {
                let fp = pair.fingerprint();
                let done = state.sources[&name].lessons.get(&pair.id);
                if done.is_some_and(|d| d.fingerprint == fp) {
                    continue;
                }
                let key = (name.clone(), pair.id.clone());
                let since = match stable.get(&key) {
                    Some((f, t)) if *f == fp => *t,
                    _ => first_seen(pair, w.settle),
                };
                stable.insert(key, (fp.clone(), since));
                let left = w.settle.saturating_sub(since.elapsed());
                if !left.is_zero() {
                    report(&Event::Waiting {
                        source: name.clone(),
                        lesson: pair.id.clone(),
                        settle_ms: left.as_millis() as u64,
                    });
                    next = Some(next.map_or(left, |n| n.min(left)));
                    continue;
                }
                let id = if prefixed {
                    format!("{}/{}", label(&name), pair.id)
                } else {
                    pair.id.clone()
                };
                let stable_s = since.elapsed().as_secs_f64();
                let started = Instant::now();
                let outcome = match local_files(s.as_mut(), pair, &w.cache) {
                    Ok((video, export, sheet)) => pipeline.process(&Lesson {
                        id,
                        source: name.clone(),
                        video,
                        export,
                        sheet,
                    }),
                    Err(e @ WatchError::Unavailable { .. }) => Outcome {
                        status: "unavailable",
                        detail: e.to_string(),
                    },
                    Err(e) => Outcome {
                        status: "failed",
                        detail: e.to_string(),
                    },
                };
                report(&Event::Lesson {
                    source: name.clone(),
                    lesson: pair.id.clone(),
                    outcome: outcome.clone(),
                    stable_s,
                    seconds: started.elapsed().as_secs_f64(),
                });
                let transient = outcome.status == "unavailable";
                if !transient {
                    let mine = state.sources.entry(name.clone()).or_default();
                    mine.lessons.insert(
                        pair.id.clone(),
                        Done {
                            fingerprint: fp,
                            status: outcome.status.to_owned(),
                            at_ms: now_ms(),
                            detail: outcome.detail,
                        },
                    );
                    state.save(&w.state_path)?;
                } else {
                    next = Some(next.map_or(w.rescan, |n| n.min(w.rescan)));
                }
            }
        }
        if w.once && next.is_none() {
            drop(wakers);
            return Ok(());
        }
        let wait = next.map_or(w.rescan, |n| n.min(w.rescan));
        // Woken by an event, or at the next deadline, whichever comes first; coalesce bursts.
        if rx.recv_timeout(wait + Duration::from_millis(5)).is_ok() {
            while rx.try_recv().is_ok() {}
        }
    }
}

/// When a lesson seen for the first time stopped changing: its newest file's time when that is
/// already older than the settle time (nothing is copying it), else now.
fn first_seen(pair: &Pair, settle: Duration) -> Instant {
    let age_ms = now_ms() - pair.newest_ms();
    let now = Instant::now();
    if age_ms > settle.as_millis() as i64 {
        now.checked_sub(settle).unwrap_or(now)
    } else {
        now
    }
}

type Files = (PathBuf, PathBuf, Option<PathBuf>);

fn local_files(s: &mut dyn Source, pair: &Pair, cache: &Path) -> Result<Files, WatchError> {
    let video = s.local(&pair.video, cache)?;
    let export = match &pair.export {
        Some(e) => s.local(e, cache)?,
        None => no_export(pair)?,
    };
    let sheet = pair.sheet.as_ref().map(|e| s.local(e, cache)).transpose()?;
    Ok((video, export, sheet))
}

fn no_export(pair: &Pair) -> Result<PathBuf, WatchError> {
    Err(WatchError::Source {
        source_name: pair.id.clone(),
        detail: "the lesson has no export".into(),
    })
}
