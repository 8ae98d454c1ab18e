//! Job status and cancellation.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::db::jobs::JobRecord;

/// A job the caller may see (others' jobs are reported as missing, not forbidden).
pub(crate) async fn visible(app: &App, caller: &Caller, id: &str) -> ApiResult<JobRecord> {
    let missing = || ApiError::not_found("job-not-found", format!("no job {id}"));
    if ppi_core::domain::EntityId::parse(id).is_none() {
        return Err(missing());
    }
    let job = app.db.job(id).await?.ok_or_else(missing)?;
    match &job.owner_id {
        Some(owner) if !caller.may_access(owner) => Err(missing()),
        None if !caller.is_admin() => Err(missing()),
        _ => Ok(job),
    }
}

/// Filters of `GET /api/jobs`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFilter {
    kind: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
}

/// The newest jobs: an admin sees all, a `DL-user` their own.
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(f): Query<JobFilter>,
) -> ApiResult<Json<serde_json::Value>> {
    let owner = (!caller.is_admin()).then(|| caller.id.clone());
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    let jobs = app
        .db
        .list_jobs(
            owner.as_deref(),
            f.kind.as_deref(),
            f.status.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(serde_json::json!({ "jobs": jobs })))
}

pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<JobRecord>> {
    Ok(Json(visible(&app, &caller, &id).await?))
}

pub async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<JobRecord>> {
    visible(&app, &caller, &id).await?;
    Ok(Json(cancel_visible(&app, &id).await?))
}

/// Queues a failed or canceled job again (201 with the new job; 200 with the retry queued
/// before, when asked twice).
pub async fn retry(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(axum::http::StatusCode, Json<serde_json::Value>)> {
    let job = visible(&app, &caller, &id).await?;
    let (again, created) = ppi_jobs::retry::retry(&app.jobs, &job).await?;
    let status = if created {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::json!({"job": again, "retry_of": job.id, "queued": created})),
    ))
}

/// Cancels a job the caller was shown to see ([`visible`]).
pub(crate) async fn cancel_visible(app: &App, id: &str) -> ApiResult<JobRecord> {
    let job = app
        .db
        .cancel_job(id)
        .await?
        .ok_or_else(|| ApiError::not_found("job-not-found", format!("no job {id}")))?;
    app.jobs.cancel_running(id);
    // A job canceled before it ran leaves its lesson unprocessed: say so on the lesson.
    if job.status == ppi_store::db::jobs::CANCELED {
        if let Some(lesson) = &job.lesson_id {
            app.db
                .finish_lesson(
                    lesson,
                    ppi_store::db::lessons::FAILED,
                    None,
                    None,
                    None,
                    Some("processing was canceled"),
                )
                .await?;
        }
    }
    Ok(job)
}
