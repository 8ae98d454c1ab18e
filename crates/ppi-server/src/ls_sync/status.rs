//! The wiring page's checks (admins): Label Studio's URL, version and whether it answers; the
//! projects PPI knows, each with its LS title and tasks and whether PPI is its ML backend;
//! each project's webhook as LS holds it, with the last delivery PPI received and a health
//! verdict ([`webhook_health`]); the storage and its CORS check; the Hub repository and its
//! last publication; and the job queue's counts and failures. Each call asks LS afresh.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::wiring::{Wiring, WiringState};
use ppi_jobs::JobContext;
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::webhooks::{Delivery, OUTCOME_OK};
use ppi_store::db::DbError;
use ppi_store::storage::ObjectStore;

/// How long one look at Label Studio may take.
const LS_TIMEOUT: Duration = Duration::from_secs(8);
/// Failures listed on the page.
const FAILURES: i64 = 25;

#[derive(Debug, Clone, Serialize)]
pub struct LsStatus {
    pub configured: bool,
    pub url: Option<String>,
    pub reachable: bool,
    pub version: Option<String>,
    pub error: Option<String>,
    /// `serve`'s own wiring pass (what "check again" re-runs).
    pub wiring: WiringState,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectStatus {
    pub id: i64,
    pub role: String,
    pub title: Option<String>,
    pub tasks: Option<i64>,
    /// Whether LS lists PPI (`ml_url`) as the project's ML backend (`None`: not asked, or LS
    /// did not answer; the review project has none).
    pub ml_backend: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebhookStatus {
    pub project: i64,
    pub role: String,
    pub url: String,
    /// Whether LS holds the webhook, and whether it is active (`None`: LS did not answer).
    pub registered: Option<bool>,
    pub active: Option<bool>,
    pub actions: Vec<String>,
    pub last_delivery: Option<Delivery>,
    /// `healthy`, `silent`, `failing`, `waiting`, `missing` or `off`.
    pub health: &'static str,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StorageStatus {
    pub backend: &'static str,
    pub ok: bool,
    pub error: Option<String>,
    /// The CORS line of the last wiring pass (`None`: it has not run).
    pub cors: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HubStatus {
    pub repo: Option<String>,
    pub token: bool,
    pub auto_publish: bool,
    pub published_at: Option<i64>,
    pub published_repo: Option<String>,
    pub revision: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobsStatus {
    pub counts: Vec<JobCount>,
    /// The newest failed jobs (retry or leave), and the queued and running ones (cancel).
    pub failed: Vec<JobRecord>,
    pub active: Vec<JobRecord>,
}

/// The whole page.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub checked_at: i64,
    pub ml_url: String,
    pub label_studio: LsStatus,
    pub projects: Vec<ProjectStatus>,
    pub webhooks: Vec<WebhookStatus>,
    pub storage: StorageStatus,
    pub hub: HubStatus,
    pub jobs: JobsStatus,
}

/// What is known of a webhook's last delivery and of LS, for [`webhook_health`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HookFacts<'a> {
    /// Label Studio is configured (URL and key).
    pub configured: bool,
    pub reachable: bool,
    pub registered: Option<bool>,
    pub active: Option<bool>,
    pub last: Option<&'a Delivery>,
    /// When LS was last found not answering (ms).
    pub down_at: Option<i64>,
    /// Events the reconcile loop found after the last delivery (deliveries that never came).
    pub missed: i64,
}

/// The verdict on one webhook, and why: LS not answering, or answering again without a
/// delivery since, is `silent`; so is a webhook whose changes the reconcile loop had to find.
pub fn webhook_health(f: HookFacts<'_>) -> (&'static str, String) {
    if !f.configured {
        return (
            "off",
            "Label Studio is not configured (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY)".into(),
        );
    }
    if !f.reachable {
        return (
            "silent",
            "Label Studio does not answer: nothing can be delivered".into(),
        );
    }
    if f.registered == Some(false) {
        return (
            "missing",
            "Label Studio holds no such webhook: \"Check again\" registers it".into(),
        );
    }
    if f.active == Some(false) {
        return (
            "silent",
            "the webhook is switched off in Label Studio".into(),
        );
    }
    let Some(last) = f.last else {
        return ("waiting", "registered; no delivery received yet".into());
    };
    if last.outcome != OUTCOME_OK {
        let detail = last.detail.as_deref().unwrap_or("");
        return (
            "failing",
            format!("the last delivery was {}: {detail}", last.outcome),
        );
    }
    if f.down_at.is_some_and(|d| d >= last.received_at) {
        return (
            "silent",
            "no delivery since Label Studio was last found not answering".into(),
        );
    }
    if f.missed > 0 {
        return (
            "silent",
            format!(
                "{} change(s) after the last delivery reached PPI only by reconciling",
                f.missed
            ),
        );
    }
    ("healthy", "the last delivery arrived and was queued".into())
}

/// A list LS gave for each project: (project, items).
type PerProject = Vec<(i64, Vec<Value>)>;

/// What LS said, or why it said nothing.
struct LsLook {
    version: Result<String, String>,
    projects: Vec<Value>,
    backends: PerProject,
    hooks: PerProject,
}

async fn look(ctx: &JobContext, known: &[(i64, String)]) -> Option<LsLook> {
    let ls = ctx.ls.as_ref()?;
    let work = async {
        let version = ls.version().await.map_err(|e| e.to_string())?;
        let projects = ls.projects().await.map_err(|e| e.to_string())?;
        let mut backends = Vec::new();
        let mut hooks = Vec::new();
        for (id, role) in known {
            if role == ppi_store::db::ls::ROLE_ANNOTATION {
                backends.push((*id, ls.list("/api/ml/", *id).await.unwrap_or_default()));
            }
            hooks.push((
                *id,
                ls.list("/api/webhooks/", *id).await.unwrap_or_default(),
            ));
        }
        Ok::<_, String>(LsLook {
            version: Ok(version),
            projects,
            backends,
            hooks,
        })
    };
    Some(match tokio::time::timeout(LS_TIMEOUT, work).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => failed_look(e),
        Err(_) => failed_look(format!("no answer within {} s", LS_TIMEOUT.as_secs())),
    })
}

fn failed_look(e: String) -> LsLook {
    LsLook {
        version: Err(e),
        projects: Vec::new(),
        backends: Vec::new(),
        hooks: Vec::new(),
    }
}

/// Runs every check.
pub async fn check(
    ctx: &JobContext,
    wiring: &Wiring,
    store: &dyn ObjectStore,
) -> Result<Status, DbError> {
    let now = ppi_store::db::now_ms();
    let known = ctx.db.ls_project_roles().await?;
    let seen = look(ctx, &known).await;
    let reachable = seen.as_ref().is_some_and(|l| l.version.is_ok());
    if ctx.ls.is_some() && !reachable {
        wiring.saw_unreachable(now);
    }
    let ml_url = ctx.settings.ml_url();
    let hook_url = format!("{ml_url}/webhook");
    let find = |list: &Option<LsLook>, pick: fn(&LsLook) -> &PerProject, id: i64| {
        list.as_ref().filter(|l| l.version.is_ok()).and_then(|l| {
            pick(l)
                .iter()
                .find(|(p, _)| *p == id)
                .map(|(_, v)| v.clone())
        })
    };
    let mut projects = Vec::new();
    let mut webhooks = Vec::new();
    let deliveries = ctx.db.deliveries().await?;
    for (id, role) in &known {
        let ls_project = seen
            .as_ref()
            .and_then(|l| l.projects.iter().find(|p| p["id"] == *id));
        projects.push(ProjectStatus {
            id: *id,
            role: role.clone(),
            title: ls_project
                .and_then(|p| p["title"].as_str())
                .map(str::to_owned),
            tasks: ls_project.and_then(|p| p["task_number"].as_i64()),
            ml_backend: find(&seen, |l| &l.backends, *id)
                .map(|bs| bs.iter().any(|b| b["url"] == ml_url.as_str())),
        });
        let hook = find(&seen, |l| &l.hooks, *id)
            .map(|hs| hs.into_iter().find(|h| h["url"] == hook_url.as_str()));
        let last = deliveries.iter().find(|d| d.project == *id);
        let missed = match last {
            Some(d) => ctx.db.reconciled_since(*id, d.received_at).await?,
            None => 0,
        };
        let facts = HookFacts {
            configured: ctx.ls.is_some(),
            reachable,
            registered: hook.as_ref().map(Option::is_some),
            active: hook
                .as_ref()
                .and_then(|h| h.as_ref())
                .map(|h| h["is_active"] != false),
            last,
            down_at: wiring.last_unreachable(),
            missed,
        };
        let (health, why) = webhook_health(facts);
        webhooks.push(WebhookStatus {
            project: *id,
            role: role.clone(),
            url: hook_url.clone(),
            registered: facts.registered,
            active: facts.active,
            actions: hook
                .flatten()
                .and_then(|h| h["actions"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            last_delivery: last.cloned(),
            health,
            why,
        });
    }
    let state = wiring.get();
    let cors = match &state {
        WiringState::Wired { report } => report.iter().find(|l| l.contains("CORS")).cloned(),
        _ => None,
    };
    let storage_check = store.check().await;
    let ls = &ctx.settings.label_studio;
    let dataset = ctx.db.dataset_state().await?;
    let hub = &ctx.settings.hub;
    let counts = ctx
        .db
        .job_counts()
        .await?
        .into_iter()
        .map(|(kind, status, count)| JobCount {
            kind,
            status,
            count,
        })
        .collect();
    let mut active = ctx.db.list_jobs(None, None, Some("running"), 50).await?;
    active.extend(ctx.db.list_jobs(None, None, Some("queued"), 50).await?);
    Ok(Status {
        checked_at: now,
        ml_url,
        label_studio: LsStatus {
            configured: ls.enabled(),
            url: ls.url.clone(),
            reachable,
            version: seen.as_ref().and_then(|l| l.version.clone().ok()),
            error: seen.and_then(|l| l.version.err()),
            wiring: state,
        },
        projects,
        webhooks,
        storage: StorageStatus {
            backend: store.backend(),
            ok: storage_check.is_ok(),
            error: storage_check.err().map(|e| e.to_string()),
            cors,
        },
        hub: HubStatus {
            repo: hub.repo_id(),
            token: hub.token.is_some(),
            auto_publish: hub.auto_publish,
            published_at: dataset.published_at,
            published_repo: dataset.repo,
            revision: dataset.revision,
        },
        jobs: JobsStatus {
            counts,
            failed: ctx
                .db
                .list_jobs(None, None, Some("failed"), FAILURES)
                .await?,
            active,
        },
    })
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
