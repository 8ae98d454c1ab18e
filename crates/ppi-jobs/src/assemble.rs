//! `assemble`: the approved items of every lesson become one dataset under the data dir
//! (`videos/ images/ images_cropped/ audio/ transcripts/ metadata.csv metadata.jsonl README.md
//! data/train-*.parquet`). It is incremental: unchanged items are not copied again, rejected
//! and removed ones leave. Then, when configured, the dataset is published to the Hub.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::JobContext;
use crate::error::{io, permanent, JobError};
use crate::stage::{dataset_layout, stage_layout};
use ppi_core::domain::{CropBox, Fps, ItemId};
use ppi_dataset::layout::{self, Layout};
use ppi_dataset::manifest::{CardSettings, Manifest};
use ppi_store::db::review::APPROVED;

/// What an assembly did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AssembleReport {
    pub items: usize,
    pub copied: usize,
    pub removed: usize,
    pub published: Option<ppi_dataset::hub::PublishReport>,
}

fn copy(from: &Layout, to: &Layout, rel: &str) -> Result<(), JobError> {
    if rel.is_empty() {
        return Ok(());
    }
    let (a, b) = (from.abs(rel), to.abs(rel));
    if let Some(dir) = b.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir.display(), e))?;
    }
    let part = ppi_core::atomic::PartFile::new(&b);
    std::fs::copy(&a, part.path()).map_err(|e| io(a.display(), e))?;
    part.commit().map_err(|e| io(b.display(), e))
}

/// Re-cuts what the reviewer changed: the key frame at the picked candidate (`pick`: time and
/// score), and the cropped key frame with the reviewer's box (or the item's own box, on a
/// newly picked frame).
fn recut(
    stage: &Layout,
    out: &Layout,
    row: &mut ppi_dataset::metadata::Row,
    pick: Option<(f64, f64)>,
    crop: Option<&str>,
    quality: u8,
) -> Result<(), JobError> {
    let boxed = match (crop, pick) {
        (Some(c), _) => Some(c.to_owned()),
        (None, Some(_)) if !row.crop.is_empty() => Some(row.crop.clone()),
        _ => None,
    };
    let c: Option<CropBox> = boxed
        .as_deref()
        .map(|b| {
            b.parse()
                .map_err(|e| permanent("review-bad-crop", format!("{b}: {e}")))
        })
        .transpose()?;
    let video_path = std::fs::read_to_string(stage.root().join("../video.path"))
        .map_err(|e| io("the staged video", e))?;
    let video = std::path::PathBuf::from(video_path.trim());
    let probe = ppi_media::probe(&video).map_err(JobError::from_coded)?;
    let fps = Fps::new(row.fps).map_err(|e| permanent("review-bad-fps", e.to_string()))?;
    let mut src = ppi_media::Source::open(&video, &probe).map_err(JobError::from_coded)?;
    let time = pick.map_or(row.keyframe_time, |(t, _)| t);
    let key = src
        .frame_at(time, fps.frame_duration())
        .map_err(JobError::from_coded)?;
    let id = ItemId::parse(&row.id).ok_or_else(|| permanent("review-bad-item", row.id.clone()))?;
    if let Some((_, score)) = pick {
        key.image
            .save_jpeg(&out.abs(&row.image_file), quality)
            .map_err(JobError::from_coded)?;
        row.keyframe_time = ppi_core::domain::frames::round_ms(key.time);
        row.key_frame_method = "reviewer".into();
        row.key_frame_score = (score * 1e4).round() / 1e4;
    }
    if let (Some(c), Some(b)) = (c, boxed) {
        let rel = layout::cropped_rel(&id);
        key.image
            .crop(c)
            .save_jpeg(&out.abs(&rel), quality)
            .map_err(JobError::from_coded)?;
        row.image_cropped_file = rel;
        row.crop = b;
    }
    Ok(())
}

