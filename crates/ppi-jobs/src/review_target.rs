//! What review shows for a Label Studio task: its *review target*, decided again whenever one
//! of its annotations is saved, changed or deleted.
//!
//! - fewer accepted annotations than needed: nothing (waiting);
//! - one, where one annotator is planned: that annotation (PPI's behaviour before agreement);
//! - two or more: their agreement is measured and stored (with each model version's
//!   prediction measured against their consensus), and the gated consensus goes to review;
//!   below the gate the task is flagged for adjudication (the LS task's
//!   `meta.ppi_agreement`, and the report) and nothing of it is reviewed.
//!
//! The target is a key (`annotation:<id>:<updated_at>`, `consensus:<task>:<hash>`,
//! `flagged:…`, `waiting:…`): extraction runs once per key and skips a key that is no longer the
//! task's target, and a consensus that did not change keeps its review tasks untouched.

use serde_json::{json, Value};

use crate::consensus_prediction;
use crate::context::JobContext;
use crate::error::JobError;
use crate::payload::{Assemble, Extract, Job};
use ppi_agreement::{Marking, Options, Span};
use ppi_core::domain::FrameRange;
use ppi_label_studio::config::LabelConfig;

/// A target whose clips are extracted.
const ANNOTATION: &str = "annotation:";
const CONSENSUS: &str = "consensus:";

fn coded<E: ppi_core::error::Coded + std::fmt::Display>(e: E) -> JobError {
    JobError::from_coded(e)
}

/// One accepted annotation's intervals as an annotator's marking.
pub fn marking(a: &ppi_store::db::agreement::AcceptedAnnotation, skip: Option<&str>) -> Marking {
    let intervals: Vec<Value> = a
        .intervals
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let skip = skip.map(ppi_core::catalog::match_key);
    Marking {
        annotator: a
            .completed_by
            .clone()
            .unwrap_or_else(|| format!("annotation {}", a.annotation_id)),
        annotation_id: Some(a.annotation_id),
        spans: intervals
            .iter()
            .filter_map(|i| {
                let label = i["label"].as_str()?;
                if skip.as_deref() == Some(ppi_core::catalog::match_key(label).as_str()) {
                    return None;
                }
                let r = FrameRange::new(i["start"].as_i64()?, i["end"].as_i64()?).ok()?;
                Some(Span::from_range(label, r))
            })
            .collect(),
    }
}

/// The consensus as Label Studio timeline results, for extraction.
fn consensus_result(spans: &[Span], config: &LabelConfig) -> Vec<Value> {
    let Some((timeline, video)) = config.timeline() else {
        return Vec::new();
    };
    spans
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let r = s.to_range()?;
            Some(
                json!({"id": format!("consensus{:03}", i + 1), "from_name": timeline.name,
                        "to_name": video.name, "type": "timelinelabels",
                        "value": {"ranges": [{"start": r.start(), "end": r.end()}],
                                  "timelinelabels": [s.label]}}),
            )
        })
        .collect()
}

/// The lesson's length in LS frames, when PPI knows the video.
async fn lesson_frames(
    ctx: &JobContext,
    task_id: i64,
    config: &LabelConfig,
) -> Result<u64, JobError> {
    let Some(task) = ctx.db.ls_task(task_id).await.map_err(coded)? else {
        return Ok(0);
    };
    let (Some(key), Some((_, video))) = (&task.media_key, config.timeline()) else {
        return Ok(0);
    };
    let data = serde_json::from_str(&task.data).unwrap_or_default();
    Ok(ctx
        .db
        .media(key)
        .await
        .map_err(coded)?
        .map(|m| (m.duration * LabelConfig::fps(video, &data)).ceil() as u64)
        .unwrap_or(0))
}

/// Marks (or clears, with `None`) the LS task for adjudication.
async fn flag(ctx: &JobContext, task_id: i64, note: Option<Value>) -> Result<(), JobError> {
    let client = ctx.ls()?;
    match client
        .patch(
            &format!("/api/tasks/{task_id}/"),
            &json!({"meta": {"ppi_agreement": note}}),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(404) => Ok(()),
        Err(e) => Err(coded(e)),
    }
}

