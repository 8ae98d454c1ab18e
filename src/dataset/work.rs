//! The media work of a build, in parallel: each worker opens the video once and takes clips
//! (clip, key frame, cropped key frame) off a shared queue; one job decodes the lesson audio.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::build::{BuildError, BuildRequest};
use super::layout::{self, Layout};
use super::plan::Planned;
use crate::domain::frames::index_seconds;
use crate::domain::Fps;
use crate::media::{audio, ClipOutcome, ClipRequest, Probe, Source};
use crate::progress::Progress;

/// What a worker made for one item.
pub(crate) struct Made {
    pub clip: ClipOutcome,
    pub keyframe_time: f64,
}

enum Job<'a> {
    Audio(&'a Path),
    Item(usize),
}

/// Runs clip, key-frame and lesson-audio work on `req.jobs` threads. Returns one outcome per
/// item in `todo` (`None` when skipped after another item failed).
pub(crate) fn run_media(
    req: &BuildRequest,
    layout: &Layout,
    probe: &Probe,
    fps: Fps,
    todo: &[&Planned],
    lesson_audio: Option<&Path>,
    progress: &dyn Progress,
) -> Vec<Option<Result<Made, BuildError>>> {
    let mut jobs: Vec<Job> = Vec::with_capacity(todo.len() + 1);
    // The audio decode is the longest single job, so it starts first.
    if let Some(p) = lesson_audio {
        jobs.push(Job::Audio(p));
    }
    jobs.extend((0..todo.len()).map(Job::Item));
    let results: Mutex<Vec<Option<Result<Made, BuildError>>>> =
        Mutex::new((0..todo.len()).map(|_| None).collect());
    let audio_error: Mutex<Option<BuildError>> = Mutex::new(None);
    if jobs.is_empty() {
        return Vec::new();
    }
    progress.stage("cutting clips", jobs.len() as u64);
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let workers = req.jobs.clamp(1, jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut source: Option<Source> = None;
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(k) else { break };
                    match job {
                        Job::Audio(path) => {
                            let _span =
                                tracing::info_span!("lesson_audio", video = %req.video.display())
                                    .entered();
                            if let Err(e) = audio::extract_lesson_audio(&req.video, probe, path) {
                                cancel.store(true, Ordering::Relaxed);
                                if let Ok(mut slot) = audio_error.lock() {
                                    *slot = Some(e.into());
                                }
                            }
                        }
                        Job::Item(i) => {
                            let p = todo[*i];
                            let _span = tracing::info_span!("item", id = %p.id).entered();
                            let out = make_item(req, layout, probe, fps, p, &mut source);
                            if out.is_err() {
                                cancel.store(true, Ordering::Relaxed);
                            }
                            if let Ok(mut r) = results.lock() {
                                r[*i] = Some(out);
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
        // Report the audio failure through the first item.
        if let Some(first) = results.first_mut() {
            *first = Some(Err(e));
        }
    }
    results
}

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
    let r = p.interval.range;
    let clip = src.cut_clip(
        &ClipRequest {
            start: r.start_seconds(fps),
            end: r.end_seconds(fps),
            frame_duration: fps.frame_duration(),
            mode: req.mode,
        },
        &layout.abs(&layout::video_rel(&p.id)),
    )?;
    let key = src.frame_at(index_seconds(r.middle_index(), fps), fps.frame_duration())?;
    key.image
        .save_jpeg(&layout.abs(&layout::image_rel(&p.id)), req.jpeg_quality)?;
    if let Some(c) = p.crop {
        key.image
            .crop(c)
            .save_jpeg(&layout.abs(&layout::cropped_rel(&p.id)), req.jpeg_quality)?;
    }
    Ok(Made {
        clip,
        keyframe_time: key.time,
    })
}
