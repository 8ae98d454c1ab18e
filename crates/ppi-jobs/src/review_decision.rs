//! `review-decision`: an Approve or Reject saved in the review project (optionally with a
//! corrected crop box on the key frame, or another of the key-frame candidates) updates its
//! item; when every item of a task has a decision, assembly is queued. A review for a task
//! PPI did not create is ignored and logged.

use serde_json::Value;

use crate::context::JobContext;
use crate::error::JobError;
use crate::payload::{Assemble, Job, ReviewDecision};
use ppi_core::domain::CropBox;
use ppi_store::db::review::{APPROVED, PENDING, REJECTED};

/// What a reviewer decided on one review task.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// `approved` or `rejected`.
    pub status: Option<&'static str>,
    /// A corrected crop box, `x,y,w,h` in percent.
    pub crop: Option<String>,
    /// The key-frame candidate picked (0 is the chosen frame), from "Frame N".
    pub frame: Option<i64>,
}

/// The verdict, crop box and frame choice of a review result.
pub fn verdict(result: &[Value]) -> Verdict {
    let mut verdict = None;
    let mut crop = None;
    let mut frame = None;
    for item in result {
        match item["type"].as_str() {
            Some("choices") if item["from_name"] == "key_frame" => {
                frame = item["value"]["choices"][0]
                    .as_str()
                    .and_then(|c| c.strip_prefix("Frame "))
                    .and_then(|n| n.trim().parse::<i64>().ok())
                    .filter(|n| (1..=crate::extract::REVIEW_FRAMES as i64).contains(n))
                    .map(|n| n - 1);
            }
            Some("choices") => {
                let choices = item["value"]["choices"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if choices.iter().any(|c| c == "Approve") {
                    verdict = Some(APPROVED);
                } else if choices.iter().any(|c| c == "Reject") {
                    verdict = Some(REJECTED);
                }
            }
            Some("rectanglelabels" | "rectangle") => {
                let v = &item["value"];
                if let (Some(x), Some(y), Some(w), Some(h)) = (
                    v["x"].as_f64(),
                    v["y"].as_f64(),
                    v["width"].as_f64(),
                    v["height"].as_f64(),
                ) {
                    if CropBox::new(x, y, w, h).is_ok() {
                        crop = Some(format!("{x:.3},{y:.3},{w:.3},{h:.3}"));
                    }
                }
            }
            _ => {}
        }
    }
    Verdict {
        status: verdict,
        crop,
        frame,
    }
}

/// Applies a reviewer's decision; when every item of its task has one, queues assembly.
pub async fn run(ctx: &JobContext, job: &ReviewDecision) -> Result<(), JobError> {
    let review_task = job.review_task;
    let Some(item) = ctx
        .db
        .review_item_by_task(review_task)
        .await
        .map_err(JobError::from_coded)?
    else {
        tracing::warn!(
            review_task,
            "a review for a task PPI did not create: ignored"
        );
        return Ok(());
    };
    if job.annotation.was_cancelled {
        return Ok(());
    }
    let Verdict {
        status,
        crop,
        frame,
    } = verdict(&job.annotation.result);
    let Some(verdict) = status else {
        tracing::warn!(review_task, "a review without Approve or Reject: ignored");
        return Ok(());
    };
    ctx.db
        .decide_review_item(&item.stage, &item.item_id, verdict, crop.as_deref(), frame)
        .await
        .map_err(JobError::from_coded)?;
    tracing::info!(item = %item.item_id, verdict, "review decision");
    let items = ctx
        .db
        .review_items(&item.stage)
        .await
        .map_err(JobError::from_coded)?;
    if items.iter().any(|i| i.status == PENDING) {
        return Ok(());
    }
    // Every item decided: assemble (keyed by the decisions, so a repeat is a no-op).
    let state: String = items
        .iter()
        .map(|i| {
            format!(
                "{}={}:{}:{};",
                i.item_id,
                i.status,
                i.crop.as_deref().unwrap_or(""),
                i.frame_choice.unwrap_or(0)
            )
        })
        .collect();
    let key = format!(
        "assemble:{}:{}",
        item.stage,
        &ppi_core::hash::sha256_hex(state.as_bytes())[..16]
    );
    let job = Job::Assemble(Assemble {
        stage: Some(item.stage.clone()),
        ..Assemble::default()
    });
    ctx.enqueue(&job, &key, item.lesson_id.as_deref(), None)
        .await
        .map_err(JobError::from_coded)?;
    Ok(())
}
