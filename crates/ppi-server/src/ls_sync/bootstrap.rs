//! `ppi ls bootstrap`: wires Label Studio to PPI in one idempotent pass and reports what it
//! created, updated or found: the annotation and review projects (configs generated from the
//! patterns sheet and validated by LS), PPI as the ML backend, the webhooks with the secret
//! header and an action filter, optionally S3 storage with presigned URLs and the bucket's CORS
//! rules for LS's origin, and the import of lessons uploaded before the projects existed.
//! `ppi ls bootstrap` and `ppi serve` (at start) run the same pass.

use serde_json::{json, Value};

use ppi_core::catalog::PatternCatalog;
use ppi_core::secret::Secret;
use ppi_jobs::JobContext;
use ppi_jobs::JobSettings;
use ppi_label_studio::client::{LsClient, LsError};
use ppi_label_studio::config::{annotation_config, review_config};
use ppi_store::db::ls::{ROLE_ANNOTATION, ROLE_REVIEW};
use ppi_store::db::DbKind;
use ppi_store::storage::settings::StorageBackend;
use ppi_store::storage::StorageError;

/// The header the webhooks carry.
pub const SECRET_HEADER: &str = "X-PPI-Webhook-Secret";

/// What the annotation project's webhook listens to.
pub const ANNOTATION_ACTIONS: &[&str] = &[
    "TASKS_CREATED",
    "TASKS_DELETED",
    "ANNOTATION_CREATED",
    "ANNOTATION_UPDATED",
    "ANNOTATIONS_CREATED",
    "ANNOTATIONS_DELETED",
];
/// What the review project's webhook listens to (approvals and rejections).
pub const REVIEW_ACTIONS: &[&str] = &[
    "ANNOTATION_CREATED",
    "ANNOTATION_UPDATED",
    "ANNOTATIONS_CREATED",
    "ANNOTATIONS_DELETED",
];

/// What bootstrap needs.
pub struct BootstrapOptions<'a> {
    pub catalog: &'a PatternCatalog,
    pub speakers: Vec<String>,
    pub crop: bool,
    /// Connect PPI's S3 bucket to the annotation project (presign on).
    pub s3: bool,
    /// How LS reaches PPI's ML backend (`…/ml`).
    pub ml_url: String,
    pub webhook_secret: Secret,
    /// Annotators per task (LS's `maximum_annotations` on the annotation project).
    pub annotators: Option<u32>,
}

