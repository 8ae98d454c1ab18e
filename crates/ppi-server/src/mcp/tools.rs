//! The tools. Inputs are typed (JSON Schema from `schemars`), outputs structured; a failure is
//! a tool result with `isError` carrying PPI's stable `{code, message}`. Long tools queue a job
//! and return its handle at once; `job_status` with `wait_secs` follows a job to its end,
//! sending progress notifications when the client sent a progress token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

use super::ops;
use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};

/// One MCP connection's server: the app, and the caller when the transport fixes it (stdio).
#[derive(Clone)]
pub struct PpiMcp {
    app: Arc<App>,
    fixed: Option<Caller>,
    #[allow(dead_code, reason = "read by the tool_handler macro")]
    tool_router: ToolRouter<Self>,
}

/// `list_lessons` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLessons {
    /// At most this many, newest first (1–1000, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A lesson, by the id `list_lessons` gives.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonRef {
    /// The lesson's id.
    pub lesson_id: String,
}

/// A job, by the id a lesson or a long tool gives.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRef {
    /// The job's id.
    pub job_id: String,
}

/// `job_status` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobStatus {
    /// The job's id.
    pub job_id: String,
    /// Follow the job up to this many seconds (at most 600) until it ends, with progress
    /// notifications when the request carries a progress token; 0 or absent answers at once.
    #[serde(default)]
    pub wait_secs: Option<f64>,
}

/// `hub_status` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HubStatus {
    /// `owner/name` [default: the configured HF_USERNAME/DATASET_NAME].
    #[serde(default)]
    pub repo: Option<String>,
}

/// `ingest_lesson` input: exactly one of `path` and `url`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestLesson {
    /// A video inside a folder PPI may read (`PPI_MCP_ROOTS`, the watched folders): absolute,
    /// or relative to the first root.
    #[serde(default)]
    pub path: Option<String>,
    /// A video URL on an allowed media host (`PPI_MEDIA_HOSTS`).
    #[serde(default)]
    pub url: Option<String>,
    /// The lesson's title [default: the file name].
    #[serde(default)]
    pub title: Option<String>,
}

/// `scan_storage` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanStorage {
    /// One of the configured `[watch] sources` [default: all of them].
    #[serde(default)]
    pub source: Option<String>,
}

/// `build_dataset` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildDataset {
    /// The lesson video, inside a folder PPI may read.
    pub video: String,
    /// Its Label Studio JSON export, inside a folder PPI may read.
    pub export: String,
    /// The patterns sheet [default: patterns.xlsx beside the video, else the configured one].
    #[serde(default)]
    pub patterns: Option<String>,
    /// The caller's dataset to build into (a-z 0-9 _ -) [default: `default`]; an admin may
    /// name `user/name`.
    #[serde(default)]
    pub dataset: Option<String>,
    /// The lesson's id in the dataset [default: the video's file stem].
    #[serde(default)]
    pub lesson_id: Option<String>,
    /// Publish the dataset to the Hub afterwards (admin); a video already published under
    /// another lesson is skipped.
    #[serde(default)]
    pub publish: bool,
}

/// `publish_dataset` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishDataset {
    /// `review` (the reviewed clips) or a dataset `build_dataset` made (`name` or `user/name`)
    /// [default: review].
    #[serde(default)]
    pub dataset: Option<String>,
    /// `owner/name` [default: the configured HF_USERNAME/DATASET_NAME].
    #[serde(default)]
    pub repo: Option<String>,
}

fn fail(e: ApiError) -> CallToolResult {
    CallToolResult::structured_error(json!({"code": e.code, "message": e.message}))
}

fn done(r: ApiResult<Value>) -> Result<CallToolResult, ErrorData> {
    Ok(match r {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => fail(e),
    })
}

