//! What the MCP tools do, for one caller: the REST API's ownership rules (a `DL-user` sees only
//! their own lessons, jobs and datasets), files read only from the configured roots, URLs only
//! from the allowed media hosts. Long work is queued as a job and its handle returned at once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use crate::server::routes::{jobs, lessons};
use ppi_core::domain::Username;
use ppi_dataset::lesson::{self, LessonFiles};
use ppi_jobs::payload::{BuildJob, DatasetPublish, MediaRef, PublishTo, Transcribe};
use ppi_jobs::Job;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::from_coded(crate::app::AppError::Io {
        path: "mcp".into(),
        detail: e.to_string(),
    })
}

fn owner_name(caller: &Caller) -> ApiResult<Username> {
    Username::parse(&caller.name)
        .map_err(|e| ApiError::bad_request("invalid-username", e.to_string()))
}

/// The folders tools may read: `[mcp] roots` and the local `[watch] sources`, canonical.
fn roots(app: &App) -> Vec<PathBuf> {
    let s = &app.settings;
    s.mcp
        .roots
        .iter()
        .cloned()
        .chain(
            s.watch
                .sources
                .iter()
                .filter(|w| !w.starts_with("s3://"))
                .map(PathBuf::from),
        )
        .filter_map(|r| r.canonicalize().ok())
        .collect()
}

/// A file inside a root, by absolute path or relative to the first root.
pub fn rooted(app: &App, field: &str, given: &str) -> ApiResult<PathBuf> {
    let roots = roots(app);
    let refused = || {
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "path-not-allowed",
            format!("{field}: {given:?} is not inside a folder PPI may read (PPI_MCP_ROOTS)"),
        )
    };
    let p = Path::new(given);
    let p = if p.is_absolute() {
        p.to_owned()
    } else {
        roots.first().ok_or_else(refused)?.join(p)
    };
    let real = p.canonicalize().map_err(|_| {
        ApiError::not_found(
            "file-not-found",
            format!("{field}: {given:?}: no such file"),
        )
    })?;
    if !roots.iter().any(|r| real.starts_with(r)) {
        return Err(refused());
    }
    if !real.is_file() {
        return Err(ApiError::bad_request(
            "not-a-file",
            format!("{field}: {given:?} is not a file"),
        ));
    }
    Ok(real)
}

pub async fn list_lessons(app: &App, caller: &Caller, limit: Option<i64>) -> ApiResult<Value> {
    let limit = limit.unwrap_or(100).clamp(1, 1000);
    let owner = (!caller.is_admin()).then_some(caller.id.as_str());
    let lessons = app.db.list_lessons(owner, limit).await?;
    let ids: Vec<&str> = lessons.iter().filter_map(|l| l.job_id.as_deref()).collect();
    let jobs = app.db.jobs(&ids).await?;
    let out: Vec<Value> = lessons
        .iter()
        .map(|l| {
            let job = l
                .job_id
                .as_deref()
                .and_then(|j| jobs.iter().find(|r| r.id == j));
            json!({
                "id": l.id, "title": l.title, "owner": l.owner, "status": l.status,
                "file_name": l.file_name, "sha256": l.sha256, "created_at": l.created_at,
                "job": job,
            })
        })
        .collect();
    Ok(json!({ "lessons": out }))
}

pub async fn lesson_status(app: &App, caller: &Caller, id: &str) -> ApiResult<Value> {
    let lesson = lessons::visible(app, caller, id).await?;
    let job = match &lesson.job_id {
        Some(j) => app.db.job(j).await?,
        None => None,
    };
    Ok(json!({ "lesson": lesson, "job": job }))
}

pub async fn job_status(app: &App, caller: &Caller, id: &str) -> ApiResult<Value> {
    let job = jobs::visible(app, caller, id).await?;
    serde_json::to_value(job).map_err(internal)
}

pub async fn cancel_job(app: &App, caller: &Caller, id: &str) -> ApiResult<Value> {
    jobs::visible(app, caller, id).await?;
    let job = jobs::cancel_visible(app, id).await?;
    serde_json::to_value(job).map_err(internal)
}

pub async fn hub_status(app: &App, caller: &Caller, repo: Option<String>) -> ApiResult<Value> {
    caller.require_admin()?;
    let repo = hub_repo(app, repo)?;
    let client = hub_client(app)?;
    let published = ppi_dataset::hub::published::published(&client, &repo)
        .await
        .map_err(ApiError::from_coded)?;
    Ok(json!({ "repo": repo, "published": published }))
}

fn hub_repo(app: &App, repo: Option<String>) -> ApiResult<String> {
    repo.or_else(|| app.settings.hub.repo_id()).ok_or_else(|| {
        ApiError::bad_request("config-invalid", "which repository? give repo: owner/name")
    })
}