/// Forgets the task's agreement: fewer annotations than needed, or one. Its consensus
/// prediction leaves Label Studio with it.
async fn forget_agreement(ctx: &JobContext, task_id: i64, had: bool) -> Result<(), JobError> {
    ctx.db.delete_agreement(task_id).await.map_err(coded)?;
    if had {
        consensus_prediction::remove_except(ctx, task_id, None).await?;
    }
    Ok(())
}

/// Decides the task's review target again and acts on a change.
pub async fn reconsider(ctx: &JobContext, project: i64, task_id: i64) -> Result<(), JobError> {
    if ctx
        .db
        .ls_projects(ppi_store::db::ls::ROLE_REVIEW)
        .await
        .map_err(coded)?
        .is_empty()
    {
        return Ok(());
    }
    let accepted = ctx.db.accepted_annotations(task_id).await.map_err(coded)?;
    let planned = ctx.db.project_annotators(project).await.map_err(coded)?;
    let a = &ctx.settings.label_studio.agreement;
    let needed = a.min_annotations.map(i64::from).unwrap_or(planned).max(1) as usize;
    let config = ctx.project_config(project, None).await?;
    let mut by = Value::Null;
    let before = ctx.db.agreement(task_id).await.map_err(coded)?;
    let (target, result): (String, Option<Vec<Value>>) = if accepted.len() < needed {
        forget_agreement(ctx, task_id, before.is_some()).await?;
        (format!("waiting:{}/{needed}", accepted.len()), None)
    } else if accepted.len() == 1 {
        let a = &accepted[0];
        forget_agreement(ctx, task_id, before.is_some()).await?;
        by = a
            .completed_by
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null);
        let result: Vec<Value> = serde_json::from_str(&a.result).unwrap_or_default();
        (
            format!("{ANNOTATION}{}:{}", a.annotation_id, a.ls_updated_at),
            Some(result),
        )
    } else {
        let neutral = ctx.settings.label_studio.neutral();
        let markings: Vec<Marking> = accepted.iter().map(|x| marking(x, neutral)).collect();
        let labels: Vec<String> = config
            .timeline()
            .map(|(t, _)| t.labels.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|l| {
                neutral.is_none_or(|n| {
                    ppi_core::catalog::match_key(n) != ppi_core::catalog::match_key(l)
                })
            })
            .collect();
        let o = Options {
            frames: lesson_frames(ctx, task_id, &config).await?,
            iou: a.iou,
            labels: None,
            all_labels: labels,
            gate: a.gate,
            gate_measure: a.measure,
            consensus: a.consensus,
        };
        // The machine as one more annotator: each model version's prediction against the
        // consensus, beside the humans pairwise (the gate and the consensus are the humans').
        let (machines, fps) = crate::machine::markings(ctx, task_id, &config).await;
        let mut report = ppi_agreement::analyse(&markings, &o);
        ppi_agreement::add_machine_bench(&mut report, &markings, &machines, fps);
        let result = consensus_result(&report.consensus, &config);
        let key = ppi_core::hash::sha256_hex(
            serde_json::to_string(&report.consensus)
                .unwrap_or_default()
                .as_bytes(),
        );
        let row = ppi_store::db::agreement::AgreementRow {
            task_id,
            project,
            report: serde_json::to_string(&report).unwrap_or_default(),
            consensus: Value::Array(result.clone()).to_string(),
            passed: i64::from(report.gate.passed),
            annotators: markings.len() as i64,
            updated_at: 0,
        };
        // LS's own views: the consensus as a scored prediction, written again when it or its
        // κ changed. Before the row is kept, so that a failure here is retried as a change.
        let unchanged = before.as_ref().is_some_and(|b| {
            let old: Value = serde_json::from_str(&b.report).unwrap_or_default();
            let old_gate = serde_json::from_value(old["gate"].clone()).ok();
            b.consensus == row.consensus
                && old_gate.is_some_and(|g| consensus_prediction::same_prediction(&g, &report.gate))
        });
        if !unchanged {
            consensus_prediction::replace(ctx, task_id, &result, &report.gate).await?;
        }
        ctx.db.put_agreement(&row).await.map_err(coded)?;
        tracing::info!(
            task = task_id,
            annotators = markings.len(),
            kappa = ?report.gate.value,
            passed = report.gate.passed,
            consensus = report.consensus.len(),
            "agreement measured"
        );
        if report.gate.passed {
            by = json!(format!("consensus of {}", report.annotators.join(", ")));
            (format!("{CONSENSUS}{task_id}:{}", &key[..16]), Some(result))
        } else {
            let note = json!({"status": "flagged for adjudication", "measure": report.gate.measure,
                              "kappa": report.gate.value, "gate": report.gate.threshold,
                              "annotators": report.annotators});
            let previous = ctx.db.review_target(task_id).await.map_err(coded)?;
            let target = format!("flagged:{}", &key[..16]);
            if previous.as_deref() != Some(target.as_str()) {
                flag(ctx, task_id, Some(note)).await?;
            }
            (target, None)
        }
    };
    let previous = ctx.db.review_target(task_id).await.map_err(coded)?;
    if previous.as_deref() == Some(target.as_str()) {
        return Ok(());
    }
    if previous
        .as_deref()
        .is_some_and(|p| p.starts_with("flagged:"))
        && !target.starts_with("flagged:")
    {
        flag(ctx, task_id, None).await?;
    }
    ctx.db
        .set_review_target(task_id, &target)
        .await
        .map_err(coded)?;
    match result {
        Some(result) => {
            let (annotation_id, updated_at) = match target.strip_prefix(ANNOTATION) {
                Some(rest) => {
                    let (id, at) = rest.split_once(':').unwrap_or((rest, ""));
                    (id.parse::<i64>().unwrap_or(0), at.to_owned())
                }
                // The consensus is annotation 0 of its task; its version is the target.
                None => (0, target.clone()),
            };
            // A target may come back (consensus, flagged, the same consensus again): each
            // change is its own extraction.
            let job = Job::Extract(Extract {
                project,
                task_id,
                annotation_id,
                result,
                updated_at: Some(updated_at),
                target: Some(target.clone()),
                completed_by: by,
            });
            ctx.enqueue(
                &job,
                &format!("extract:{target}:{}", ppi_store::db::now_ms()),
                None,
                None,
            )
            .await
            .map_err(coded)?;
        }
        None => withdraw_task(ctx, task_id).await?,
    }
    Ok(())
}

