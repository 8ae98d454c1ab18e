//! `ppi dataset build`: lesson video + Label Studio export + patterns sheet → dataset folder.
//!
//! Everything is validated before any media work: the sheet, the export, every label and every
//! interval against the video. Then intervals run in parallel, each worker seeking within its
//! own opened copy of the video, while one task decodes the lesson audio once. Items already
//! built from the same inputs are reused.

use std::collections::BTreeSet;
use std::path::Path;

use super::layout::Layout;
use super::manifest::{Item, Lesson, Manifest};
use super::plan::{
    lesson_slug, plan, remove_item_files, row_for, source_fingerprint, KeyInfo, Planned, RowContext,
};
use super::request::{io_err, BuildError, BuildReport, BuildRequest};
use super::work::{run_media, LessonAudio, Made};
use ppi_core::catalog;
use ppi_core::domain::{Fps, ItemId};
use ppi_core::progress::Progress;
use ppi_label_studio::choice::AnnotationChoice;
use ppi_label_studio::export::{self, ExportError};
use ppi_label_studio::model::LabeledInterval;
use ppi_label_studio::result;
use ppi_media::{self as media, MediaError, Probe};

/// Runs a build.
pub fn build(req: &BuildRequest, progress: &dyn Progress) -> Result<BuildReport, BuildError> {
    // 1. Inputs, all validated before anything is written.
    let catalog = catalog::sheet::load(&req.patterns)?;
    let export = export::read(&req.annotations)?;
    let task = export.pick_task(&req.video, req.task)?;
    let probe = media::probe(&req.video)?;
    let field_err = |e: ppi_label_studio::model::FieldError| ExportError::Invalid {
        file: req.annotations.clone(),
        pointer: e.pointer,
        detail: e.detail,
    };
    let (fps, fps_source) = match (task.fps().map_err(field_err)?, req.fps) {
        (Some(f), _) => (f, "task"),
        (None, Some(f)) => (f, "flag"),
        (None, None) => (
            Fps::new(probe.video.fps).map_err(|e| MediaError::Corrupt {
                file: req.video.clone(),
                detail: e.to_string(),
            })?,
            "probe",
        ),
    };
    if (fps.get() - probe.video.fps).abs() / probe.video.fps > 0.005 {
        let msg = format!(
            "frame numbers are read at {fps} fps ({fps_source}) but {} plays at {:.3} fps; Label Studio never probes the file, so check the task's fps",
            req.video.display(),
            probe.video.fps
        );
        // Logged once, at warn level, which `--quiet` keeps.
        tracing::warn!("{msg}");
    }
    let intervals = match req.annotation {
        AnnotationChoice::Consensus => consensus_intervals(req, task, fps, &probe, &catalog)?,
        choice => {
            result::intervals(task, choice, req.from_name.as_deref(), fps).map_err(field_err)?
        }
    };
    if intervals.is_empty() {
        return Err(BuildError::NoIntervals {
            file: req.annotations.clone(),
            detail: format!("{} has no labelled intervals", task.describe()),
        });
    }
    if !req.allow_unknown_labels {
        catalog
            .check(intervals.iter().map(|i| i.label.as_str()))
            .map_err(|labels| BuildError::UnknownLabels {
                file: req.annotations.clone(),
                labels,
            })?;
    }
    check_fit(req, &probe, fps, &intervals)?;

    // 2. Identity of the lesson and its items.
    let layout = Layout::new(&req.out);
    create_out(&layout, &req.out)?;
    // One writer at a time: a second build of another lesson waits (or refuses), then reads
    // the manifest the first one left, so both lessons end up listed.
    let _lock = layout.lock(req.wait_for_lock)?;
    layout.clean_stale_parts().map_err(io_err(&req.out))?;
    let mut manifest = Manifest::load(&layout.manifest())?;
    let listed: std::collections::BTreeSet<String> = manifest
        .items
        .values()
        .flat_map(|it| it.row.files().map(str::to_owned))
        .collect();
    layout
        .remove_unlisted(&|f| listed.contains(f))
        .map_err(io_err(&req.out))?;
    let lesson_id = req
        .lesson_id
        .clone()
        .or_else(|| task.lesson_id())
        .unwrap_or_else(|| {
            req.video
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "lesson".into())
        });
    let lesson_slug = lesson_slug(&manifest, &lesson_id);
    let source_fp = source_fingerprint(&req.video).map_err(io_err(&req.video))?;
    let source_video = req
        .video
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let planned = plan(req, &catalog, &intervals, &lesson_slug, &source_fp, fps);
    let source_sha256 = match manifest.lessons.get(&lesson_slug) {
        Some(l) if l.source_fingerprint == source_fp && !l.source_sha256.is_empty() => {
            l.source_sha256.clone()
        }
        _ => ppi_core::hash::file_sha256(&req.video).map_err(io_err(&req.video))?,
    };

    // 3. Decide what to reuse, what to build, and what is stale.
    let wanted: BTreeSet<&ItemId> = planned.iter().map(|p| &p.id).collect();
    let stale: Vec<ItemId> = manifest
        .items
        .iter()
        .filter(|(id, it)| it.lesson == lesson_slug && !wanted.contains(id))
        .map(|(id, _)| id.clone())
        .collect();
    for id in &stale {
        if let Some(item) = manifest.items.remove(id) {
            remove_item_files(&layout, &item.row);
        }
    }
    let excluded = planned
        .iter()
        .filter(|p| manifest.excluded.contains_key(&p.id))
        .count();
    let has_audio = probe.audio.is_some();
    let lesson_audio = layout.lesson_audio(&lesson_slug);
    let lesson_unchanged = manifest
        .lessons
        .get(&lesson_slug)
        .is_some_and(|l| l.source_fingerprint == source_fp);
    let reusable = |p: &Planned| {
        manifest.items.get(&p.id).is_some_and(|it| {
            it.fingerprint == p.fingerprint
                && [
                    &it.row.video_file,
                    &it.row.image_file,
                    &it.row.image_cropped_file,
                    &it.row.audio_file,
                ]
                .iter()
                .filter(|f| !f.is_empty())
                .all(|f| layout.abs(f).is_file())
        })
    };
    let (todo, reuse): (Vec<&Planned>, Vec<&Planned>) = planned
        .iter()
        .filter(|p| !manifest.excluded.contains_key(&p.id))
        .partition(|p| !reusable(p));
    let need_audio = has_audio && !todo.is_empty() && !(lesson_unchanged && lesson_audio.is_file());

    manifest.patterns = catalog.patterns().to_vec();
    // Once a folder has its Parquet table, later builds keep it.
    let parquet = manifest.card.parquet || req.card.parquet;
    manifest.card = req.card.clone();
    manifest.card.parquet = parquet;
    manifest.lessons.insert(
        lesson_slug.clone(),
        Lesson {
            lesson_id: lesson_id.clone(),
            source_video: source_video.clone(),
            source_fingerprint: source_fp.clone(),
            source_sha256: source_sha256.clone(),
            fps: fps.get(),
            duration: probe.video.duration,
            has_audio,
            transcript_key: manifest
                .lessons
                .get(&lesson_slug)
                .filter(|l| l.source_fingerprint == source_fp)
                .and_then(|l| l.transcript_key.clone()),
        },
    );
    let cx = RowContext {
        lesson_id: &lesson_id,
        source_video: &source_video,
        source_sha256: &source_sha256,
        fps,
        mode: req.mode,
        has_audio,
        task_id: task.id.map(|i| i.to_string()).unwrap_or_default(),
    };
    // Reused items still take the current descriptions and provenance.
    for p in &reuse {
        if let Some(it) = manifest.items.get_mut(&p.id) {
            let old = it.row.clone();
            it.row = row_for(
                p,
                &cx,
                &KeyInfo::of_row(&old),
                (old.clip_start_time, old.clip_end_time),
            );
            it.row.transcript_file = old.transcript_file;
            it.row.language = old.language;
            it.row.transcript = old.transcript;
        }
    }

    // 4. Media work, each item committed (renamed into place and listed) as it completes.
    std::fs::create_dir_all(layout.lesson_dir(&lesson_slug)).map_err(io_err(&req.out))?;
    super::write_listing(&layout, &manifest)?;
    let audio_plan = match (has_audio, need_audio) {
        (false, _) => LessonAudio::None,
        (true, true) => LessonAudio::Decode(&lesson_audio),
        (true, false) => LessonAudio::Ready(&lesson_audio),
    };
    let shared = std::sync::Mutex::new(manifest);
    let commit = |i: usize, made: Made| -> Result<(), BuildError> {
        let p = todo[i];
        let mut m = shared.lock().map_err(|_| BuildError::Io {
            path: req.out.clone(),
            source: std::io::Error::other("a worker panicked"),
        })?;
        made.files.commit().map_err(io_err(&req.out))?;
        let row = row_for(p, &cx, &made.key, (made.clip.start, made.clip.end));
        m.items.insert(
            p.id.clone(),
            Item {
                row,
                fingerprint: p.fingerprint.clone(),
                lesson: lesson_slug.clone(),
                candidates: made.key.candidates,
            },
        );
        Ok(super::write_listing(&layout, &m)?)
    };
    let made = run_media(
        req, &layout, &probe, fps, &todo, audio_plan, progress, &commit,
    );
    let manifest = shared.into_inner().map_err(|_| BuildError::Io {
        path: req.out.clone(),
        source: std::io::Error::other("a worker panicked"),
    })?;
    // Canceled: the items made so far are committed and listed; a later run reuses them.
    if progress.canceled() {
        return Err(BuildError::Media(ppi_media::MediaError::Canceled));
    }
    let mut first_error: Option<BuildError> = None;
    let mut built = 0;
    for outcome in made.into_iter().flatten() {
        match outcome {
            Ok(()) => built += 1,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }

    // 5. The lesson's analytics, then the index files (card, Parquet), written even after a
    // failure: the items that completed are listed and reused by the next run.
    if req.analytics {
        let markings =
            result::markings(task, req.from_name.as_deref(), fps, None).unwrap_or_default();
        let input = ppi_agreement::analytics::LessonInput {
            title: lesson_id.clone(),
            frames: (probe.video.duration * fps.get()).ceil() as u64,
            fps: fps.get(),
            labels: catalog.patterns().iter().map(|p| p.name.clone()).collect(),
            markings: if markings.len() >= 2 {
                markings
            } else {
                Vec::new()
            },
            agreed: intervals
                .iter()
                .map(|i| ppi_agreement::Span::from_range(i.label.clone(), i.range))
                .collect(),
            speech: None,
            speakers: Vec::new(),
            roles: lane_roles(task, fps),
            roles_source: Some("annotators".into()),
            iou: req.agreement.iou,
            machine: None,
            events: None,
        };
        if let Err(e) = super::analytics::write(&layout, &lesson_slug, &input) {
            tracing::warn!("{e}");
        }
    }
    super::write_index(&layout, &manifest)?;
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(BuildReport {
        out: req.out.clone(),
        lesson_id,
        fps: fps.get(),
        fps_source,
        items: planned.len() - excluded,
        built,
        reused: reuse.len(),
        excluded,
        stale_removed: stale.len(),
        has_audio,
    })
}

