//! The reconcile loop: Label Studio delivers webhooks once, with a 1 s timeout and no retry,
//! so a PPI that was down or slow misses them. Every `reconcile_secs` PPI lists the tasks of
//! its annotation and review projects changed since a stored cursor (LS bumps a task's `updated_at` when
//! an annotation is saved or deleted) and queues whatever a webhook would have queued. Work is
//! keyed, so events seen both ways run once.

use std::time::Duration;

use serde_json::Value;

use super::queue_event;
use ppi_jobs::JobContext;
use ppi_label_studio::client::LsError;
use ppi_label_studio::model::{AnnotationRecord, TaskRecord};
use ppi_label_studio::webhook::LsEvent;
use ppi_store::db::ls::{ROLE_ANNOTATION, ROLE_REVIEW};

const PAGE: u32 = 100;
/// Pages per project per pass; the rest waits for the next pass.
const MAX_PAGES: u32 = 20;

/// What one pass found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub tasks: usize,
    pub queued: usize,
}

/// Reconciles every annotation project once.
pub async fn reconcile_once(ctx: &JobContext) -> Result<Pass, String> {
    let Some(ls) = &ctx.ls else {
        return Ok(Pass::default());
    };
    let mut pass = Pass::default();
    let mut projects = ctx
        .db
        .ls_projects(ROLE_ANNOTATION)
        .await
        .map_err(|e| e.to_string())?;
    projects.extend(
        ctx.db
            .ls_projects(ROLE_REVIEW)
            .await
            .map_err(|e| e.to_string())?,
    );
    for (project, _, cursor) in projects {
        let mut newest = cursor.clone();
        for page in 1..=MAX_PAGES {
            let (_, tasks) = match ls
                .tasks_updated_after(project, cursor.as_deref(), page, PAGE)
                .await
            {
                Ok(t) => t,
                // Past the last page LS answers 404.
                Err(LsError::Status { status: 404, .. }) => break,
                Err(e) => return Err(format!("project {project}: {e}")),
            };
            for task in &tasks {
                pass.tasks += 1;
                pass.queued += reconcile_task(ctx, project, task)
                    .await
                    .map_err(|e| format!("project {project}: {e}"))?;
                if let Some(u) = task["updated_at"].as_str() {
                    if newest.as_deref().is_none_or(|n| u > n) {
                        newest = Some(u.to_owned());
                    }
                }
            }
            if tasks.len() < PAGE as usize {
                break;
            }
        }
        if let Some(n) = newest.filter(|n| Some(n) != cursor.as_ref()) {
            ctx.db
                .set_ls_cursor(project, &n)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(pass)
}

async fn reconcile_task(
    ctx: &JobContext,
    project: i64,
    task: &Value,
) -> Result<usize, ppi_store::db::DbError> {
    let mut queued = 0;
    let Some(record) = TaskRecord::from_ls(task) else {
        return Ok(0);
    };
    let id = record.id;
    if ctx.db.ls_task(id).await?.is_none() {
        let event = LsEvent::TaskCreated {
            project,
            task: record.clone(),
        };
        queued += usize::from(queue_event(ctx, &event, "TASKS_CREATED", "reconcile", None).await?);
    }
    for a in task["annotations"].as_array().into_iter().flatten() {
        let Some(mut annotation) = AnnotationRecord::from_ls(a) else {
            continue;
        };
        annotation.task = Some(id);
        let event = LsEvent::Annotation {
            action: "ANNOTATION_UPDATED".into(),
            project,
            task: record.clone(),
            annotation,
        };
        queued += usize::from(queue_event(ctx, &event, "RECONCILED", "reconcile", None).await?);
    }
    Ok(queued)
}

/// Runs passes every `every` until `stop` turns true.
pub async fn run(
    ctx: std::sync::Arc<JobContext>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match reconcile_once(&ctx).await {
            Ok(p) if p.queued > 0 => {
                tracing::info!(
                    tasks = p.tasks,
                    queued = p.queued,
                    "reconciled with Label Studio"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("reconcile with Label Studio failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}
