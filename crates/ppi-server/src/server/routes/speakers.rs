//! A lesson's speakers: who talks how much and the turns (`GET /api/lessons/{id}/speakers`),
//! and naming the teacher (`PUT /api/lessons/{id}/teacher`), which also enrols that voice for
//! the Label Studio projects showing the lesson, so their next lessons name the teacher by it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::lessons::visible;
use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_asr::Transcript;
use ppi_store::db::ls::MediaRow;

/// The lesson's stored transcript and its media key.
async fn transcript(
    app: &App,
    caller: &Caller,
    id: &str,
) -> ApiResult<(String, MediaRow, Transcript)> {
    let lesson = visible(app, caller, id).await?;
    let key = ppi_store::storage::ObjectKey::parse(&lesson.source_key).ok_or_else(|| {
        ApiError::not_found("transcript-not-found", format!("lesson {id} has no video"))
    })?;
    let media_key = ppi_label_studio::media::MediaSource::Stored(key).media_key();
    let media = app.db.media(&media_key).await?.ok_or_else(|| {
        ApiError::not_found(
            "transcript-not-found",
            format!("lesson {id} is not transcribed yet"),
        )
    })?;
    let t: Transcript = serde_json::from_str(&media.transcript).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "transcript-invalid",
            e.to_string(),
        )
    })?;
    Ok((media_key, media, t))
}

fn speakers_json(t: &Transcript) -> Option<Value> {
    let d = t.diarization()?;
    Some(json!({
        "duration": d.duration, "speakers": d.speakers, "roles": d.roles,
        "teacher_by": d.teacher_by, "turns": d.turns,
    }))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "speakers-not-found",
        format!("lesson {id} was transcribed before PPI found speakers"),
    )
}

pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (_, _, t) = transcript(&app, &caller, &id).await?;
    Ok(Json(speakers_json(&t).ok_or_else(|| not_found(&id))?))
}

#[derive(Debug, serde::Deserialize)]
pub struct TeacherBody {
    /// The speaker to name the teacher: `S1`, `S2`…
    pub speaker: String,
}

pub async fn put_teacher(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TeacherBody>,
) -> ApiResult<Json<Value>> {
    let (media_key, mut media, mut t) = transcript(&app, &caller, &id).await?;
    if t.turns.is_empty() {
        return Err(not_found(&id));
    }
    if !t.name_teacher(&body.speaker) {
        let mut names: Vec<&str> = t.speakers.iter().map(|s| s.speaker.as_str()).collect();
        names.sort_unstable();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-speaker",
            format!(
                "speaker: lesson {id} has no speaker {:?} (its speakers: {})",
                body.speaker,
                names.join(", ")
            ),
        ));
    }
    // Questions and wait times follow the roles.
    media.transcript = ppi_activity::transcript_json(&t).to_string();
    app.db.put_media(&media_key, &media).await?;
    // The voice, for every project that shows this lesson.
    let mut enrolled = Vec::new();
    if let Some(voice) = t.voices.get(&body.speaker) {
        for task in app.db.ls_tasks_for_media(&media_key).await? {
            if enrolled.contains(&task.project) {
                continue;
            }
            app.db
                .set_teacher_voice(
                    task.project,
                    voice,
                    &format!("user {}", caller.name),
                    Some(&media_key),
                )
                .await?;
            enrolled.push(task.project);
        }
    }
    let mut out = speakers_json(&t).ok_or_else(|| not_found(&id))?;
    out["enrolled_projects"] = json!(enrolled);
    Ok(Json(out))
}