/// The gated consensus of the task's annotators as intervals (one annotator: theirs).
/// The annotators' speaker lane (the latest annotation that has one) as `(start s, end s,
/// role)`; empty when the project has no speaker lane.
fn lane_roles(task: &ppi_label_studio::model::ExportTask, fps: Fps) -> Vec<(f64, f64, String)> {
    let lane = ppi_label_studio::config::SPEAKER_LANE;
    result::intervals(task, AnnotationChoice::Latest, Some(lane), fps)
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            (
                i.range.start_seconds(fps),
                i.range.end_seconds(fps),
                i.label.to_lowercase(),
            )
        })
        .collect()
}

fn consensus_intervals(
    req: &BuildRequest,
    task: &ppi_label_studio::model::ExportTask,
    fps: Fps,
    probe: &Probe,
    catalog: &catalog::PatternCatalog,
) -> Result<Vec<LabeledInterval>, BuildError> {
    let field_err = |e: ppi_label_studio::model::FieldError| ExportError::Invalid {
        file: req.annotations.clone(),
        pointer: e.pointer,
        detail: e.detail,
    };
    let markings =
        result::markings(task, req.from_name.as_deref(), fps, None).map_err(field_err)?;
    if markings.len() < 2 {
        return Ok(result::intervals(
            task,
            AnnotationChoice::Latest,
            req.from_name.as_deref(),
            fps,
        )
        .map_err(field_err)?);
    }
    let a = req.agreement;
    let report = ppi_agreement::analyse(
        &markings,
        &ppi_agreement::Options {
            frames: (probe.video.duration * fps.get()).ceil() as u64,
            iou: a.iou,
            labels: None,
            all_labels: catalog.patterns().iter().map(|p| p.name.clone()).collect(),
            gate: a.gate,
            gate_measure: a.measure,
            consensus: a.consensus,
        },
    );
    if !report.gate.passed {
        return Err(BuildError::BelowGate {
            file: req.annotations.clone(),
            task: task.describe(),
            measure: report.gate.measure,
            value: ppi_agreement::report::fig(report.gate.value),
            gate: report.gate.threshold,
        });
    }
    let who = format!("consensus of {}", report.annotators.join(", "));
    Ok(report
        .consensus
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            Some(LabeledInterval {
                range: s.to_range()?,
                label: s.label.clone(),
                region_id: None,
                annotation_id: None,
                annotator: Some(who.clone()),
                crop: None,
                pointer: format!("{}.consensus[{i}]", task.pointer),
            })
        })
        .collect())
}

