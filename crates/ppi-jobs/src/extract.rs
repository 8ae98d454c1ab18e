//! `extract`: an accepted annotation becomes clips for review. The dataset builder cuts each
//! interval (clip, key frame, crop, 16 kHz WAV) into a staging folder per Label Studio task,
//! reusing unchanged items; each clip's transcript is cut from the lesson transcript; the
//! artifacts go to storage under the lesson's prefix; and the review project gets exactly one
//! task per interval: new intervals are added, changed ones updated, removed ones deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::context::JobContext;
use crate::error::{io, permanent, JobError};
use crate::payload::{Extract, MediaRef};
use crate::progress::JobProgress;
use crate::stage::{stage_dir, stage_layout, task_stage};
use ppi_core::domain::ItemId;
use ppi_dataset::build::build;
use ppi_dataset::layout::Layout;
use ppi_dataset::manifest::{CardSettings, Manifest};
use ppi_dataset::request::BuildRequest;
use ppi_label_studio::choice::AnnotationChoice;
use ppi_store::db::review::{ReviewItem, PENDING, REMOVED};
use ppi_store::storage::settings::StorageBackend;
use ppi_store::storage::ObjectKey;

/// What decides whether a review task must change: the item's media inputs, its label and
/// its transcript.
fn change_key(item: &ppi_dataset::manifest::Item) -> String {
    ppi_core::hash::sha256_hex(
        format!(
            "{}|{}|{}",
            item.fingerprint, item.row.pattern_type, item.row.transcript
        )
        .as_bytes(),
    )
}

/// Where an item's files go in storage.
fn storage_prefix(lesson_source: Option<&str>, task: i64) -> String {
    match lesson_source.and_then(|k| k.rsplit_once('/')) {
        Some((dir, _)) => format!("{dir}/review"),
        None => format!("ls-tasks/{task}/review"),
    }
}

/// How many frames a reviewer chooses from (the key frame and the next candidates).
pub const REVIEW_FRAMES: usize = 3;

/// The review's frames: the key frame, then the item's next candidates, cut from the staged
/// video into the stage's `frames/`; fewer candidates repeat the key frame.
fn review_frames(
    video: &Path,
    dir: &Path,
    layout: &Layout,
    item: &ppi_dataset::manifest::Item,
    quality: u8,
) -> Result<Vec<(PathBuf, f64)>, JobError> {
    let r = &item.row;
    let mut out = vec![(layout.abs(&r.image_file), r.keyframe_time)];
    let rest: Vec<f64> = item.candidates.iter().skip(1).map(|c| c.time).collect();
    if !rest.is_empty() {
        let probe = ppi_media::probe(video).map_err(JobError::from_coded)?;
        let fps = ppi_core::domain::Fps::new(r.fps)
            .map_err(|e| permanent("review-bad-fps", e.to_string()))?;
        let mut src = ppi_media::Source::open(video, &probe).map_err(JobError::from_coded)?;
        let frames = dir.join("frames");
        std::fs::create_dir_all(&frames).map_err(|e| io(frames.display(), e))?;
        for (k, t) in rest.iter().take(REVIEW_FRAMES - 1).enumerate() {
            let key = src
                .frame_at(*t, fps.frame_duration())
                .map_err(JobError::from_coded)?;
            let path = frames.join(format!("{}-{}.jpg", r.id, k + 2));
            key.image
                .save_jpeg(&path, quality)
                .map_err(JobError::from_coded)?;
            out.push((path, key.time));
        }
    }
    while out.len() < REVIEW_FRAMES {
        out.push(out[0].clone());
    }
    Ok(out)
}

