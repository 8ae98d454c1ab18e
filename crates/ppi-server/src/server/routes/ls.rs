//! What PPI knows about Label Studio, for admins: a task's pre-annotation state and the
//! annotations received for a project.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};

fn admin(caller: &Caller) -> ApiResult<()> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("Label Studio state is for admins"))
    }
}

pub async fn task(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    admin(&caller)?;
    let t = app.db.ls_task(id).await?.ok_or_else(|| {
        ApiError::not_found("ls-task-not-found", format!("PPI has not seen task {id}"))
    })?;
    let transcribed = match &t.media_key {
        Some(k) => app.db.media(k).await?.is_some(),
        None => false,
    };
    Ok(Json(json!({
        "task_id": t.task_id, "project": t.project, "lesson_id": t.lesson_id,
        "transcribed": transcribed, "model_version": t.model_version,
        "prediction": t.result.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
        "prediction_id": t.prediction_id, "pushed": t.pushed_at.is_some(), "error": t.error,
    })))
}

#[derive(serde::Deserialize)]
pub struct ProjectQuery {
    project: i64,
}

pub async fn annotations(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<ProjectQuery>,
) -> ApiResult<Json<Value>> {
    admin(&caller)?;
    let items: Vec<Value> = app
        .db
        .ls_annotations(q.project)
        .await?
        .into_iter()
        .map(|a| {
            let parse = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
                    .unwrap_or(Value::Null)
            };
            json!({"annotation_id": a.annotation_id, "task_id": a.task_id,
                   "updated_at": a.ls_updated_at, "status": a.status,
                   "intervals": parse(&a.intervals), "errors": parse(&a.errors)})
        })
        .collect();
    Ok(Json(json!({ "annotations": items })))
}

/// `project` or `task`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementQuery {
    project: Option<i64>,
    task: Option<i64>,
}

/// A task's whole agreement report, its consensus and what review shows.
pub(crate) async fn task_agreement(app: &App, task: i64) -> ApiResult<Value> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let a = app.db.agreement(task).await?.ok_or_else(|| {
        ApiError::not_found(
            "agreement-not-found",
            format!("task {task} has no agreement (fewer than two accepted annotations)"),
        )
    })?;
    let target = app.db.review_target(task).await?;
    let report = parse(&a.report);
    let machine = bench_of(&report).map(|b| b.brief());
    Ok(json!({
        "task_id": a.task_id, "project": a.project, "annotators": a.annotators,
        "passed": a.passed != 0, "review_target": target,
        "report": report, "consensus": parse(&a.consensus), "machine": machine,
    }))
}

/// The agreement figures: a task's whole report, or a project's tasks in brief.
pub async fn agreement(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<AgreementQuery>,
) -> ApiResult<Json<Value>> {
    admin(&caller)?;
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    match (q.task, q.project) {
        (Some(task), _) => Ok(Json(task_agreement(&app, task).await?)),
        (None, Some(project)) => {
            let rows = app.db.agreements(project).await?;
            let matrix = project_matrix(&rows);
            let machine = project_machine(&rows).map(|b| b.brief());
            let tasks: Vec<Value> = rows
                .into_iter()
                .map(|a| {
                    let r = parse(&a.report);
                    json!({"task_id": a.task_id, "annotators": a.annotators, "passed": a.passed != 0,
                           "gate": r["gate"], "pooled": r["frame"]["pooled"],
                           "macro_kappa": r["frame"]["macro_kappa"], "f1": r["intervals"]["f1"],
                           "segment_kappa": r["intervals"]["segment_kappa"],
                           "consensus_intervals": r["consensus"].as_array().map(Vec::len)})
                })
                .collect();
            Ok(Json(
                json!({ "project": project, "tasks": tasks, "matrix": matrix, "machine": machine }),
            ))
        }
        (None, None) => Err(ApiError::bad_request(
            "agreement-query",
            "give ?project=ID or ?task=ID",
        )),
    }
}

/// The annotator matrix over a project's tasks: each stored report's matrix, summed (a report
/// stored before the matrix existed adds nothing).
pub(crate) fn project_matrix(
    rows: &[ppi_store::db::agreement::AgreementRow],
) -> ppi_agreement::matrix::Matrix {
    let parts: Vec<ppi_agreement::matrix::Matrix> = rows
        .iter()
        .filter_map(|a| {
            let r: Value = serde_json::from_str(&a.report).ok()?;
            serde_json::from_value(r.get("matrix")?.clone()).ok()
        })
        .collect();
    ppi_agreement::matrix::Matrix::merge(&parts)
}

/// The machine's bench stored in a report (`None`: no prediction was measured).
fn bench_of(report: &Value) -> Option<ppi_agreement::machine::Bench> {
    serde_json::from_value(report.get("machine")?.clone()).ok()
}

/// The machine against the humans over a project's tasks, per model version: each stored
/// report's bench, summed (`None` when no task's prediction was measured).
pub(crate) fn project_machine(
    rows: &[ppi_store::db::agreement::AgreementRow],
) -> Option<ppi_agreement::machine::Bench> {
    let parts: Vec<ppi_agreement::machine::Bench> = rows
        .iter()
        .filter_map(|a| bench_of(&serde_json::from_str(&a.report).ok()?))
        .collect();
    (!parts.is_empty()).then(|| ppi_agreement::machine::Bench::merge(&parts))
}
