//! The pipeline board (`GET /api/board`): one row per lesson, where it stands from upload to
//! the Hub, with filters for stage and owner and paging. A `DL-user` sees their own lessons.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_store::db::board::{BoardRow, DatasetState, STAGES};

/// Filters and paging of `GET /api/board`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Only lessons whose furthest stage is this one.
    stage: Option<String>,
    /// Only this owner's lessons (admins; a `DL-user` always sees their own).
    owner: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// Links a row offers: the lesson page, its Label Studio task, and for admins (who may read
/// it) its agreement report.
fn links(app: &App, r: &BoardRow, admin: bool) -> Value {
    let ls = app
        .settings
        .label_studio
        .url
        .as_deref()
        .map(|u| u.trim_end_matches('/'));
    json!({
        "lesson": format!("#/lesson/{}", r.id),
        "ls_task": match (ls, r.project, r.task_id) {
            (Some(u), Some(p), Some(t)) => Some(format!("{u}/projects/{p}/data?task={t}")),
            _ => None,
        },
        "agreement": (admin && r.passed.is_some())
            .then(|| format!("/api/ls/agreement?task={}", r.task_id.unwrap_or_default())),
    })
}

pub async fn board(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<BoardQuery>,
) -> ApiResult<Json<Value>> {
    if let Some(s) = q.stage.as_deref() {
        if !STAGES.contains(&s) {
            return Err(ApiError::bad_request(
                "bad-stage",
                format!("stage: {s:?} is not one of {}", STAGES.join(", ")),
            ));
        }
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0);
    let scope = (!caller.is_admin()).then_some(caller.id.as_str());
    let rows = app.db.board_rows(scope).await?;
    let dataset: DatasetState = app.db.dataset_state().await?;
    let mut owners: Vec<String> = rows.iter().map(|r| r.owner.clone()).collect();
    owners.sort_unstable();
    owners.dedup();
    let staged: Vec<(BoardRow, &'static str)> = rows
        .into_iter()
        .filter(|r| q.owner.as_deref().is_none_or(|o| r.owner == o))
        .map(|r| {
            let s = r.stage(dataset.assembled_at, dataset.published_at);
            (r, s)
        })
        .collect();
    let counts: Vec<Value> = STAGES
        .iter()
        .map(|s| json!({"stage": s, "count": staged.iter().filter(|(_, x)| x == s).count()}))
        .collect();
    let chosen: Vec<&(BoardRow, &str)> = staged
        .iter()
        .filter(|(_, s)| q.stage.as_deref().is_none_or(|want| *s == want))
        .collect();
    let total = chosen.len();
    let page: Vec<Value> = chosen
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(r, s)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["stage"] = json!(s);
            v["links"] = links(&app, r, caller.is_admin());
            v
        })
        .collect();
    Ok(Json(json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "stages": counts,
        "owners": owners,
        "dataset": dataset,
        "rows": page,
    })))
}
