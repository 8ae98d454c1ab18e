//! Job status and cancellation.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use crate::app::App;
use crate::db::jobs::JobRecord;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};

/// A job the caller may see (others' jobs are reported as missing, not forbidden).
async fn visible(app: &App, caller: &Caller, id: &str) -> ApiResult<JobRecord> {
    let missing = || ApiError::not_found("job-not-found", format!("no job {id}"));
    if crate::domain::EntityId::parse(id).is_none() {
        return Err(missing());
    }
    let job = app.db.job(id).await?.ok_or_else(missing)?;
    match &job.owner_id {
        Some(owner) if !caller.may_access(owner) => Err(missing()),
        None if !caller.is_admin() => Err(missing()),
        _ => Ok(job),
    }
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
    let job = app
        .db
        .cancel_job(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("job-not-found", format!("no job {id}")))?;
    // A job canceled before it ran leaves its lesson unprocessed: say so on the lesson.
    if job.status == crate::db::jobs::CANCELED {
        if let Some(lesson) = &job.lesson_id {
            app.db
                .finish_lesson(
                    lesson,
                    crate::db::lessons::FAILED,
                    None,
                    None,
                    None,
                    Some("processing was canceled"),
                )
                .await?;
        }
    }
    Ok(Json(job))
}