fn hub_client(app: &App) -> ApiResult<ppi_dataset::hub::HubClient> {
    let s = &app.settings.hub;
    let token = s
        .token
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("config-invalid", "HF_TOKEN is not set"))?;
    ppi_dataset::hub::HubClient::new(&s.endpoint, token).map_err(ApiError::from_coded)
}

/// `ingest_lesson`: a video from a root or an allowed host becomes the caller's lesson, as an
/// upload does (the same duplicate rule, the same `extract-audio` job).
pub async fn ingest_lesson(
    app: &App,
    caller: &Caller,
    path: Option<String>,
    url: Option<String>,
    title: Option<String>,
) -> ApiResult<Value> {
    let owner = owner_name(caller)?;
    let tmp = app.settings.server.data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp).await.map_err(internal)?;
    let local = tmp.join(format!("mcp-{}.part", ppi_core::domain::EntityId::new()));
    let limit = app.settings.server.max_upload_bytes;
    let file_name = match (path, url) {
        (Some(p), None) => {
            let src = rooted(app, "path", &p)?;
            tokio::fs::copy(&src, &local).await.map_err(internal)?;
            src.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "lesson".into())
        }
        (None, Some(u)) => {
            let parsed = url::Url::parse(&u)
                .map_err(|e| ApiError::bad_request("invalid-url", format!("url: {e}")))?;
            let allowed = &app.settings.label_studio.media_hosts;
            if !ppi_label_studio::media::host_allowed(&parsed, allowed) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "media-host-not-allowed",
                    format!(
                        "url: host {:?} is not in PPI_MEDIA_HOSTS",
                        parsed.host_str().unwrap_or("")
                    ),
                ));
            }
            ppi_label_studio::media::download_remote(&parsed, allowed, &local)
                .await
                .map_err(|e| {
                    let _ = std::fs::remove_file(&local);
                    ApiError::new(
                        axum::http::StatusCode::BAD_GATEWAY,
                        "media-download-failed",
                        format!("url: {e}"),
                    )
                })?;
            parsed
                .path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "lesson".into())
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid-argument",
                "give exactly one of path or url",
            ))
        }
    };
    let size = tokio::fs::metadata(&local).await.map_err(internal)?.len();
    if size > limit {
        let _ = tokio::fs::remove_file(&local).await;
        return Err(crate::server::upload::too_large(limit));
    }
    let hashed = local.clone();
    let sha256 = tokio::task::spawn_blocking(move || ppi_core::hash::file_sha256(&hashed))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let result = crate::lessons::ingest(
        app,
        &caller.id,
        &owner,
        crate::lessons::Received {
            file: &local,
            sha256,
            size,
            file_name: crate::lessons::clean_text(&file_name, 255),
            title: title.map(|t| crate::lessons::clean_text(&t, 200)),
        },
    )
    .await;
    let _ = tokio::fs::remove_file(&local).await;
    let done = result.map_err(lessons::ingest_error)?;
    serde_json::to_value(done).map_err(internal)
}

/// The caller's dataset folder `name` (default `default`); an admin may name `user/name`.
pub fn dataset_dir(app: &App, caller: &Caller, name: Option<&str>) -> ApiResult<PathBuf> {
    let name = name.unwrap_or("default");
    let (user, ds) = match name.split_once('/') {
        Some((u, d)) => (u, d),
        None => (caller.name.as_str(), name),
    };
    let bad = || {
        ApiError::bad_request(
            "invalid-dataset-name",
            format!("dataset: {name:?}: use 1–64 of a-z 0-9 _ - (an admin may write user/name)"),
        )
    };
    let user = Username::parse(user).map_err(|_| bad())?;
    if !lesson::valid_name(ds) {
        return Err(bad());
    }
    if user.as_str() != caller.name && !caller.is_admin() {
        return Err(ApiError::not_found(
            "dataset-not-found",
            format!("no dataset {name}"),
        ));
    }
    Ok(lesson::owned_root(&app.settings.server.data_dir, &user).join(ds))
}

/// `build_dataset` arguments, checked.
pub struct BuildArgs {
    pub video: String,
    pub export: String,
    pub patterns: Option<String>,
    pub dataset: Option<String>,
    pub lesson_id: Option<String>,
    pub publish: bool,
}