/// Whether an extraction of `target` is still what the task's review should show.
pub async fn current(
    ctx: &JobContext,
    task_id: i64,
    target: Option<&str>,
) -> Result<bool, JobError> {
    let Some(target) = target else {
        return Ok(true);
    };
    Ok(ctx
        .db
        .review_target(task_id)
        .await
        .map_err(coded)?
        .as_deref()
        == Some(target))
}

/// Takes every clip of a task out of review (and, if any was approved, out of the dataset at
/// the next assembly, which is queued): its annotations were deleted, or it waits for more,
/// or its annotators disagree.
pub async fn withdraw_task(ctx: &JobContext, task_id: i64) -> Result<(), JobError> {
    use ppi_store::db::review::{APPROVED, REMOVED};
    let stage = crate::stage::task_stage(task_id);
    let items = ctx
        .db
        .review_items(&stage)
        .await
        .map_err(JobError::from_coded)?;
    let mut approved = false;
    let mut withdrawn = 0;
    for item in items.iter().filter(|i| i.status != REMOVED) {
        if let (Some(t), Some(client)) = (item.review_task, ctx.ls.as_ref()) {
            match client.delete(&format!("/api/tasks/{t}/")).await {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(JobError::from_coded(e)),
            }
        }
        approved |= item.status == APPROVED;
        ctx.db
            .decide_review_item(&item.stage, &item.item_id, REMOVED, None, None)
            .await
            .map_err(JobError::from_coded)?;
        withdrawn += 1;
    }
    if approved {
        let job = Job::Assemble(Assemble {
            withdrawn_task: Some(task_id),
            ..Assemble::default()
        });
        let key = format!("assemble:withdrawn:{task_id}:{}", ppi_store::db::now_ms());
        ctx.enqueue(&job, &key, None, None)
            .await
            .map_err(JobError::from_coded)?;
    }
    if withdrawn > 0 {
        tracing::info!(
            task = task_id,
            clips = withdrawn,
            "the task's clips left review"
        );
    }
    Ok(())
}
