//! The tools. Inputs are typed (JSON Schema from `schemars`), outputs structured; a failure is
//! a tool result with `isError` carrying PPI's stable `{code, message}`.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::ApiError;

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

/// `hub_status` input.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HubStatus {
    /// `owner/name` [default: the configured HF_USERNAME/DATASET_NAME].
    #[serde(default)]
    pub repo: Option<String>,
}

fn fail(e: ApiError) -> CallToolResult {
    CallToolResult::structured_error(json!({"code": e.code, "message": e.message}))
}

fn done(r: Result<Value, ApiError>) -> Result<CallToolResult, ErrorData> {
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

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<Caller, ApiError> {
        if let Some(c) = &self.fixed {
            return Ok(c.clone());
        }
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("auth-missing", "log in first"))
    }

    async fn lessons(
        &self,
        ctx: &RequestContext<RoleServer>,
        limit: Option<i64>,
    ) -> Result<Value, ApiError> {
        let caller = &self.caller(ctx)?;
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        let owner = (!caller.is_admin()).then_some(caller.id.as_str());
        let lessons = self.app.db.list_lessons(owner, limit).await?;
        let ids: Vec<&str> = lessons.iter().filter_map(|l| l.job_id.as_deref()).collect();
        let jobs = self.app.db.jobs(&ids).await?;
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

    async fn status(&self, ctx: &RequestContext<RoleServer>, id: &str) -> Result<Value, ApiError> {
        let caller = &self.caller(ctx)?;
        let lesson = crate::server::routes::lessons::visible(&self.app, caller, id).await?;
        let job = match &lesson.job_id {
            Some(j) => self.app.db.job(j).await?,
            None => None,
        };
        Ok(json!({ "lesson": lesson, "job": job }))
    }

    async fn job(&self, ctx: &RequestContext<RoleServer>, id: &str) -> Result<Value, ApiError> {
        let caller = &self.caller(ctx)?;
        let job = crate::server::routes::jobs::visible(&self.app, caller, id).await?;
        Ok(serde_json::to_value(job).unwrap_or_default())
    }

    async fn cancel(&self, ctx: &RequestContext<RoleServer>, id: &str) -> Result<Value, ApiError> {
        let caller = &self.caller(ctx)?;
        crate::server::routes::jobs::visible(&self.app, caller, id).await?;
        let job = crate::server::routes::jobs::cancel_visible(&self.app, id).await?;
        Ok(serde_json::to_value(job).unwrap_or_default())
    }

    async fn hub(
        &self,
        ctx: &RequestContext<RoleServer>,
        repo: Option<String>,
    ) -> Result<Value, ApiError> {
        let caller = &self.caller(ctx)?;
        caller.require_admin()?;
        let s = &self.app.settings.hub;
        let repo = repo.or_else(|| s.repo_id()).ok_or_else(|| {
            ApiError::bad_request("config-invalid", "which repository? give repo: owner/name")
        })?;
        let token = s
            .token
            .clone()
            .ok_or_else(|| ApiError::bad_request("config-invalid", "HF_TOKEN is not set"))?;
        let client =
            crate::hub::HubClient::new(&s.endpoint, &token).map_err(ApiError::from_coded)?;
        let published = crate::hub::published::published(&client, &repo)
            .await
            .map_err(ApiError::from_coded)?;
        Ok(json!({ "repo": repo, "published": published }))
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
        done(self.lessons(&ctx, a.limit).await)
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
        done(self.status(&ctx, &a.lesson_id).await)
    }

    #[tool(
        description = "A job's status: kind, status, stage, percent done and ETA in seconds.",
        annotations(read_only_hint = true)
    )]
    async fn job_status(
        &self,
        Parameters(a): Parameters<JobRef>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        done(self.job(&ctx, &a.job_id).await)
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
        done(self.cancel(&ctx, &a.job_id).await)
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
        done(self.hub(&ctx, a.repo).await)
    }
}

#[tool_handler]
impl ServerHandler for PpiMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ppi", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "PPI turns classroom video into datasets: list lessons, follow their jobs, \
                 cancel jobs, and see what a Hub dataset holds.",
            )
    }
}