/// Uploads an item's files; returns the review task's data.
async fn publish_item(
    ctx: &JobContext,
    layout: &Layout,
    prefix: &str,
    item: &ppi_dataset::manifest::Item,
    frames: &[(PathBuf, f64)],
    title: &str,
) -> Result<Value, JobError> {
    let r = &item.row;
    let ttl = match ctx.settings.storage.backend {
        // SigV4 presigned URLs live at most 7 days.
        StorageBackend::S3 => Duration::from_secs(7 * 24 * 3600),
        StorageBackend::Local => Duration::from_secs(ctx.settings.label_studio.task_url_ttl_secs),
    };
    let mut urls = serde_json::Map::new();
    let mut files: Vec<(String, PathBuf, String)> = [
        ("clip_url", &r.video_file, "clip.mp4"),
        ("keyframe_url", &r.image_file, "keyframe.jpg"),
        (
            "keyframe_cropped_url",
            &r.image_cropped_file,
            "keyframe-cropped.jpg",
        ),
        ("audio_url", &r.audio_file, "audio.wav"),
        ("transcript_url", &r.transcript_file, "transcript.txt"),
    ]
    .into_iter()
    .filter(|(_, rel, _)| !rel.is_empty())
    .map(|(f, rel, name)| (f.to_owned(), layout.abs(rel), name.to_owned()))
    .collect();
    for (k, (path, _)) in frames.iter().enumerate().skip(1) {
        files.push((
            format!("frame_{}_url", k + 1),
            path.clone(),
            format!("frame-{}.jpg", k + 1),
        ));
    }
    for (field, path, name) in files {
        let key = ObjectKey::parse(&format!("{prefix}/{}/{name}", r.id))
            .ok_or_else(|| permanent("review-bad-key", format!("item {}", r.id)))?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| io(path.display(), e))?;
        let content_type = match name.rsplit('.').next() {
            Some("mp4") => "video/mp4",
            Some("jpg") => "image/jpeg",
            Some("wav") => "audio/wav",
            _ => "text/plain; charset=utf-8",
        };
        ctx.store
            .put_bytes(&key, bytes, content_type)
            .await
            .map_err(JobError::from_coded)?;
        let url = ctx
            .store
            .url_get(&key, ttl)
            .await
            .map_err(JobError::from_coded)?;
        urls.insert(field, Value::String(url));
    }
    let mut data = json!({
        "item_id": r.id, "lesson_id": r.lesson_id, "lesson_title": title,
        "pattern": r.pattern_type, "description": r.pattern_description,
        "transcript": r.transcript, "start_s": r.start_time, "end_s": r.end_time, "fps": r.fps,
        "source_task": ls_id(&r.task_id), "source_annotation": ls_id(&r.annotation_id),
    });
    for (k, v) in urls {
        data[k] = v;
    }
    // Frame 1 is the key frame itself.
    data["frame_1_url"] = data["keyframe_url"].clone();
    for (k, (_, t)) in frames.iter().enumerate() {
        data[format!("frame_{}_s", k + 1)] = json!(ppi_core::domain::frames::round_ms(*t));
    }
    // The review config's <Audio> needs the key; a clip without sound gets an empty one.
    if data.get("audio_url").is_none() {
        data["audio_url"] = Value::String(String::new());
    }
    Ok(data)
}

/// A Label Studio id as LS writes it: an integer (a non-numeric id stays text).
fn ls_id(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(id))
}

/// A patterns CSV from the project's labels, when no sheet is configured.
fn labels_csv(labels: &[String], to: &Path) -> Result<(), JobError> {
    let mut w = csv::Writer::from_path(to).map_err(|e| io(to.display(), e))?;
    w.write_record(["pattern type", "comments"])
        .map_err(|e| io(to.display(), e))?;
    for l in labels {
        w.write_record([l.as_str(), ""])
            .map_err(|e| io(to.display(), e))?;
    }
    w.flush().map_err(|e| io(to.display(), e))
}

