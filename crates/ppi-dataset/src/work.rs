//! The media work of a build, in parallel: each worker opens the video once and takes items off
//! a shared queue; one job decodes the lesson audio. An item's files (clip, key frame, cropped
//! key frame, 16 kHz WAV) are written under hidden part names and handed, complete, to the
//! caller's `commit`, which renames them into place and lists the item. A kill or a failure
//! at any moment therefore leaves listed items complete and nothing half-written in view.
//!
//! Items that finish their video before the lesson audio is decoded wait in a list (their
//! worker moves on); the audio job slices and commits them when it is done.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::layout::{self, Layout};
use super::plan::KeyInfo;
use super::plan::Planned;
use super::request::{BuildError, BuildRequest};
use ppi_core::domain::frames::index_seconds;
use ppi_core::domain::Fps;
use ppi_core::progress::Progress;
use ppi_media::keyframe::{KeyFrameMode, Sampling};
use ppi_media::scoring::FrameTerm;
use ppi_media::{audio, wav, ClipOutcome, ClipRequest, Probe, Source};

/// An item's files under their hidden part names; removed on drop unless committed.
pub(crate) struct ItemFiles {
    pairs: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl ItemFiles {
    fn new() -> Self {
        ItemFiles {
            pairs: Vec::new(),
            committed: false,
        }
    }

    /// Where to write the file that will land at `target`.
    fn part(&mut self, target: PathBuf) -> PathBuf {
        let part = ppi_core::atomic::part_path(&target);
        self.pairs.push((part.clone(), target));
        part
    }

    /// Renames every part onto its final name.
    pub fn commit(mut self) -> std::io::Result<()> {
        for (part, target) in &self.pairs {
            std::fs::rename(part, target)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for ItemFiles {
    fn drop(&mut self) {
        if !self.committed {
            for (part, _) in &self.pairs {
                let _ = std::fs::remove_file(part);
            }
        }
    }
}

/// What a worker made for one item, ready to be committed.
pub(crate) struct Made {
    pub clip: ClipOutcome,
    pub key: KeyInfo,
    pub files: ItemFiles,
}

/// The lesson audio the items' WAVs are cut from.
#[derive(Clone, Copy)]
pub(crate) enum LessonAudio<'a> {
    /// The video has no audio: items get no WAV.
    None,
    /// Already decoded (a re-run of an unchanged lesson).
    Ready(&'a Path),
    /// Decoded by this run, first.
    Decode(&'a Path),
}

enum Job {
    Audio,
    Item(usize),
}

/// Where the lesson audio stands, and the items waiting for it.
enum AudioState {
    Pending(Vec<(usize, Made)>),
    Ready,
    Failed,
}

/// Commits an item: `(index in todo, what was made)`.
pub(crate) type Commit<'a> = dyn Fn(usize, Made) -> Result<(), BuildError> + Sync + 'a;

/// Runs clip, key-frame and lesson-audio work on `req.jobs` threads, committing each item as it
/// completes. Returns one outcome per item in `todo` (`None` when skipped after a failure).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_media(
    req: &BuildRequest,
    layout: &Layout,
    probe: &Probe,
    fps: Fps,
    todo: &[&Planned],
    lesson_audio: LessonAudio<'_>,
    progress: &dyn Progress,
    commit: &Commit<'_>,
) -> Vec<Option<Result<(), BuildError>>> {
    let mut jobs: Vec<Job> = Vec::with_capacity(todo.len() + 1);
    // The audio decode is the longest single job, so it starts first.
    let (wav_source, state) = match lesson_audio {
        LessonAudio::None => (None, AudioState::Ready),
        LessonAudio::Ready(p) => (Some(p), AudioState::Ready),
        LessonAudio::Decode(p) => {
            jobs.push(Job::Audio);
            (Some(p), AudioState::Pending(Vec::new()))
        }
    };
    jobs.extend((0..todo.len()).map(Job::Item));
    let results: Mutex<Vec<Option<Result<(), BuildError>>>> =
        Mutex::new((0..todo.len()).map(|_| None).collect());
    if todo.is_empty() {
        return Vec::new();
    }
    let state = Mutex::new(state);
    let audio_error: Mutex<Option<BuildError>> = Mutex::new(None);
    progress.stage("cutting clips", jobs.len() as u64);
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let record = |i: usize, r: Result<(), BuildError>| {
        if r.is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
        if let Ok(mut all) = results.lock() {
            all[i] = Some(r);
        }
    };
    // The WAV, then the commit.
    let finish = |i: usize, mut made: Made| -> Result<(), BuildError> {
        if let Some(src) = wav_source {
            let target = layout.abs(&layout::audio_rel(&todo[i].id));
            let part = made.files.part(target);
            wav::slice(
                src,
                audio::sample_at(made.clip.start),
                audio::sample_at(made.clip.end),
                &part,
            )?;
        }
        commit(i, made)
    };
    let workers = req.jobs.clamp(1, jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut source: Option<Source> = None;
                loop {
                    // A failed item or a canceled job stops the others at their next item.
                    if cancel.load(Ordering::Relaxed) || progress.canceled() {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(k) else { break };
                    match job {
                        Job::Audio => {
                            let path = wav_source.unwrap_or(Path::new(""));
                            let _span =
                                tracing::info_span!("lesson_audio", video = %req.video.display())
                                    .entered();
                            let decoded = audio::extract_lesson_audio(&req.video, probe, path);
                            let waiting = match state.lock() {
                                Ok(mut s) => {
                                    let next_state = if decoded.is_ok() {
                                        AudioState::Ready
                                    } else {
                                        AudioState::Failed
                                    };
                                    match std::mem::replace(&mut *s, next_state) {
                                        AudioState::Pending(w) => w,
                                        _ => Vec::new(),
                                    }
                                }
                                Err(_) => Vec::new(),
                            };
                            match decoded {
                                Ok(_) => {
                                    for (i, made) in waiting {
                                        record(i, finish(i, made));
                                    }
                                }
                                Err(e) => {
                                    cancel.store(true, Ordering::Relaxed);
                                    if let Ok(mut slot) = audio_error.lock() {
                                        *slot = Some(e.into());
                                    }
                                }
                            }
                        }
                        Job::Item(i) => {
                            let p = todo[*i];
                            let _span = tracing::info_span!("item", id = %p.id).entered();
                            match make_item(req, layout, probe, fps, p, &mut source) {
                                Ok(made) => {
                                    let ready = match state.lock() {
                                        Ok(mut s) => match &mut *s {
                                            AudioState::Pending(w) => {
                                                w.push((*i, made));
                                                None
                                            }
                                            AudioState::Ready => Some(Some(made)),
                                            // The audio failed: the item is not complete.
                                            AudioState::Failed => Some(None),
                                        },
                                        Err(_) => Some(None),
                                    };
                                    if let Some(Some(made)) = ready {
                                        record(*i, finish(*i, made));
                                    }
                                }
                                Err(e) => record(*i, Err(e)),
                            }
                        }
                    }
                    progress.advance(1);
                }
            });
        }
    });
    progress.finish_stage();
    let mut results = results.into_inner().unwrap_or_default();
    if let Some(e) = audio_error.into_inner().ok().flatten() {
        // Report the audio failure through the first item not committed.
        if let Some(slot) = results.iter_mut().find(|r| !matches!(r, Some(Ok(())))) {
            *slot = Some(Err(e));
        }
    }
    results
}

/// Cuts an item's clip, key frame and cropped key frame under part names.
fn make_item(
    req: &BuildRequest,
    layout: &Layout,
    probe: &Probe,
    fps: Fps,
    p: &Planned,
    source: &mut Option<Source>,
) -> Result<Made, BuildError> {
    let src = match source {
        Some(s) => s,
        None => source.insert(Source::open(&req.video, probe)?),
    };
    let mut files = ItemFiles::new();
    let r = p.interval.range;
    let clip = src.cut_clip(
        &ClipRequest {
            start: r.start_seconds(fps),
            end: r.end_seconds(fps),
            frame_duration: fps.frame_duration(),
            mode: req.mode,
        },
        &files.part(layout.abs(&layout::video_rel(&p.id))),
    )?;
    let middle = index_seconds(r.middle_index(), fps);
    let info = match req.key_frame {
        KeyFrameMode::Middle => KeyInfo {
            time: middle,
            method: "middle".into(),
            score: 0.0,
            middle_score: 0.0,
            candidates: Vec::new(),
        },
        KeyFrameMode::Best => {
            let c = src.best_time(
                r.start_seconds(fps),
                r.end_seconds(fps),
                middle,
                &Sampling {
                    term: req
                        .faces
                        .then_some(&ppi_media::faces::FaceTerm as &dyn FrameTerm),
                    weights: req.scorer.weights,
                    ..Sampling::default()
                },
            )?;
            KeyInfo {
                time: c.time,
                method: req.scorer.method(),
                score: c.score,
                middle_score: c.middle_score,
                candidates: c.candidates,
            }
        }
    };
    let key = src.frame_at(info.time, fps.frame_duration())?;
    key.image.save_jpeg(
        &files.part(layout.abs(&layout::image_rel(&p.id))),
        req.jpeg_quality,
    )?;
    if let Some(c) = p.crop {
        key.image.crop(c).save_jpeg(
            &files.part(layout.abs(&layout::cropped_rel(&p.id))),
            req.jpeg_quality,
        )?;
    }
    Ok(Made {
        clip,
        key: KeyInfo {
            time: key.time,
            ..info
        },
        files,
    })
}
