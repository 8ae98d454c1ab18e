//! Label Studio webhook payloads (pure): every shape LS 1.23 sends becomes a list of events
//! with deduplication keys. The payload's project carries LS's token; only the project id and
//! its label config are kept, and nothing here is logged.

use serde_json::Value;

use crate::model::{AnnotationRecord, TaskRecord};

/// One thing a webhook (or the reconcile loop) says happened.
#[derive(Debug, Clone, PartialEq)]
pub enum LsEvent {
    /// A task to pre-annotate.
    TaskCreated {
        project: i64,
        task: TaskRecord,
    },
    TaskDeleted {
        project: i64,
        task: i64,
    },
    /// An annotation was created or updated (the result as saved).
    Annotation {
        action: String,
        project: i64,
        task: TaskRecord,
        annotation: AnnotationRecord,
    },
    AnnotationDeleted {
        project: i64,
        annotation: i64,
    },
    /// The project's "Start Training" button (LS posts `START_TRAINING` to the backend).
    StartTraining {
        project: i64,
    },
}

/// Why a payload was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook payload: {0}")]
pub struct PayloadError(pub String);

fn id_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v["id"].as_i64())
}

/// A list under `key`, or a single object there as a list of one (LS's bulk actions use the
/// singular keys for lists).
fn items<'a>(body: &'a Value, key: &str) -> Vec<&'a Value> {
    match &body[key] {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    }
}

impl LsEvent {
    /// The deduplication key: (action, annotation id, `updated_at`) for annotations.
    pub fn dedupe_key(&self) -> String {
        match self {
            LsEvent::TaskCreated { project, task } => {
                format!("TASKS_CREATED:{project}:{}", task.id)
            }
            LsEvent::TaskDeleted { project, task } => format!("TASKS_DELETED:{project}:{task}"),
            LsEvent::Annotation {
                action, annotation, ..
            } => format!("{action}:{}:{}", annotation.id, annotation.version()),
            LsEvent::AnnotationDeleted { annotation, .. } => {
                format!("ANNOTATIONS_DELETED:{annotation}")
            }
            LsEvent::StartTraining { project } => format!("START_TRAINING:{project}"),
        }
    }

    pub fn project(&self) -> i64 {
        match self {
            LsEvent::TaskCreated { project, .. }
            | LsEvent::TaskDeleted { project, .. }
            | LsEvent::Annotation { project, .. }
            | LsEvent::AnnotationDeleted { project, .. }
            | LsEvent::StartTraining { project } => *project,
        }
    }
}

/// A parsed delivery: its action, the project's label config when sent, and the events.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub action: String,
    pub label_config: Option<String>,
    pub events: Vec<LsEvent>,
}

/// Parses a webhook body. Actions PPI does not act on give no events.
pub fn parse(body: &Value) -> Result<Delivery, PayloadError> {
    let action = body["action"]
        .as_str()
        .ok_or_else(|| PayloadError("no \"action\"".into()))?
        .to_owned();
    let project = id_of(&body["project"]);
    let need_project = || project.ok_or_else(|| PayloadError(format!("{action}: no project id")));
    let mut events = Vec::new();
    match action.as_str() {
        "TASKS_CREATED" => {
            let project = need_project()?;
            for t in items(body, "tasks") {
                let task = TaskRecord::from_ls(t)
                    .ok_or_else(|| PayloadError("tasks[]: a task without an id".into()))?;
                events.push(LsEvent::TaskCreated { project, task });
            }
        }
        "TASKS_DELETED" => {
            let project = need_project()?;
            for t in items(body, "tasks") {
                if let Some(task) = id_of(t) {
                    events.push(LsEvent::TaskDeleted { project, task });
                }
            }
        }
        "ANNOTATION_CREATED" | "ANNOTATION_UPDATED" | "ANNOTATIONS_CREATED" => {
            let project = need_project()?;
            let tasks = items(body, "task");
            for a in items(body, "annotation") {
                let Some(task_id) = a["task"].as_i64().or_else(|| {
                    // A single annotation names its task only in `task`.
                    (tasks.len() == 1).then(|| id_of(tasks[0])).flatten()
                }) else {
                    return Err(PayloadError(format!(
                        "{action}: an annotation without its task"
                    )));
                };
                let Some(mut annotation) = AnnotationRecord::from_ls(a) else {
                    return Err(PayloadError(format!(
                        "{action}: an annotation without an id"
                    )));
                };
                let task = tasks
                    .iter()
                    .find(|t| id_of(t) == Some(task_id))
                    .and_then(|t| TaskRecord::from_ls(t))
                    .unwrap_or(TaskRecord {
                        id: task_id,
                        data: Value::Null,
                        updated_at: None,
                    });
                annotation.task = Some(task_id);
                events.push(LsEvent::Annotation {
                    action: action.clone(),
                    project,
                    task,
                    annotation,
                });
            }
        }
        "ANNOTATIONS_DELETED" => {
            let project = need_project()?;
            for a in items(body, "annotations") {
                if let Some(annotation) = id_of(a) {
                    events.push(LsEvent::AnnotationDeleted {
                        project,
                        annotation,
                    });
                }
            }
        }
        "START_TRAINING" => events.push(LsEvent::StartTraining {
            project: need_project()?,
        }),
        _ => {}
    }
    Ok(Delivery {
        label_config: body["project"]["label_config"].as_str().map(str::to_owned),
        action,
        events,
    })
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