impl PpiMcp {
    /// `fixed`: the caller for a transport that authenticated once (stdio); `None` reads the
    /// caller the HTTP auth layer put on each request.
    pub fn new(app: Arc<App>, fixed: Option<Caller>) -> Self {
        PpiMcp {
            app,
            fixed,
            tool_router: Self::tool_router(),
        }
    }

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> ApiResult<Caller> {
        if let Some(c) = &self.fixed {
            return Ok(c.clone());
        }
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("auth-missing", "log in first"))
    }

    /// The job now, or once it ends (or the wait runs out), with progress notifications.
    async fn follow(&self, ctx: &RequestContext<RoleServer>, a: JobStatus) -> ApiResult<Value> {
        let caller = self.caller(ctx)?;
        let wait = Duration::try_from_secs_f64(a.wait_secs.unwrap_or(0.0).max(0.0))
            .unwrap_or(ops::MAX_WAIT)
            .min(ops::MAX_WAIT);
        let token = ctx.meta.get_progress_token();
        let until = Instant::now() + wait;
        let mut last: Option<(f64, String)> = None;
        loop {
            let job = ops::job_status(&self.app, &caller, &a.job_id).await?;
            let status = job["status"].as_str().unwrap_or_default().to_owned();
            let over = ops::terminal(&status);
            if let Some(t) = &token {
                let percent = job["percent"].as_f64().unwrap_or(0.0);
                let stage = job["stage"].as_str().unwrap_or(&status);
                let mut message = format!("{status}: {stage}");
                if let Some(eta) = job["eta_seconds"].as_f64().filter(|_| !over) {
                    message.push_str(&format!(", about {eta:.0} s left"));
                }
                if last.as_ref() != Some(&(percent, message.clone())) {
                    let _ = ctx
                        .peer
                        .notify_progress(
                            ProgressNotificationParam::new(t.clone(), percent)
                                .with_total(100.0)
                                .with_message(message.clone()),
                        )
                        .await;
                    last = Some((percent, message));
                }
            }
            if over || Instant::now() >= until {
                return Ok(job);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                // The client gave up on this request: answer; the job itself runs on.
                _ = ctx.ct.cancelled() => return Ok(job),
            }
        }
    }

    async fn scan(
        &self,
        ctx: &RequestContext<RoleServer>,
        source: Option<String>,
    ) -> ApiResult<Value> {
        let caller = self.caller(ctx)?;
        caller.require_admin()?;
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || super::scan::scan(&app, source.as_deref()))
            .await
            .map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.to_string(),
                )
            })?
    }
}

