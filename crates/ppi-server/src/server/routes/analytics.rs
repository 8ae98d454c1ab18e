//! Corpus analytics (`GET /api/analytics`): the figures, each chart's table, and links to each
//! chart as SVG (`/api/analytics/<chart>.svg`) and its table as CSV (`<chart>.csv`), for the
//! whole corpus or `?lessons=a,b`. An admin reads every lesson, a `DL-user` their own.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::corpus::{self, SelectionError};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_agreement::corpus::{charts, tables, Corpus};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Lesson ids, comma-separated; absent or blank: the whole corpus.
    lessons: Option<String>,
}

fn refused(e: SelectionError) -> ApiError {
    match e {
        SelectionError::Unknown(_) => ApiError::not_found("lesson-not-found", e.to_string()),
        SelectionError::Db(d) => d.into(),
        SelectionError::Failed(_) => {
            tracing::error!("analytics: {e}");
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "analytics-failed",
                "the figures could not be added up; see the server's log",
            )
        }
        _ => ApiError::bad_request("bad-lessons", e.to_string()),
    }
}

async fn figures(app: &App, caller: &Caller, s: &Selection) -> ApiResult<Corpus> {
    let owner = (!caller.is_admin()).then_some(caller.id.as_str());
    let chosen = corpus::parse_selection(s.lessons.as_deref()).map_err(refused)?;
    corpus::figures(&app.db, owner, chosen.as_deref())
        .await
        .map_err(refused)
}

pub async fn summary(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(s): Query<Selection>,
) -> ApiResult<Json<Value>> {
    let c = figures(&app, &caller, &s).await?;
    let query = s
        .lessons
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("?lessons={}", l.trim()))
        .unwrap_or_default();
    let charts: Vec<Value> = tables::CHARTS
        .iter()
        .map(|n| {
            json!({"name": n, "svg": format!("/api/analytics/{n}.svg{query}"),
                   "csv": format!("/api/analytics/{n}.csv{query}")})
        })
        .collect();
    Ok(Json(json!({
        "figures": c,
        "tables": tables::all(&c),
        "charts": charts,
    })))
}

/// A chart's SVG or its table's CSV: `<chart>.svg` or `<chart>.csv`.
pub async fn file(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(file): Path<String>,
    Query(s): Query<Selection>,
) -> ApiResult<Response> {
    let missing = || {
        ApiError::not_found(
            "chart-not-found",
            format!(
                "no chart {file:?}: ask for <name>.svg or <name>.csv, name one of {}",
                tables::CHARTS.join(", ")
            ),
        )
    };
    let (name, ext) = file.rsplit_once('.').ok_or_else(missing)?;
    if !tables::CHARTS.contains(&name) || !matches!(ext, "svg" | "csv") {
        return Err(missing());
    }
    let c = figures(&app, &caller, &s).await?;
    if ext == "svg" {
        // Drawing is CPU work: off the async runtime.
        let chart = name.to_owned();
        let svg = tokio::task::spawn_blocking(move || charts::chart(&c, &chart))
            .await
            .map_err(|e| {
                tracing::error!("analytics chart: {e}");
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "plot-failed",
                    "the chart could not be drawn; see the server's log",
                )
            })?
            .ok_or_else(missing)??;
        return Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response());
    }
    let t = tables::table(&c, name).ok_or_else(missing)?;
    let body = csv_text(&t).map_err(|e| {
        tracing::error!("analytics CSV: {e}");
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "csv-failed",
            "the CSV could not be written; see the server's log",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ppi-{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The table as CSV. A text cell that a spreadsheet would read as a formula (a title starting
/// with `=`, `+`, `-` or `@`) is quoted with a leading `'`; numbers are written as they are.
fn csv_text(t: &tables::Table) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.columns)?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| safe_cell(c).into_owned()))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn safe_cell(c: &str) -> std::borrow::Cow<'_, str> {
    let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && c.trim_end_matches('%').parse::<f64>().is_err() {
        format!("'{c}").into()
    } else {
        c.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(super::safe_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::safe_cell("-0.125"), "-0.125");
        assert_eq!(super::safe_cell("Lesson 1"), "Lesson 1");
    }
}
