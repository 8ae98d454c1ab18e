//! Lessons: streaming upload, presigned upload, list and detail with playable URLs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;

use crate::app::App;
use crate::lessons::{clean_text, ingest, Ingested, Received};
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::upload::{self, receive, too_large};
use ppi_core::domain::{EntityId, Username};
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::lessons::{Lesson, PendingUpload};
use ppi_store::db::now_ms;
use ppi_store::storage::{key, ObjectKey};

fn owner_name(caller: &Caller) -> ApiResult<Username> {
    Username::parse(&caller.name)
        .map_err(|e| ApiError::bad_request("invalid-username", e.to_string()))
}

fn uploads_dir(app: &App) -> std::path::PathBuf {
    app.settings.server.data_dir.join("tmp")
}

/// `POST /api/lessons` (multipart: `file`, optional `title`), streamed to disk.
pub async fn upload(
    State(app): State<Arc<App>>,
    caller: Result<Caller, ApiError>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => {
            // Refused before reading: drain a bounded amount so the client reads the 401.
            upload::drain_multipart(&mut form).await;
            return Err(e);
        }
    };
    let limit = app.settings.server.max_upload_bytes;
    let mut title: Option<String> = None;
    let mut received: Option<(upload::Incoming, String)> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        ApiError::bad_request("upload-malformed", format!("malformed multipart body: {e}"))
    })? {
        match field.name() {
            Some("title") => {
                let t = field
                    .text()
                    .await
                    .map_err(|e| ApiError::bad_request("upload-malformed", e.to_string()))?;
                title = Some(clean_text(&t, 200));
            }
            Some("file") if received.is_none() => {
                let name = field
                    .file_name()
                    .map(|n| clean_text(n, 255))
                    .unwrap_or_else(|| "lesson".into());
                let incoming = receive(&uploads_dir(&app), limit, &mut field).await?;
                received = Some((incoming, name));
            }
            _ => {}
        }
    }
    let Some((mut incoming, file_name)) = received else {
        return Err(ApiError::bad_request(
            "upload-missing-file",
            "send the video in a multipart field named `file`",
        ));
    };
    if incoming.size == 0 {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "upload-not-a-video",
            format!("{file_name:?} is empty"),
        ));
    }
    incoming.keep();
    let owner = owner_name(&caller)?;
    let result = ingest(
        &app,
        &caller.id,
        &owner,
        Received {
            file: &incoming.path,
            sha256: incoming.sha256.clone(),
            size: incoming.size,
            file_name,
            title,
        },
    )
    .await;
    let _ = std::fs::remove_file(&incoming.path);
    ingested(result)
}

/// 201 with the new lesson, or 200 with the one that already held the same file.
fn ingested(
    result: Result<Ingested, crate::lessons::IngestError>,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let done = result.map_err(ingest_error)?;
    let status = if done.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(done)))
}

pub(crate) fn ingest_error(e: crate::lessons::IngestError) -> ApiError {
    match e {
        e @ crate::lessons::IngestError::NotAVideo { .. } => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "upload-not-a-video",
            e.to_string(),
        ),
        other => other.into(),
    }
}

#[derive(serde::Deserialize)]
pub struct StartUpload {
    file_name: Option<String>,
    title: Option<String>,
}

/// `POST /api/uploads`: a URL to PUT the video to directly (S3 presigned, or PPI's signed URL),
/// then `POST /api/uploads/{id}/complete`.
pub async fn start_upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    Json(b): Json<StartUpload>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let owner = owner_name(&caller)?;
    let id = EntityId::new();
    let object = key::pending_upload(&owner, &id)
        .ok_or_else(|| ApiError::bad_request("invalid-username", "unusable user name"))?;
    let ttl = Duration::from_secs(app.settings.server.signed_url_ttl_secs);
    let url = app.store.url_put(&object, ttl).await?;
    app.db
        .insert_upload(&PendingUpload {
            id: id.to_string(),
            owner_id: caller.id.clone(),
            object_key: object.to_string(),
            file_name: clean_text(b.file_name.as_deref().unwrap_or("lesson"), 255),
            title: b.title.map(|t| clean_text(&t, 200)),
            created_at: now_ms(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "upload_id": id, "method": "PUT", "url": url, "expires_in": ttl.as_secs(),
            "max_bytes": app.settings.server.max_upload_bytes,
            "complete": format!("/api/uploads/{id}/complete"),
        })),
    ))
}

/// `POST /api/uploads/{id}/complete`: the PUT finished; validate and ingest it.
pub async fn complete_upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let missing = || ApiError::not_found("upload-not-found", format!("no pending upload {id}"));
    if EntityId::parse(&id).is_none() {
        return Err(missing());
    }
    let pending = app.db.upload(&id).await?.ok_or_else(missing)?;
    if pending.owner_id != caller.id {
        return Err(missing());
    }
    let object = ObjectKey::parse(&pending.object_key).ok_or_else(missing)?;
    let size = app.store.size(&object).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "upload-incomplete",
            "nothing was uploaded to the URL yet",
        )
    })?;
    let limit = app.settings.server.max_upload_bytes;
    if size > limit {
        app.store.delete(&object).await?;
        app.db.take_upload(&id).await?;
        return Err(too_large(limit));
    }
    let Some(pending) = app.db.take_upload(&id).await? else {
        return Err(missing());
    };
    // Hash and probe a local copy; the lesson is then stored under its own key.
    let dir = uploads_dir(&app);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| {
        ApiError::from_coded(crate::app::AppError::Io {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })
    })?;
    let local = dir.join(format!("upload-{id}.part"));
    app.store.download(&object, &local).await?;
    let sha256 = {
        let p = local.clone();
        tokio::task::spawn_blocking(move || ppi_asr::fetch::file_sha256(&p))
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "io-error", e.to_string())
            })?
    };
    let owner = owner_name(&caller)?;
    let result = ingest(
        &app,
        &caller.id,
        &owner,
        Received {
            file: &local,
            sha256,
            size,
            file_name: pending.file_name,
            title: pending.title,
        },
    )
    .await;
    let _ = tokio::fs::remove_file(&local).await;
    let _ = app.store.delete(&object).await;
    ingested(result)
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
}