#[tool_router]
impl PpiMcp {
    #[tool(
        description = "The caller's lessons (all lessons for an admin), newest first, each with its processing job's status.",
        annotations(read_only_hint = true)
    )]
    async fn list_lessons(
        &self,
        Parameters(a): Parameters<ListLessons>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::list_lessons(&self.app, &c?, a.limit).await }.await)
    }

    #[tool(
        description = "One lesson: its status, file, hash and its job (stage, percent, ETA).",
        annotations(read_only_hint = true)
    )]
    async fn lesson_status(
        &self,
        Parameters(a): Parameters<LessonRef>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::lesson_status(&self.app, &c?, &a.lesson_id).await }.await)
    }

    #[tool(
        description = "A job's status: kind, status, stage, percent done, ETA in seconds and, when it ended, its result or error. With wait_secs it follows the job until it ends, sending progress notifications when the request has a progress token.",
        annotations(read_only_hint = true)
    )]
    async fn job_status(
        &self,
        Parameters(a): Parameters<JobStatus>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        done(self.follow(&ctx, a).await)
    }

    #[tool(
        description = "Cancels a queued or running job (a queued one never runs; a running one stops at its next step).",
        annotations(destructive_hint = false, idempotent_hint = true)
    )]
    async fn cancel_job(
        &self,
        Parameters(a): Parameters<JobRef>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::cancel_job(&self.app, &c?, &a.job_id).await }.await)
    }

    #[tool(
        description = "The lessons a Hugging Face dataset holds: lesson id, video name, SHA-256 of the video, items (admin).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn hub_status(
        &self,
        Parameters(a): Parameters<HubStatus>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::hub_status(&self.app, &c?, a.repo).await }.await)
    }

    #[tool(
        description = "Makes a video the caller's lesson, as an upload does: from a folder PPI may read (path) or a URL on an allowed host. Returns the lesson and its processing job (audio extraction, then Label Studio when wired); the same file again returns the existing lesson.",
        annotations(
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn ingest_lesson(
        &self,
        Parameters(a): Parameters<IngestLesson>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::ingest_lesson(&self.app, &c?, a.path, a.url, a.title).await }.await)
    }

    #[tool(
        description = "The storage watcher's view (admin): per configured source, the files new, changed or removed since the watcher's last listing, and each lesson (video + export) with whether it is complete and how it was last handled. Changes nothing.",
        annotations(read_only_hint = true)
    )]
    async fn scan_storage(
        &self,
        Parameters(a): Parameters<ScanStorage>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        done(self.scan(&ctx, a.source).await)
    }

    #[tool(
        description = "Builds a lesson (video + Label Studio export + patterns sheet) into one of the caller's datasets, as `ppi dataset build` does: returns a job handle at once (follow it with job_status). Finished items are reused; the same files again return the same job; a video already in the dataset under another lesson is skipped.",
        annotations(destructive_hint = false, idempotent_hint = true)
    )]
    async fn build_dataset(
        &self,
        Parameters(a): Parameters<BuildDataset>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        let args = ops::BuildArgs {
            video: a.video,
            export: a.export,
            patterns: a.patterns,
            dataset: a.dataset,
            lesson_id: a.lesson_id,
            publish: a.publish,
        };
        done(async { ops::build_dataset(&self.app, &c?, args).await }.await)
    }

    #[tool(
        description = "Queues the Whisper transcription of a lesson's video (kept once per video; its Label Studio tasks get their predictions). Returns a job handle; the transcript is then the resource ppi://lessons/{lesson_id}/transcript.",
        annotations(destructive_hint = false, idempotent_hint = true)
    )]
    async fn transcribe(
        &self,
        Parameters(a): Parameters<LessonRef>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::transcribe(&self.app, &c?, &a.lesson_id).await }.await)
    }

    #[tool(
        description = "The annotators' agreement on a lesson's Label Studio task: per-label and pooled frame κ, interval matching (IoU), the annotator matrix (Cohen's κ for every pair, each annotator against the consensus of the others), the gate and the consensus.",
        annotations(read_only_hint = true)
    )]
    async fn agreement_report(
        &self,
        Parameters(a): Parameters<LessonRef>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::agreement_report(&self.app, &c?, &a.lesson_id).await }.await)
    }

    #[tool(
        description = "Publishes a dataset to the Hugging Face Hub (admin): the reviewed clips (`review`) or a dataset build_dataset made. Only changed files are sent. Returns a job handle.",
        annotations(
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn publish_dataset(
        &self,
        Parameters(a): Parameters<PublishDataset>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let c = self.caller(&ctx);
        done(async { ops::publish_dataset(&self.app, &c?, a.dataset, a.repo).await }.await)
    }
}

fn resource_error(e: ApiError) -> ErrorData {
    ErrorData::resource_not_found(e.message, Some(json!({"code": e.code})))
}

#[tool_handler]
impl ServerHandler for PpiMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("ppi", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "PPI turns classroom video into datasets. Ingest lessons, scan the watched storage, \
             build and publish datasets, transcribe, read agreement reports; long tools return a \
             job: follow it with job_status (wait_secs) and cancel it with cancel_job. Dataset \
             cards, metadata.csv and transcripts are resources.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let caller = self.caller(&ctx).map_err(resource_error)?;
        let app = self.app.clone();
        let list = tokio::task::spawn_blocking(move || super::resources::list(&app, &caller))
            .await
            .unwrap_or_default();
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            super::resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = self.caller(&ctx).map_err(resource_error)?;
        super::resources::read(&self.app, &caller, &request.uri)
            .await
            .map(Into::into)
            .map_err(resource_error)
    }
}
