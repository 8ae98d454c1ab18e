//! Planning a build: item ids, fingerprints for reuse, and the metadata row of each item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::layout::{self, Layout};
use super::manifest::Manifest;
use super::metadata::Row;
use super::request::BuildRequest;
use ppi_core::catalog::PatternCatalog;
use ppi_core::domain::frames::round_ms;
use ppi_core::domain::{ids, CropBox, Fps, ItemId};
use ppi_label_studio::model::LabeledInterval;
use ppi_media::ClipMode;

/// Identity of a video file: size plus the first and last MiB. Cheap on large files and
/// enough to notice a replaced file.
pub fn source_fingerprint(path: &Path) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let mut h = Sha256::new();
    h.update(len.to_le_bytes());
    let mut buf = vec![0u8; 1 << 20];
    let n = f.read(&mut buf)?;
    h.update(&buf[..n]);
    if len > (2 << 20) {
        f.seek(SeekFrom::End(-(1 << 20)))?;
        f.read_exact(&mut buf)?;
        h.update(&buf);
    }
    Ok(hex::encode(&h.finalize()[..16]))
}

/// One item to produce.
pub(crate) struct Planned {
    pub id: ItemId,
    pub interval: LabeledInterval,
    pub description: String,
    pub crop: Option<CropBox>,
    pub fingerprint: String,
}

/// Media versions: bump when output bytes for the same inputs would change.
const MEDIA_VERSION: u32 = 1;

/// A file slug for the lesson, distinct from other lessons' slugs in this dataset.
pub(crate) fn lesson_slug(manifest: &Manifest, lesson_id: &str) -> String {
    let base = ids::slug(lesson_id, "lesson");
    let mut candidate = base.clone();
    let mut n = 2;
    while manifest
        .lessons
        .get(&candidate)
        .is_some_and(|l| l.lesson_id != lesson_id)
    {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

pub(crate) fn plan(
    req: &BuildRequest,
    catalog: &PatternCatalog,
    intervals: &[LabeledInterval],
    lesson_slug: &str,
    source_fp: &str,
    fps: Fps,
) -> Vec<Planned> {
    let mut per_range: BTreeMap<_, usize> = BTreeMap::new();
    for i in intervals {
        *per_range.entry(i.range).or_default() += 1;
    }
    let mut seen: BTreeSet<ItemId> = BTreeSet::new();
    intervals
        .iter()
        .map(|i| {
            let shared = per_range.get(&i.range).copied().unwrap_or(1) > 1;
            let mut id = ItemId::new(lesson_slug, i.range, shared.then_some(i.label.as_str()));
            if seen.contains(&id) {
                let ann = i
                    .annotation_id
                    .map(|a| format!("{}-a{a}", i.label))
                    .unwrap_or_else(|| format!("{}-{}", i.label, seen.len()));
                id = ItemId::new(lesson_slug, i.range, Some(&ann));
            }
            seen.insert(id.clone());
            let crop = req.crop.or(i.crop);
            let fingerprint = {
                let mut h = Sha256::new();
                h.update(format!(
                    "v{MEDIA_VERSION}|{source_fp}|{}|{}|{}|{}|{:?}|{}{}",
                    i.range.start(),
                    i.range.end(),
                    fps,
                    req.mode,
                    crop.map(|c| c.to_string()),
                    req.jpeg_quality,
                    // Middle keeps the fingerprints of datasets built before `best` existed.
                    match req.key_frame {
                        ppi_media::keyframe::KeyFrameMode::Middle => "",
                        ppi_media::keyframe::KeyFrameMode::Best => "|key=best",
                    }
                ));
                hex::encode(&h.finalize()[..12])
            };
            Planned {
                id,
                description: catalog
                    .lookup(&i.label)
                    .map(|p| p.description.clone())
                    .unwrap_or_default(),
                interval: i.clone(),
                crop,
                fingerprint,
            }
        })
        .collect()
}

/// Facts shared by every row of one build.
pub(crate) struct RowContext<'a> {
    pub lesson_id: &'a str,
    pub source_video: &'a str,
    pub source_sha256: &'a str,
    pub fps: Fps,
    pub mode: ClipMode,
    pub has_audio: bool,
    pub task_id: String,
}

/// How an item's key frame was chosen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyInfo {
    pub time: f64,
    pub method: String,
    pub score: f64,
    pub middle_score: f64,
    pub candidates: Vec<ppi_media::scoring::Candidate>,
}

impl KeyInfo {
    /// What a row already records (a reused item keeps its frame).
    pub fn of_row(r: &Row) -> KeyInfo {
        KeyInfo {
            time: r.keyframe_time,
            method: r.key_frame_method.clone(),
            score: r.key_frame_score,
            middle_score: r.key_frame_middle_score,
            candidates: Vec::new(),
        }
    }
}

pub(crate) fn row_for(p: &Planned, cx: &RowContext<'_>, key: &KeyInfo, clip: (f64, f64)) -> Row {
    let RowContext {
        lesson_id,
        source_video,
        fps,
        mode,
        has_audio,
        ..
    } = *cx;
    let r = p.interval.range;
    let image = layout::image_rel(&p.id);
    Row {
        file_name: image.clone(),
        id: p.id.to_string(),
        lesson_id: lesson_id.to_owned(),
        source_video: source_video.to_owned(),
        source_sha256: cx.source_sha256.to_owned(),
        start_time: round_ms(r.start_seconds(fps)),
        end_time: round_ms(r.end_seconds(fps)),
        start_frame: r.start(),
        end_frame: r.end(),
        fps: fps.get(),
        pattern_type: p.interval.label.clone(),
        pattern_description: p.description.clone(),
        video_file: layout::video_rel(&p.id),
        image_file: image,
        image_cropped_file: p
            .crop
            .map(|_| layout::cropped_rel(&p.id))
            .unwrap_or_default(),
        audio_file: if has_audio {
            layout::audio_rel(&p.id)
        } else {
            String::new()
        },
        transcript_file: String::new(),
        language: String::new(),
        transcript: String::new(),
        teacher_share: None,
        student_share: None,
        speakers: None,
        turns: None,
        questions: None,
        open_questions: None,
        activity: String::new(),
        keyframe_time: round_ms(key.time),
        key_frame_method: key.method.clone(),
        key_frame_score: (key.score * 1e4).round() / 1e4,
        key_frame_middle_score: (key.middle_score * 1e4).round() / 1e4,
        clip_mode: mode.to_string(),
        clip_start_time: round_ms(clip.0),
        clip_end_time: round_ms(clip.1),
        crop: p.crop.map(|c| c.to_string()).unwrap_or_default(),
        annotator: p.interval.annotator.clone().unwrap_or_default(),
        annotation_id: p
            .interval
            .annotation_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        task_id: cx.task_id.clone(),
    }
}

/// Deletes an item's files (missing files are fine).
pub fn remove_item_files(layout: &Layout, row: &Row) {
    let mut files = vec![
        row.video_file.clone(),
        row.image_file.clone(),
        row.image_cropped_file.clone(),
        row.audio_file.clone(),
    ];
    if let Some(id) = ItemId::parse(&row.id) {
        for ext in ["txt", "json", "vtt"] {
            files.push(layout::transcript_rel(&id, ext));
        }
    }
    for f in files.iter().filter(|f| !f.is_empty()) {
        let _ = std::fs::remove_file(layout.abs(f));
    }
}