/// `build_dataset`: queues a `dataset-build` job (keyed by the files' versions: asking again
/// for unchanged files returns the same job).
pub async fn build_dataset(app: &App, caller: &Caller, a: BuildArgs) -> ApiResult<Value> {
    if a.publish {
        caller.require_admin()?;
    }
    let video = rooted(app, "video", &a.video)?;
    let export = rooted(app, "export", &a.export)?;
    let patterns = match &a.patterns {
        Some(p) => rooted(app, "patterns", p)?,
        None => beside(app, &video).ok_or_else(|| {
            ApiError::bad_request(
                "patterns-missing",
                "patterns: no patterns.xlsx beside the video and no [watch]/PPI_PATTERNS sheet; give one",
            )
        })?,
    };
    let out = dataset_dir(app, caller, a.dataset.as_deref())?;
    let id = match a.lesson_id {
        Some(id) if !id.trim().is_empty() => crate::lessons::clean_text(&id, 120),
        _ => video
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "lesson".into()),
    };
    let files = LessonFiles {
        id,
        video,
        export,
        patterns,
    };
    let publish = if a.publish {
        Some(PublishTo {
            repo: hub_repo(app, None)?,
        })
    } else {
        None
    };
    let versions = [&files.video, &files.export, &files.patterns]
        .map(|p| format!("{}={}", p.display(), ppi_dataset::lesson::file_version(p)))
        .join("|");
    let key = format!(
        "dataset-build:{}:{}:{}:{}",
        out.display(),
        files.id,
        publish.is_some(),
        ppi_core::hash::sha256_hex(versions.as_bytes())
    );
    let job = BuildJob {
        lesson: files,
        out,
        publish,
    };
    let record = app
        .jobs
        .enqueue(&Job::DatasetBuild(job), &key, None, Some(&caller.id))
        .await?;
    Ok(json!({ "job": record, "dataset": a.dataset.unwrap_or_else(|| "default".into()) }))
}

/// A patterns sheet beside the video, else the configured one.
fn beside(app: &App, video: &Path) -> Option<PathBuf> {
    let s = &app.settings;
    let dir = video.parent()?;
    s.watch
        .sheet_names
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .or_else(|| s.watch.patterns.clone())
        .or_else(|| s.label_studio.patterns.clone())
}

/// `publish_dataset` (admin): queues a `dataset-publish` job for a dataset folder, or for the
/// review-assembled dataset (`review`).
pub async fn publish_dataset(
    app: &App,
    caller: &Caller,
    dataset: Option<String>,
    repo: Option<String>,
) -> ApiResult<Value> {
    caller.require_admin()?;
    let out = match dataset.as_deref() {
        None | Some("review") => app.settings.server.data_dir.join("dataset"),
        Some(d) => dataset_dir(app, caller, Some(d))?,
    };
    let manifest = ppi_dataset::layout::Layout::new(&out).manifest();
    let text = tokio::fs::read(&manifest).await.map_err(|_| {
        ApiError::not_found(
            "dataset-not-found",
            format!("dataset: nothing built in {} yet", out.display()),
        )
    })?;
    let repo = hub_repo(app, repo)?;
    hub_client(app)?;
    let key = format!(
        "dataset-publish:{}:{repo}:{}",
        out.display(),
        ppi_core::hash::sha256_hex(&text)
    );
    let record = app
        .jobs
        .enqueue(
            &Job::DatasetPublish(DatasetPublish {
                out,
                repo: repo.clone(),
            }),
            &key,
            None,
            Some(&caller.id),
        )
        .await?;
    Ok(json!({ "job": record, "repo": repo }))
}

/// `transcribe`: (re)queues the transcription of a lesson's video; an existing transcript is
/// reused and the lesson's Label Studio tasks get their predictions.
pub async fn transcribe(app: &App, caller: &Caller, lesson_id: &str) -> ApiResult<Value> {
    let lesson = lessons::visible(app, caller, lesson_id).await?;
    let key = ppi_store::storage::ObjectKey::parse(&lesson.source_key).ok_or_else(|| {
        ApiError::bad_request("lesson-not-ready", "the lesson has no stored video")
    })?;
    let media_key = ppi_label_studio::media::MediaSource::Stored(key.clone()).media_key();
    let task = app.db.lesson_task_any(&lesson.id).await?.unwrap_or(0);
    let record = app
        .jobs
        .enqueue(
            &Job::Transcribe(Transcribe {
                media_key: media_key.clone(),
                media: MediaRef::Stored(key.as_str().to_owned()),
                task_id: task,
            }),
            &format!("transcribe:{media_key}"),
            Some(&lesson.id),
            Some(&lesson.owner_id),
        )
        .await?;
    Ok(json!({ "job": record }))
}

/// `agreement_report`: the annotators' agreement on a lesson's annotation task.
pub async fn agreement_report(app: &App, caller: &Caller, lesson_id: &str) -> ApiResult<Value> {
    let lesson = lessons::visible(app, caller, lesson_id).await?;
    let task = app.db.lesson_task_any(&lesson.id).await?.ok_or_else(|| {
        ApiError::not_found(
            "agreement-not-found",
            format!("lesson {lesson_id} is not a Label Studio task yet"),
        )
    })?;
    crate::server::routes::ls::task_agreement(app, task).await
}

/// Is the job over?
pub fn terminal(status: &str) -> bool {
    use ppi_store::db::jobs::{CANCELED, FAILED, SUCCEEDED};
    [SUCCEEDED, FAILED, CANCELED].contains(&status)
}

/// How long `job_status` may follow a job at most.
pub const MAX_WAIT: Duration = Duration::from_secs(600);
