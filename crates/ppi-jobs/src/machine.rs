//! The machine's side of a task's agreement: the task's predictions in Label Studio (every
//! model version's, PPI's consensus predictions left out), as markings named by their model
//! version, so that the agreement job measures them like one more annotator.

use serde_json::{Map, Value};

use crate::context::JobContext;
use ppi_agreement::Marking;
use ppi_core::domain::Fps;
use ppi_label_studio::config::LabelConfig;
use ppi_label_studio::export::parse_prediction;
use ppi_label_studio::model::ExportTask;
use ppi_label_studio::result::prediction_markings;

/// The task's predictions as markings on the pattern lane, and the frame rate of their
/// frames. A prediction LS cannot give (unreachable, or a result PPI cannot read) leaves the
/// machine out of this measurement, with a warning: the humans' agreement does not wait on it.
pub async fn markings(ctx: &JobContext, task_id: i64, config: &LabelConfig) -> (Vec<Marking>, f64) {
    let Some((timeline, video)) = config.timeline() else {
        return (Vec::new(), 0.0);
    };
    let data: Map<String, Value> = match ctx.db.ls_task(task_id).await {
        Ok(Some(t)) => serde_json::from_str(&t.data).unwrap_or_default(),
        _ => Map::new(),
    };
    let fps = LabelConfig::fps(video, &data);
    let Ok(client) = ctx.ls() else {
        return (Vec::new(), fps);
    };
    let list = match client.predictions(task_id).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(task = task_id, error = %e, "the machine's predictions are not measured");
            return (Vec::new(), fps);
        }
    };
    let predictions: Result<Vec<_>, _> = list
        .iter()
        .enumerate()
        .map(|(i, p)| parse_prediction(p, &format!("task {task_id} prediction [{i}]")))
        .collect();
    let task = ExportTask {
        id: Some(task_id),
        data,
        predictions: match predictions {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(task = task_id, field = %e.pointer, detail = %e.detail,
                               "a prediction PPI cannot read: the machine is not measured");
                return (Vec::new(), fps);
            }
        },
        pointer: format!("task {task_id}"),
        ..ExportTask::default()
    };
    let Ok(rate) = Fps::new(fps) else {
        return (Vec::new(), fps);
    };
    match prediction_markings(
        &task,
        Some(&timeline.name),
        rate,
        ctx.settings.label_studio.neutral(),
    ) {
        Ok(m) => (m, fps),
        Err(e) => {
            tracing::warn!(task = task_id, field = %e.pointer, detail = %e.detail,
                           "the machine's predictions are not measured");
            (Vec::new(), fps)
        }
    }
}
