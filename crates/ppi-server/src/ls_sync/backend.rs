//! The ML backend's answers to Label Studio: `/setup`, `/predict` and webhook deliveries.
//! Nothing here waits for Whisper: `/predict` answers from what exists and queues the rest.

use serde_json::{json, Value};

use super::queue_event;
use ppi_jobs::JobContext;
use ppi_label_studio::config::LabelConfig;
use ppi_label_studio::model::TaskRecord;
use ppi_label_studio::webhook::{self, LsEvent};
use ppi_store::db::DbError;

/// LS names a project `"<id>.<created unix time>"`.
pub fn project_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.split('.').next()?.parse().ok(),
        _ => None,
    }
}

/// Why `/setup` or `/predict` refused a request.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the project's label config cannot be pre-annotated: {0}")]
    Config(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ppi_core::error::Coded for BackendError {
    fn code(&self) -> &'static str {
        match self {
            BackendError::BadRequest(_) => "ml-bad-request",
            BackendError::Config(_) => "ml-config-unsupported",
            BackendError::Db(e) => e.code(),
        }
    }

    fn kind(&self) -> ppi_core::error::ErrorKind {
        match self {
            BackendError::Db(e) => e.kind(),
            _ => ppi_core::error::ErrorKind::Input,
        }
    }
}

/// `/setup`: remembers the project and its config; refuses configs without a video timeline
/// (LS then shows the reason when the backend is attached).
pub async fn setup(ctx: &JobContext, body: &Value) -> Result<Value, BackendError> {
    let project = project_id(&body["project"])
        .ok_or_else(|| BackendError::BadRequest("\"project\" is missing".into()))?;
    let schema = body["schema"].as_str().unwrap_or_default();
    let config = LabelConfig::parse(schema).map_err(|e| BackendError::Config(e.to_string()))?;
    if config.timeline().is_none() {
        return Err(BackendError::Config(
            "it needs <TimelineLabels> on a <Video> (generate one with `ppi ls config`)".into(),
        ));
    }
    ctx.db
        .upsert_ls_project(project, None, Some(schema))
        .await?;
    Ok(json!({"model_version": super::model_version(&ctx.settings)}))
}

/// `/train`, LS's "Start Training" without the webhook flag (LS 1.23's default): the body
/// carries the annotated tasks, which PPI does not need (it learns from the reviewed items);
/// queues the project's `learn` job, answered at once with it.
pub async fn train(ctx: &JobContext, body: &Value) -> Result<Value, BackendError> {
    let project = project_id(&body["project"])
        .ok_or_else(|| BackendError::BadRequest("\"project\" is missing".into()))?;
    let (job, queued) = ppi_jobs::learn::queue(ctx, Some(project)).await?;
    tracing::info!(project, job = %job.id, queued, "training requested (/train)");
    Ok(json!({"status": if queued { "queued" } else { "already requested" }, "job": job.id}))
}

/// `/predict`: one element per task, in order: the task's prediction when PPI has built it,
/// else `[]` (nothing yet) with the work queued; the job pushes the prediction when done.
pub async fn predict(ctx: &JobContext, body: &Value) -> Result<Value, BackendError> {
    let tasks = body["tasks"]
        .as_array()
        .ok_or_else(|| BackendError::BadRequest("\"tasks\" must be a list".into()))?;
    let project = project_id(&body["project"]);
    let label_config = body["label_config"].as_str();
    if let (Some(p), Some(cfg)) = (project, label_config) {
        ctx.db.upsert_ls_project(p, None, Some(cfg)).await?;
    }
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        let Some(task) = TaskRecord::from_ls(t) else {
            results.push(json!([]));
            continue;
        };
        let id = task.id;
        let cached = ctx
            .db
            .ls_task(id)
            .await?
            .and_then(|row| row.result)
            .and_then(|r| serde_json::from_str::<Value>(&r).ok());
        match cached {
            Some(prediction) => {
                // LS stores what it gets here: the job need not push it as well.
                ctx.db.claim_ls_push(id).await?;
                results.push(prediction);
            }
            None => {
                if let Some(project) = project.or_else(|| t["project"].as_i64()) {
                    let event = LsEvent::TaskCreated { project, task };
                    queue_event(ctx, &event, "PREDICT", "predict", label_config).await?;
                }
                results.push(json!([]));
            }
        }
    }
    Ok(json!({ "results": results }))
}

/// Queues the events of a webhook delivery (after the 2xx has been sent).
pub async fn deliver(ctx: &JobContext, body: Value) {
    let delivery = match webhook::parse(&body) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("{e}");
            let action = body["action"].as_str().unwrap_or("?");
            record(ctx, &body, action, "unreadable", Some(e.to_string())).await;
            return;
        }
    };
    let (mut queued, mut failed) = (0, None);
    for event in &delivery.events {
        match queue_event(
            ctx,
            event,
            &delivery.action,
            "webhook",
            delivery.label_config.as_deref(),
        )
        .await
        {
            Ok(true) => queued += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(action = %delivery.action, "webhook event not queued: {e}");
                failed = Some(ppi_core::error::Coded::code(&e));
            }
        }
    }
    tracing::info!(
        action = %delivery.action,
        events = delivery.events.len(),
        queued,
        "webhook received"
    );
    let n = delivery.events.len();
    let (outcome, detail) = match failed {
        None => (
            ppi_store::db::webhooks::OUTCOME_OK,
            format!("{n} event(s), {queued} new"),
        ),
        Some(code) => ("failed", format!("{n} event(s), not all queued ({code})")),
    };
    record(ctx, &body, &delivery.action, outcome, Some(detail)).await;
}

/// Keeps a delivery as its project's last (for the wiring page), when the project is PPI's:
/// a body naming a project PPI does not know leaves no trace but the log.
pub async fn record(
    ctx: &JobContext,
    body: &Value,
    action: &str,
    outcome: &str,
    detail: Option<String>,
) {
    let Some(project) = project_id(&body["project"]["id"]).or_else(|| project_id(&body["project"]))
    else {
        return;
    };
    let known = match ctx.db.ls_project_roles().await {
        Ok(ps) => ps.iter().any(|(id, _)| *id == project),
        Err(_) => false,
    };
    if !known {
        return;
    }
    if let Err(e) = ctx
        .db
        .record_delivery(project, action, outcome, detail.as_deref())
        .await
    {
        tracing::warn!("webhook delivery not recorded: {e}");
    }
}