/// Assembles the dataset from every approved item; publishes it when configured.
pub fn assemble(
    ctx: &JobContext,
) -> futures_util::future::BoxFuture<'_, Result<AssembleReport, JobError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(assembling(ctx))
}

async fn assembling(ctx: &JobContext) -> Result<AssembleReport, JobError> {
    let out = dataset_layout(&ctx.settings.server.data_dir);
    // One writer (assembly and publish) at a time, across processes: the folder's own lock,
    // which `ppi dataset prepare` and `build` take too.
    let locking = out.clone();
    let _lock = tokio::task::spawn_blocking(move || locking.lock(true))
        .await
        .map_err(|e| io("worker thread", e))?
        .map_err(JobError::from_coded)?;
    let approved = ctx
        .db
        .review_items_with(APPROVED)
        .await
        .map_err(JobError::from_coded)?;
    let quality = ctx.settings.dataset.jpeg_quality;
    let settings = ctx.settings.clone();
    // Each lesson's analytics input (annotators, agreed intervals, speech), gathered first.
    let mut inputs: BTreeMap<String, ppi_agreement::analytics::LessonInput> = BTreeMap::new();
    for lesson in approved.iter().filter_map(|a| a.lesson_id.clone()) {
        if inputs.contains_key(&lesson) {
            continue;
        }
        let title = match ctx.db.lesson(&lesson).await.map_err(JobError::from_coded)? {
            Some(l) => l.title,
            None => lesson.clone(),
        };
        if let Some(i) = crate::lesson_analytics::lesson_input(ctx, &lesson, &title)
            .await
            .map_err(JobError::from_coded)?
        {
            inputs.insert(lesson, i);
        }
    }
    let mut report = tokio::task::spawn_blocking(move || -> Result<AssembleReport, JobError> {
        out.create().map_err(|e| io(out.root().display(), e))?;
        let mut m = Manifest::load(&out.manifest()).map_err(JobError::from_coded)?;
        let mut stages: BTreeMap<String, (Layout, Manifest)> = BTreeMap::new();
        let mut keep = BTreeSet::new();
        let mut report = AssembleReport::default();
        for a in &approved {
            if !stages.contains_key(&a.stage) {
                let l = stage_layout(&settings.server.data_dir, &a.stage);
                let sm = Manifest::load(&l.manifest()).map_err(JobError::from_coded)?;
                stages.insert(a.stage.clone(), (l, sm));
            }
            let (sl, sm) = &stages[&a.stage];
            let Some((id, item)) = sm.items.iter().find(|(id, _)| id.as_str() == a.item_id) else {
                tracing::warn!(item = %a.item_id, "approved item missing from its staging folder");
                continue;
            };
            let fingerprint = ppi_core::hash::sha256_hex(
                format!(
                    "{}|{}|{}{}",
                    a.fingerprint,
                    a.crop.as_deref().unwrap_or(""),
                    item.row.transcript,
                    // Without a picked frame, items keep their earlier fingerprints.
                    match a.frame_choice {
                        Some(k) if k > 0 => format!("|frame={k}"),
                        _ => String::new(),
                    }
                )
                .as_bytes(),
            );
            keep.insert(id.clone());
            if m.items
                .get(id)
                .is_some_and(|x| x.fingerprint == fingerprint)
            {
                continue;
            }
            let mut item = item.clone();
            let r = &item.row;
            for rel in r.files() {
                copy(sl, &out, rel)?;
            }
            if !r.transcript_file.is_empty() {
                for ext in ["json", "vtt"] {
                    let rel = layout::transcript_rel(id, ext);
                    if sl.abs(&rel).is_file() {
                        copy(sl, &out, &rel)?;
                    }
                }
            }
            let pick = a
                .frame_choice
                .filter(|k| *k > 0)
                .and_then(|k| item.candidates.get(k as usize))
                .map(|c| (c.time, c.score));
            if a.crop.is_some() || pick.is_some() {
                recut(sl, &out, &mut item.row, pick, a.crop.as_deref(), quality)?;
            }
            item.fingerprint = fingerprint;
            if let Some(l) = sm.lessons.get(&item.lesson) {
                m.lessons.insert(item.lesson.clone(), l.clone());
            }
            for p in &sm.patterns {
                if !m.patterns.iter().any(|q| q.name == p.name) {
                    m.patterns.push(p.clone());
                }
            }
            for model in &sm.transcript_models {
                if !m.transcript_models.contains(model) {
                    m.transcript_models.push(model.clone());
                }
            }
            m.items.insert(id.clone(), item);
            report.copied += 1;
        }
        let gone: Vec<ItemId> = m
            .items
            .keys()
            .filter(|id| !keep.contains(*id))
            .cloned()
            .collect();
        for id in &gone {
            if let Some(item) = m.items.remove(id) {
                for rel in item.row.files() {
                    if !rel.is_empty() {
                        let _ = std::fs::remove_file(out.abs(rel));
                    }
                }
                for ext in ["json", "vtt"] {
                    let _ = std::fs::remove_file(out.abs(&layout::transcript_rel(id, ext)));
                }
            }
        }
        report.removed = gone.len();
        let used: BTreeSet<&str> = m.items.values().map(|i| i.lesson.as_str()).collect();
        m.lessons.retain(|slug, _| used.contains(slug.as_str()));
        m.card = CardSettings {
            pretty_name: settings
                .dataset
                .pretty_name
                .clone()
                .or_else(|| settings.hub.dataset_name.clone())
                .unwrap_or_else(|| "PPI classroom patterns".into()),
            license: settings.dataset.license.clone(),
            languages: settings.dataset.languages.clone(),
            repo_id: settings.hub.repo_id(),
            parquet: true,
        };
        // Analytics per lesson in the dataset; lessons that left take theirs along.
        for (slug, lesson) in &m.lessons {
            if let Some(input) = inputs.get(&lesson.lesson_id) {
                if let Err(e) = ppi_dataset::analytics::write(&out, slug, input) {
                    tracing::warn!(lesson = %lesson.lesson_id, "analytics not written: {e}");
                }
            }
        }
        for (slug, _) in ppi_dataset::analytics::summaries(&out) {
            if !m.lessons.contains_key(&slug) {
                ppi_dataset::analytics::remove(&out, &slug);
            }
        }
        ppi_dataset::write_index(&out, &m).map_err(JobError::from_coded)?;
        report.items = m.items.len();
        Ok(report)
    })
    .await
    .map_err(|e| io("worker thread", e))??;
    let hub = &ctx.settings.hub;
    if hub.auto_publish {
        if let (Some(token), Some(repo)) = (&hub.token, hub.repo_id()) {
            let client = ppi_dataset::hub::HubClient::new(&hub.endpoint, token)
                .map_err(JobError::from_coded)?;
            let opts = ppi_dataset::hub::PublishOptions {
                repo,
                private: hub.private,
                message: format!("PPI: {} approved clip(s)", report.items),
            };
            let dataset = dataset_layout(&ctx.settings.server.data_dir);
            let published = ppi_dataset::hub::publish(&client, dataset.root(), &opts)
                .await
                .map_err(JobError::from_coded)?;
            tracing::info!(repo = %published.repo, sent = published.changed, lfs_bytes = published.lfs_bytes, "dataset published");
            crate::dataset_publish::audit(ctx, None, &published).await;
            report.published = Some(published);
        }
    }
    tracing::info!(
        items = report.items,
        copied = report.copied,
        removed = report.removed,
        "dataset assembled"
    );
    Ok(report)
}

/// `assemble`, then (when `[learn] after_assembly`) a `learn` job keyed by the decisions, so
/// the same decisions are learned from once.
pub async fn run(ctx: &JobContext) -> Result<(), JobError> {
    assemble(ctx).await?;
    if !ctx.settings.learn.after_assembly {
        return Ok(());
    }
    crate::learn::queue(ctx, None)
        .await
        .map_err(JobError::from_coded)?;
    Ok(())
}