pub async fn run(
    ctx: &JobContext,
    job: &Extract,
    progress: &Arc<JobProgress>,
) -> Result<(), JobError> {
    let (project, task_id, annotation_id) = (job.project, job.task_id, job.annotation_id);
    let client = ctx.ls()?;
    let review_project = ctx
        .db
        .ls_projects(ppi_store::db::ls::ROLE_REVIEW)
        .await
        .map_err(JobError::from_coded)?
        .first()
        .map(|r| r.0)
        .ok_or_else(|| {
            permanent(
                "ls-no-project",
                "no review project yet: run `ppi ls bootstrap`",
            )
        })?;
    let task = ctx
        .db
        .ls_task(task_id)
        .await
        .map_err(JobError::from_coded)?
        .ok_or_else(|| permanent("task-unknown", format!("PPI has not seen task {task_id}")))?;
    let config = ctx.project_config(project, None).await?;
    let (timeline, _) = config
        .timeline()
        .ok_or_else(|| permanent("ls-config-no-timeline", "no <TimelineLabels> on a <Video>"))?;
    // The neutral label marks speech, not a pattern: it never becomes a clip.
    let result: Vec<Value> = match ctx.settings.label_studio.neutral() {
        Some(neutral) => {
            ppi_label_studio::neutral::without_label(&job.result, &timeline.name, neutral)
        }
        None => job.result.clone(),
    };
    let stage = task_stage(task_id);
    let data_dir = &ctx.settings.server.data_dir;
    let dir = stage_dir(data_dir, &stage);
    // One extraction per task at a time (workers may run two versions at once), and an older
    // version never overwrites a newer one's review tasks.
    let _lock = ctx.lock_dir(&dir).await.map_err(|e| io(dir.display(), e))?;
    let newest = ctx
        .db
        .ls_annotation_version(annotation_id)
        .await
        .map_err(JobError::from_coded)?;
    if let (Some(newest), Some(this)) = (newest.as_deref(), job.updated_at.as_deref()) {
        if this < newest {
            tracing::info!(
                annotation = annotation_id,
                "a newer version of the annotation supersedes this one"
            );
            return Ok(());
        }
    }
    // The task's review shows something else now (another annotator's work came in, the
    // consensus changed, or the task was flagged).
    if !crate::review_target::current(ctx, task_id, job.target.as_deref()).await? {
        tracing::info!(
            task = task_id,
            "the task's review target changed; extraction skipped"
        );
        return Ok(());
    }

    // The video, the annotation as an LS export, the patterns.
    progress.span(0.0, 10.0);
    let lesson = match &task.lesson_id {
        Some(id) => ctx.db.lesson(id).await.map_err(JobError::from_coded)?,
        None => None,
    };
    let media = match (&lesson, task.media_key.as_deref()) {
        (Some(l), _) => MediaRef::Stored(l.source_key.clone()),
        (None, Some(k)) if k.starts_with("key:") => MediaRef::Stored(k[4..].to_owned()),
        _ => {
            let data: Value = serde_json::from_str(&task.data).unwrap_or_default();
            let raw = data["video"].as_str().unwrap_or_default().to_owned();
            match ctx.media_policy().classify("video", &raw) {
                Ok(ppi_label_studio::media::MediaSource::Remote(_)) => MediaRef::Remote(raw),
                Ok(_) => MediaRef::Ls(raw),
                Err(e) => return Err(permanent("task-bad-video-url", e.to_string())),
            }
        }
    };
    let (video, _) = crate::fetch::fetch(ctx, &media, task_id, &dir).await?;
    // Assembly re-cuts corrected crops from it.
    ppi_core::atomic::write(&dir.join("video.path"), video.to_string_lossy().as_bytes())
        .map_err(|e| io(dir.display(), e))?;
    let export = json!([{ "id": task_id, "data": serde_json::from_str::<Value>(&task.data).unwrap_or_default(),
        "annotations": [{"id": annotation_id, "result": result, "was_cancelled": false,
                         "updated_at": job.updated_at, "completed_by": job.completed_by}] }]);
    let annotations = dir.join("annotation.json");
    ppi_core::atomic::write(&annotations, export.to_string().as_bytes())
        .map_err(|e| io(annotations.display(), e))?;
    let patterns = match &ctx.settings.label_studio.patterns {
        Some(p) => p.clone(),
        None => {
            let p = dir.join("patterns.csv");
            labels_csv(&timeline.labels, &p)?;
            p
        }
    };
    let layout = stage_layout(data_dir, &stage);
    let req = BuildRequest {
        video: video.clone(),
        annotations,
        patterns,
        out: layout.root().to_path_buf(),
        mode: ctx.settings.dataset.mode,
        key_frame: ctx.settings.dataset.key_frame,
        faces: ctx.settings.dataset.faces,
        crop: None,
        jobs: ctx.settings.dataset.workers().clamp(1, 4),
        fps: None,
        annotation: AnnotationChoice::Id(annotation_id),
        task: Some(task_id),
        from_name: Some(timeline.name.clone()),
        lesson_id: Some(
            task.lesson_id
                .clone()
                .unwrap_or_else(|| format!("task-{task_id}")),
        ),
        allow_unknown_labels: true,
        jpeg_quality: ctx.settings.dataset.jpeg_quality,
        card: CardSettings::default(),
        wait_for_lock: true,
        agreement: ctx.settings.label_studio.agreement,
        analytics: false,
        scorer: ppi_learn::ModelStore::new(&ctx.settings.server.data_dir).frame_scorer(),
    };
    progress.span(10.0, 70.0);
    let has_intervals = result
        .iter()
        .any(|i| i["from_name"] == timeline.name.as_str());
    if has_intervals {
        let pr = progress.clone();
        tokio::task::spawn_blocking(move || build(&req, pr.as_ref()))
            .await
            .map_err(|e| io("worker thread", e))?
            .map_err(JobError::from_coded)?;
    } else if layout.manifest().is_file() {
        // No pattern left (only neutral regions, or none): no clips, so no review tasks.
        let mut m = Manifest::load(&layout.manifest()).map_err(JobError::from_coded)?;
        for item in std::mem::take(&mut m.items).into_values() {
            ppi_dataset::plan::remove_item_files(&layout, &item.row);
        }
        ppi_dataset::write_index(&layout, &m).map_err(JobError::from_coded)?;
    }
    // Transcripts from the lesson transcript PPI already has.
    let mut manifest = Manifest::load(&layout.manifest()).map_err(JobError::from_coded)?;
    let ids: Vec<ItemId> = manifest.items.keys().cloned().collect();
    // What the lesson's structure says about each item, for learning (its cues).
    let mut stretches = Vec::new();
    if let Some(m) = match &task.media_key {
        Some(k) => ctx.db.media(k).await.map_err(JobError::from_coded)?,
        None => None,
    } {
        let t: ppi_asr::Transcript = serde_json::from_str(&m.transcript).unwrap_or_default();
        stretches = ppi_activity::lesson_stretches(&t);
        ppi_dataset::transcribe::apply(&layout, &mut manifest, &ids, &t, &m.model)
            .map_err(JobError::from_coded)?;
        ppi_dataset::write_index(&layout, &manifest).map_err(JobError::from_coded)?;
    }

    // Review tasks: exactly the affected ones change.
    progress.span(80.0, 20.0);
    let known = ctx
        .db
        .review_items(&stage)
        .await
        .map_err(JobError::from_coded)?;
    let prefix = storage_prefix(lesson.as_ref().map(|l| l.source_key.as_str()), task_id);
    let title = lesson
        .as_ref()
        .map(|l| l.title.clone())
        .unwrap_or_else(|| format!("task {task_id}"));
    let (mut created, mut updated, mut removed) = (0, 0, 0);
    for (id, item) in &manifest.items {
        let key = change_key(item);
        let before = known
            .iter()
            .find(|k| k.item_id == id.as_str() && k.status != REMOVED);
        if before.is_some_and(|b| b.fingerprint == key && b.review_task.is_some()) {
            continue;
        }
        let frames = {
            let (video, dir, layout, item) =
                (video.clone(), dir.clone(), layout.clone(), item.clone());
            let quality = ctx.settings.dataset.jpeg_quality;
            tokio::task::spawn_blocking(move || {
                review_frames(&video, &dir, &layout, &item, quality)
            })
            .await
            .map_err(|e| io("worker thread", e))??
        };
        let data = publish_item(ctx, &layout, &prefix, item, &frames, &title).await?;
        let learning = ppi_learn::fit::Reviewed {
            pattern: item.row.pattern_type.clone(),
            transcript: item.row.transcript.clone(),
            cues: ppi_activity::cues_over(&stretches, item.row.start_time, item.row.end_time),
            candidates: item.candidates.clone(),
        };
        let review_task = match before.and_then(|b| b.review_task) {
            Some(t) => {
                client
                    .patch(&format!("/api/tasks/{t}/"), &json!({ "data": data }))
                    .await
                    .map_err(JobError::from_coded)?;
                updated += 1;
                t
            }
            None => {
                let ids = client
                    .import(review_project, &json!([{ "data": data }]))
                    .await
                    .map_err(JobError::from_coded)?;
                created += 1;
                *ids.first()
                    .ok_or_else(|| permanent("ls-import-empty", "LS created no task"))?
            }
        };
        ctx.db
            .put_review_item(&ReviewItem {
                item_id: id.to_string(),
                stage: stage.clone(),
                source_task: task_id,
                annotation_id,
                lesson_id: task.lesson_id.clone(),
                review_task: Some(review_task),
                fingerprint: key,
                status: PENDING.into(),
                crop: None,
                learning: serde_json::to_string(&learning).ok(),
                frame_choice: None,
            })
            .await
            .map_err(JobError::from_coded)?;
    }
    for gone in known.iter().filter(|k| {
        k.status != REMOVED && !manifest.items.keys().any(|id| id.as_str() == k.item_id)
    }) {
        if let Some(t) = gone.review_task {
            match client.delete(&format!("/api/tasks/{t}/")).await {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(JobError::from_coded(e)),
            }
        }
        ctx.db
            .decide_review_item(&stage, &gone.item_id, REMOVED, None, None)
            .await
            .map_err(JobError::from_coded)?;
        removed += 1;
    }
    tracing::info!(
        task = task_id,
        items = manifest.items.len(),
        created,
        updated,
        removed,
        "clips extracted for review"
    );
    Ok(())
}
