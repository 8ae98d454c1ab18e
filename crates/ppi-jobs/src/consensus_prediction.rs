//! The consensus written back to its Label Studio task as a prediction: `model_version`
//! `consensus-<gate>`, `score` the gate's κ, so that LS's Data Manager shows each task's
//! agreement and, sorted by prediction score, puts the flagged tasks first. A newer consensus
//! replaces the older one; a task that no longer has an agreement loses it.

use serde_json::Value;

use crate::context::JobContext;
use crate::error::JobError;
use ppi_agreement::consensus::Gate;

/// Every consensus prediction's `model_version` starts so.
pub use ppi_label_studio::result::CONSENSUS_PREFIX as PREFIX;

/// The `model_version` of a consensus gated at `gate`.
pub fn model_version(gate: f64) -> String {
    format!("{PREFIX}{gate}")
}

/// The prediction's score: the gate's κ, rounded to 4 places. An undefined κ (everyone marked
/// nothing, or everything) does not pass the gate, and scores -1, the lowest a κ can be, so
/// that the task sorts with the flagged ones.
pub fn score(gate: &Gate) -> f64 {
    gate.value.map_or(-1.0, |k| (k * 1e4).round() / 1e4)
}

/// Whether two gates give the same prediction (version and score).
pub fn same_prediction(a: &Gate, b: &Gate) -> bool {
    a.threshold == b.threshold && score(a) == score(b)
}

fn coded<E: ppi_core::error::Coded + std::fmt::Display>(e: E) -> JobError {
    JobError::from_coded(e)
}

/// Stores the consensus on the task, then removes every older consensus prediction of it (so
/// a failure leaves the older one in place, never none).
pub async fn replace(
    ctx: &JobContext,
    task_id: i64,
    result: &[Value],
    gate: &Gate,
) -> Result<(), JobError> {
    let client = ctx.ls()?;
    let result = Value::Array(result.to_vec());
    let version = model_version(gate.threshold);
    let id = match client
        .create_prediction(task_id, &version, score(gate), &result)
        .await
    {
        Ok(id) => id,
        Err(e) if e.status() == Some(404) || e.status() == Some(400) => {
            // The task is gone from LS (400: LS names a deleted task as invalid).
            tracing::info!(task = task_id, "consensus prediction not stored: {e}");
            return Ok(());
        }
        Err(e) => return Err(coded(e)),
    };
    remove_except(ctx, task_id, Some(id)).await?;
    tracing::info!(task = task_id, prediction = id, model_version = %version,
                   score = score(gate), "consensus written to Label Studio");
    Ok(())
}

/// Removes the task's consensus predictions, but `keep`.
pub async fn remove_except(
    ctx: &JobContext,
    task_id: i64,
    keep: Option<i64>,
) -> Result<(), JobError> {
    let client = ctx.ls()?;
    let predictions = match client.predictions(task_id).await {
        Ok(p) => p,
        Err(e) if e.status() == Some(404) => return Ok(()),
        Err(e) => return Err(coded(e)),
    };
    for p in predictions {
        let ours = p["model_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(PREFIX));
        let (Some(id), true) = (p["id"].as_i64(), ours) else {
            continue;
        };
        if Some(id) == keep {
            continue;
        }
        match client.delete(&format!("/api/predictions/{id}/")).await {
            Ok(()) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Err(coded(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_names_the_gate_and_the_score_is_the_kappa() {
        assert_eq!(model_version(0.6), "consensus-0.6");
        let gate = |value| Gate {
            measure: ppi_agreement::GateMeasure::Pooled,
            threshold: 0.6,
            value,
            passed: false,
        };
        assert_eq!(score(&gate(Some(0.123456))), 0.1235);
        assert_eq!(score(&gate(None)), -1.0);
    }
}