/// Creates the dataset folder, naming the user's mistake when `--out` is (or is under) a file.
pub(crate) fn create_out(layout: &Layout, out: &Path) -> Result<(), BuildError> {
    let not_folder = |detail: String| BuildError::OutNotAFolder {
        path: out.into(),
        detail,
    };
    if out.exists() && !out.is_dir() {
        return Err(not_folder("is a file, not a folder".into()));
    }
    layout.create().map_err(|e| {
        // A parent that is a file: ENOTDIR (or EEXIST from create_dir_all).
        if matches!(
            e.kind(),
            std::io::ErrorKind::NotADirectory | std::io::ErrorKind::AlreadyExists
        ) || e.raw_os_error() == Some(20)
        {
            not_folder(format!("cannot be created under a file ({e})"))
        } else if e.kind() == std::io::ErrorKind::PermissionDenied {
            not_folder(format!("cannot be created: {e}"))
        } else {
            BuildError::Io {
                path: out.into(),
                source: e,
            }
        }
    })
}

/// Refuses intervals that end past the video (one frame of slack for rounding), listing all.
fn check_fit(
    req: &BuildRequest,
    probe: &Probe,
    fps: Fps,
    intervals: &[LabeledInterval],
) -> Result<(), BuildError> {
    let duration = probe.video.duration;
    let bad: Vec<String> = intervals
        .iter()
        .filter(|i| i.range.end_seconds(fps) > duration + fps.frame_duration() * 1.01)
        .map(|i| {
            format!(
                "{}: {} {} ends at {:.3} s",
                i.pointer,
                i.label,
                i.range,
                i.range.end_seconds(fps)
            )
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(BuildError::Intervals {
        file: req.annotations.clone(),
        video: req.video.clone(),
        duration,
        fps: fps.to_string(),
        count: bad.len(),
        list: bad.join("\n  "),
    })
}