/// A lesson with its job, for lists.
#[derive(serde::Serialize)]
pub struct LessonSummary {
    #[serde(flatten)]
    lesson: Lesson,
    job: Option<JobRecord>,
}

/// Own lessons (all of them for admins), newest first, with job progress.
pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let owner = (!caller.is_admin()).then_some(caller.id.as_str());
    let lessons = app.db.list_lessons(owner, limit).await?;
    let ids: Vec<&str> = lessons.iter().filter_map(|l| l.job_id.as_deref()).collect();
    let mut jobs: HashMap<String, JobRecord> = app
        .db
        .jobs(&ids)
        .await?
        .into_iter()
        .map(|j| (j.id.clone(), j))
        .collect();
    let out: Vec<LessonSummary> = lessons
        .into_iter()
        .map(|lesson| {
            let job = lesson.job_id.as_deref().and_then(|j| jobs.remove(j));
            LessonSummary { lesson, job }
        })
        .collect();
    Ok(Json(serde_json::json!({"lessons": out})))
}

/// A lesson the caller may see. Others' lessons are reported as missing: their ids are not
/// confirmed to exist.
pub async fn visible(app: &App, caller: &Caller, id: &str) -> ApiResult<Lesson> {
    let missing = || ApiError::not_found("lesson-not-found", format!("no lesson {id}"));
    if EntityId::parse(id).is_none() {
        return Err(missing());
    }
    let lesson = app.db.lesson(id).await?.ok_or_else(missing)?;
    if !caller.may_access(&lesson.owner_id) {
        return Err(missing());
    }
    Ok(lesson)
}

/// Detail: the lesson, its job, its probe and fresh playable URLs.
pub async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let lesson = visible(&app, &caller, &id).await?;
    let ttl = Duration::from_secs(app.settings.server.signed_url_ttl_secs);
    let url = |k: &Option<String>| {
        let app = app.clone();
        let k = k.clone();
        async move {
            match k.as_deref().and_then(ObjectKey::parse) {
                Some(key) => app.store.url_get(&key, ttl).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let video = url(&Some(lesson.source_key.clone())).await?;
    let audio = url(&lesson.audio_key).await?;
    let job = match &lesson.job_id {
        Some(j) => app.db.job(j).await?,
        None => None,
    };
    let probe: Option<serde_json::Value> = lesson
        .probe
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let analytics = ppi_jobs::lesson_analytics::has_analytics(&app.jobs, &lesson.id).await?;
    Ok(Json(serde_json::json!({
        "lesson": lesson, "job": job, "probe": probe, "analytics": analytics,
        "urls": {"video": video, "audio": audio, "expires_in": ttl.as_secs()},
    })))
}

/// Forces assembly of the dataset now (approved clips of every lesson), e.g. before every
/// clip of this lesson has a decision. Answers 202 with the queued job.
pub async fn assemble(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(axum::http::StatusCode, Json<ppi_store::db::jobs::JobRecord>)> {
    let lesson = visible(&app, &caller, &id).await?;
    let job = app
        .jobs
        .enqueue(
            &ppi_jobs::Job::Assemble(ppi_jobs::payload::Assemble {
                lesson_id: Some(lesson.id.clone()),
                forced: true,
                ..Default::default()
            }),
            &format!("assemble:force:{}:{}", lesson.id, ppi_store::db::now_ms()),
            Some(&lesson.id),
            Some(&lesson.owner_id),
        )
        .await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(job)))
}

/// The lesson's analytics: its summary and the timeline and heatmap as SVG, from what PPI keeps
/// about its Label Studio task (404 until the lesson has an accepted annotation).
pub async fn analytics(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let lesson = visible(&app, &caller, &id).await?;
    let input = ppi_jobs::lesson_analytics::lesson_input(&app.jobs, &lesson.id, &lesson.title)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "analytics-not-ready",
                "no accepted annotation of this lesson yet: analytics follow the annotation",
            )
        })?;
    let summary = ppi_agreement::analytics::summarise(&input);
    let (timeline, heatmap) = tokio::task::spawn_blocking(move || {
        let t = ppi_agreement::analytics::plot::timeline_svg(&input);
        let h = ppi_agreement::analytics::plot::heatmap_svg(&summary).map(|h| (h, summary));
        (t, h)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let (heatmap, summary) = heatmap.map_err(ApiError::from)?;
    Ok(Json(serde_json::json!({
        "summary": summary, "timeline_svg": timeline.map_err(ApiError::from)?,
        "heatmap_svg": heatmap,
    })))
}