impl<'a> BootstrapOptions<'a> {
    /// The options as the settings give them (`serve` uses these; the CLI's flags override).
    pub fn from_settings(
        settings: &JobSettings,
        catalog: &'a PatternCatalog,
        secret: Secret,
    ) -> Self {
        BootstrapOptions {
            catalog,
            speakers: settings.label_studio.speakers.clone(),
            crop: settings.label_studio.crop,
            s3: settings.storage.backend == StorageBackend::S3,
            ml_url: settings.ml_url(),
            webhook_secret: secret,
            annotators: settings.label_studio.annotators,
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub outcome: &'static str,
    pub what: String,
}

/// Records in the audit log what a bootstrap created or changed in Label Studio (nothing when
/// everything was in place).
pub async fn audit_changes(db: &ppi_store::db::Db, actor: &str, report: &[Done]) {
    let changed: Vec<String> = report
        .iter()
        .filter(|d| matches!(d.outcome, "created" | "updated"))
        .map(|d| format!("{} {}", d.outcome, d.what))
        .collect();
    if changed.is_empty() {
        return;
    }
    db.audit_or_log(&ppi_store::db::audit::NewEvent {
        actor,
        action: ppi_store::db::audit::action::WIRING_CHANGED,
        target: Some("label-studio"),
        address: None,
        detail: Some(&changed.join("; ")),
    })
    .await;
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Ls(#[from] LsError),
    #[error(transparent)]
    Db(#[from] ppi_store::db::DbError),
    #[error("Label Studio refused the generated {which} config: {detail}")]
    ConfigRefused { which: &'static str, detail: String },
    #[error("{0}")]
    Blocked(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")]
    NotConfigured,
}

impl ppi_core::error::Coded for BootstrapError {
    fn code(&self) -> &'static str {
        match self {
            BootstrapError::Ls(e) => e.code(),
            BootstrapError::Db(e) => e.code(),
            BootstrapError::ConfigRefused { .. } => "ls-config-refused",
            BootstrapError::Blocked(_) => "ls-ssrf-blocked",
            BootstrapError::Storage(e) => e.code(),
            BootstrapError::NotConfigured => "config-invalid",
        }
    }

    fn kind(&self) -> ppi_core::error::ErrorKind {
        match self {
            BootstrapError::Ls(e) => e.kind(),
            BootstrapError::Db(e) => e.kind(),
            BootstrapError::Storage(e) => e.kind(),
            _ => ppi_core::error::ErrorKind::Input,
        }
    }
}

/// Whether `url`'s host is loopback or private: LS blocks those unless told otherwise.
pub fn is_local_host(url: &str) -> bool {
    let Some(host) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    else {
        return false;
    };
    let host = host.trim_matches(['[', ']']);
    if host == "localhost" || !host.contains('.') && !host.contains(':') {
        // `localhost` and bare docker service names (`ppi`) resolve to private addresses.
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback() || (ip.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

/// The LS settings needed when LS and PPI share a host or a docker network.
pub const SSRF_HINT: &str =
    "Label Studio blocks private and loopback addresses by default. When it \
    shares a host or a docker network with PPI, start it with LABEL_STUDIO_ML_BLOCK_LOCAL_IP=false \
    (ML backend) and LABEL_STUDIO_SSRF_PROTECTION_ENABLED=false (webhooks and an S3 endpoint on a \
    private address); USE_DEFAULT_BANNED_SUBNETS and USER_ADDITIONAL_BANNED_SUBNETS give finer \
    control.";

fn blocked(e: LsError, what: &str) -> BootstrapError {
    match &e {
        LsError::Status {
            status: 403,
            detail,
            ..
        } if detail.contains("reserved network address") => BootstrapError::Blocked(format!(
            "Label Studio refused {what}: {detail}. {SSRF_HINT}"
        )),
        _ => BootstrapError::Ls(e),
    }
}

/// Creates or updates a project by title; returns its id.
async fn project(
    ls: &LsClient,
    existing: &[Value],
    title: &str,
    description: &str,
    config: &str,
    report: &mut Vec<Done>,
) -> Result<i64, BootstrapError> {
    if let Some(p) = existing.iter().find(|p| p["title"] == title) {
        let id = p["id"].as_i64().unwrap_or_default();
        if p["label_config"].as_str().map(str::trim) == Some(config.trim()) {
            report.push(Done {
                outcome: "existing",
                what: format!("project {title:?} (id {id})"),
            });
        } else {
            ls.patch(
                &format!("/api/projects/{id}/"),
                &json!({"label_config": config}),
            )
            .await?;
            report.push(Done {
                outcome: "updated",
                what: format!("project {title:?} (id {id}): label config"),
            });
        }
        return Ok(id);
    }
    let p = ls
        .post(
            "/api/projects/",
            &json!({"title": title, "description": description, "label_config": config}),
        )
        .await?;
    let id = p["id"].as_i64().unwrap_or_default();
    report.push(Done {
        outcome: "created",
        what: format!("project {title:?} (id {id})"),
    });
    Ok(id)
}

/// Registers (or fixes) the project's webhook to PPI with the secret and the action filter.
async fn webhook(
    ls: &LsClient,
    project: i64,
    url: &str,
    actions: &[&str],
    secret: &Secret,
    report: &mut Vec<Done>,
) -> Result<(), BootstrapError> {
    let body = json!({
        "project": project, "url": url, "send_payload": true, "send_for_all_actions": false,
        "actions": actions, "headers": {SECRET_HEADER: secret.expose()}, "is_active": true,
    });
    let hooks = ls.list("/api/webhooks/", project).await?;
    let mine: Vec<&Value> = hooks.iter().filter(|h| h["url"] == url).collect();
    match mine.first() {
        Some(h) => {
            let id = h["id"].as_i64().unwrap_or_default();
            let same = h["send_for_all_actions"] == false
                && h["actions"].as_array().map(Vec::len) == Some(actions.len())
                && h["headers"][SECRET_HEADER] == secret.expose()
                && h["is_active"] == true;
            if same {
                report.push(Done {
                    outcome: "existing",
                    what: format!("webhook {url} (project {project})"),
                });
            } else {
                ls.patch(&format!("/api/webhooks/{id}/"), &body)
                    .await
                    .map_err(|e| blocked(e, "the webhook"))?;
                report.push(Done {
                    outcome: "updated",
                    what: format!("webhook {url} (project {project}): secret header and actions"),
                });
            }
            // Duplicates would deliver twice.
            for extra in &mine[1..] {
                ls.delete(&format!("/api/webhooks/{}/", extra["id"]))
                    .await?;
            }
        }
        None => {
            ls.post("/api/webhooks/", &body)
                .await
                .map_err(|e| blocked(e, "the webhook"))?;
            report.push(Done {
                outcome: "created",
                what: format!("webhook {url} (project {project})"),
            });
        }
    }
    Ok(())
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// Runs the whole wiring.
pub fn bootstrap<'a>(
    ctx: &'a JobContext,
    o: &'a BootstrapOptions<'_>,
) -> futures_util::future::BoxFuture<'a, Result<Vec<Done>, BootstrapError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(bootstrapping(ctx, o))
}

async fn bootstrapping(
    ctx: &JobContext,
    o: &BootstrapOptions<'_>,
) -> Result<Vec<Done>, BootstrapError> {
    let ls = ctx.ls.as_ref().ok_or(BootstrapError::NotConfigured)?;
    let (db, settings) = (&ctx.db, ctx.settings.as_ref());
    let mut report = Vec::new();
    let release = ls.version().await?;
    let me = ls.whoami().await?;
    report.push(Done {
        outcome: "checked",
        what: format!(
            "Label Studio {release} at {} as {}",
            ls.base(),
            me["email"].as_str().unwrap_or("?")
        ),
    });
    let annotation = annotation_config(o.catalog, &o.speakers, settings.label_studio.neutral());
    let review = review_config(o.crop);
    for (which, xml) in [("annotation", &annotation), ("review", &review)] {
        ls.validate_config(xml).await.map_err(|e| match e {
            LsError::Status { detail, .. } => BootstrapError::ConfigRefused { which, detail },
            other => other.into(),
        })?;
    }
    let ls_settings = &settings.label_studio;
    let existing = ls.projects().await?;
    let a = project(
        ls,
        &existing,
        &ls_settings.annotation_project,
        "Lesson videos: mark where each pedagogical pattern happens (pre-annotated by PPI).",
        &annotation,
        &mut report,
    )
    .await?;
    let r = project(
        ls,
        &existing,
        &ls_settings.review_project,
        "Clips cut by PPI: approve or reject each one for the dataset.",
        &review,
        &mut report,
    )
    .await?;
    db.upsert_ls_project(a, Some(ROLE_ANNOTATION), Some(&annotation))
        .await?;
    db.upsert_ls_project(r, Some(ROLE_REVIEW), Some(&review))
        .await?;
    if let Some(n) = o.annotators {
        annotators(ls, db, &existing, a, n, &mut report).await?;
    }
    report.push(Done {
        outcome: "recorded",
        what: format!(
            "projects {a} and {r} in {} (`ppi serve` must use the same)",
            match db.kind() {
                DbKind::Sqlite => format!(
                    "the data dir {}",
                    std::path::absolute(&settings.server.data_dir)
                        .unwrap_or_else(|_| settings.server.data_dir.clone())
                        .display()
                ),
                DbKind::Postgres => "the Postgres database (PPI_DATABASE_URL)".into(),
            }
        ),
    });

    if is_local_host(&o.ml_url) {
        report.push(Done {
            outcome: "note",
            what: format!("{} is a private address. {SSRF_HINT}", o.ml_url),
        });
    }
    let backends = ls.list("/api/ml/", a).await?;
    if backends.iter().any(|b| b["url"] == o.ml_url.as_str()) {
        report.push(Done {
            outcome: "existing",
            what: format!("ML backend {} (project {a})", o.ml_url),
        });
    } else {
        let mut body = json!({"project": a, "url": o.ml_url, "title": "PPI (Whisper + pattern rules)",
                              "is_interactive": false, "auth_method": "NONE", "auto_update": true});
        if let (Some(user), Some(pass)) =
            (&ls_settings.basic_auth_user, &ls_settings.basic_auth_pass)
        {
            body["auth_method"] = json!("BASIC_AUTH");
            body["basic_auth_user"] = json!(user);
            body["basic_auth_pass"] = json!(pass.expose());
        }
        ls.post("/api/ml/", &body)
            .await
            .map_err(|e| blocked(e, "the ML backend"))?;
        report.push(Done {
            outcome: "created",
            what: format!("ML backend {} (project {a})", o.ml_url),
        });
    }
    if is_local_host(&o.ml_url) {
        report.push(Done {
            outcome: "checked",
            what: "Label Studio reaches PPI on a private address: its SSRF and local-IP blocking allow it".into(),
        });
    }
    let hook = format!("{}/webhook", o.ml_url);
    webhook(
        ls,
        a,
        &hook,
        ANNOTATION_ACTIONS,
        &o.webhook_secret,
        &mut report,
    )
    .await?;
    webhook(ls, r, &hook, REVIEW_ACTIONS, &o.webhook_secret, &mut report).await?;
    if o.s3 {
        s3_storage(ls, settings, a, &mut report).await?;
    }
    media_cors(ctx, ls, &mut report).await?;
    backfill(ctx, a, &mut report).await?;
    Ok(report)
}

/// Sets how many annotators each task of the annotation project gets (LS's
/// `maximum_annotations`, which Label Studio Community accepts through the API) and records it
/// for the agreement: a task's consensus goes to review once that many have annotated it.
async fn annotators(
    ls: &LsClient,
    db: &ppi_store::db::Db,
    existing: &[Value],
    project: i64,
    n: u32,
    report: &mut Vec<Done>,
) -> Result<(), BootstrapError> {
    let now = existing
        .iter()
        .find(|p| p["id"] == project)
        .and_then(|p| p["maximum_annotations"].as_u64());
    if now == Some(u64::from(n)) {
        report.push(Done {
            outcome: "existing",
            what: format!("{n} annotator(s) per task (project {project})"),
        });
    } else {
        ls.patch(
            &format!("/api/projects/{project}/"),
            &json!({ "maximum_annotations": n }),
        )
        .await?;
        report.push(Done {
            outcome: "updated",
            what: format!("{n} annotator(s) per task (project {project}, maximum_annotations)"),
        });
    }
    db.set_project_annotators(project, i64::from(n)).await?;
    Ok(())
}

/// Lets LS's editor (and PPI's web UI) load media from the bucket cross-origin.
async fn media_cors(
    ctx: &JobContext,
    ls: &LsClient,
    report: &mut Vec<Done>,
) -> Result<(), BootstrapError> {
    let mut origins: Vec<String> = [ls.base().to_owned(), ctx.settings.public_url()]
        .iter()
        .chain(&ctx.settings.server.cors_origins)
        .filter_map(|u| origin(u))
        .collect();
    origins.dedup();
    let bucket = &ctx.settings.storage.bucket;
    match ctx.store.allow_origins(&origins).await? {
        None => report.push(Done {
            outcome: "checked",
            what: "PPI's signed media URLs answer CORS for Label Studio's editor".into(),
        }),
        Some(changed) => report.push(Done {
            outcome: if changed { "updated" } else { "existing" },
            what: format!(
                "CORS on s3://{bucket} for {} (GET, HEAD, Range)",
                origins.join(", ")
            ),
        }),
    }
    Ok(())
}

/// Lessons uploaded before the annotation project existed become its tasks, once each.
async fn backfill(
    ctx: &JobContext,
    project: i64,
    report: &mut Vec<Done>,
) -> Result<(), BootstrapError> {
    if !ctx.settings.label_studio.import_uploads {
        return Ok(());
    }
    let mut queued = 0;
    for (lesson, owner) in ctx.db.lessons_without_task(project).await? {
        queued +=
            usize::from(ppi_jobs::ls_import::queue_import(ctx, &lesson, &owner, project).await?);
    }
    if queued > 0 {
        report.push(Done {
            outcome: "queued",
            what: format!(
                "{queued} lesson(s) uploaded before project {project} existed, to become its tasks"
            ),
        });
    }
    Ok(())
}

/// Connects PPI's bucket to the project (presign on, no sync: PPI imports tasks itself).
async fn s3_storage(
    ls: &LsClient,
    settings: &JobSettings,
    project: i64,
    report: &mut Vec<Done>,
) -> Result<(), BootstrapError> {
    let st = &settings.storage;
    let storages = ls.list("/api/storages/s3/", project).await?;
    if storages.iter().any(|s| s["bucket"] == st.bucket.as_str()) {
        report.push(Done {
            outcome: "existing",
            what: format!("S3 storage s3://{} (project {project})", st.bucket),
        });
        return Ok(());
    }
    let body = json!({
        "project": project, "title": format!("PPI {}", st.bucket), "bucket": st.bucket,
        "use_blob_urls": true, "presign": true, "presign_ttl": 60, "recursive_scan": true,
        "region_name": st.region, "s3_endpoint": st.public_endpoint.as_ref().or(st.endpoint.as_ref()),
        "aws_access_key_id": st.access_key_id.as_ref().map(Secret::expose),
        "aws_secret_access_key": st.secret_access_key.as_ref().map(Secret::expose),
    });
    ls.post("/api/storages/s3/", &body)
        .await
        .map_err(|e| blocked(e, "the S3 storage"))?;
    report.push(Done {
        outcome: "created",
        what: format!(
            "S3 storage s3://{} (project {project}, presigned)",
            st.bucket
        ),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn private_hosts_are_recognised() {
        for local in [
            "http://127.0.0.1:8080/ml",
            "http://localhost/ml",
            "http://ppi:8080/ml",
            "http://10.1.2.3/ml",
            "http://192.168.0.2/ml",
            "http://[::1]:8080/ml",
        ] {
            assert!(super::is_local_host(local), "{local}");
        }
        for public in ["https://ppi.example.org/ml", "http://8.8.8.8/ml"] {
            assert!(!super::is_local_host(public), "{public}");
        }
    }
}
