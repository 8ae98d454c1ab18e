//! The job payloads, one typed variant per [`JobKind`]: built by whoever queues a job,
//! decoded once by the runner and matched. The job record keeps the kind and the payload in
//! separate columns, as before the types existed, so jobs already queued decode unchanged.

use std::path::PathBuf;

use serde_json::Value;

use crate::error::{permanent, JobError};
use crate::kind::JobKind;
use ppi_dataset::lesson::LessonFiles;
use ppi_label_studio::model::{AnnotationRecord, TaskRecord};

/// A job and what it works on. The serde tag is the kind's name in the job record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "kebab-case")]
pub enum Job {
    ExtractAudio(ExtractAudio),
    Transcribe(Transcribe),
    LsTask(PreAnnotate),
    LsAnnotation(AnnotationEvent),
    LsAgreement(AgreementAsk),
    LsImport(LsImport),
    Extract(Extract),
    ReviewDecision(ReviewDecision),
    Assemble(Assemble),
    DatasetBuild(BuildJob),
    DatasetPublish(DatasetPublish),
    Learn(Learn),
}

/// `extract-audio`: an uploaded lesson.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExtractAudio {
    pub lesson_id: String,
}

/// Where a video is read from: PPI's storage, Label Studio (a `/data/…` path or an `s3://`
/// URI LS resolves), or an allowed remote host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum MediaRef {
    Stored(String),
    Ls(String),
    Remote(String),
}

/// `transcribe`: one video's transcript, then the predictions of the tasks showing it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transcribe {
    pub media_key: String,
    #[serde(flatten)]
    pub media: MediaRef,
    /// The task that asked (Label Studio resolves its `s3://` URIs per task); 0 for none.
    #[serde(default)]
    pub task_id: i64,
}

/// `ls-task`: a Label Studio task to pre-annotate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PreAnnotate {
    pub project: i64,
    pub task: TaskRecord,
    /// The project's label config, when the event carried it.
    #[serde(default)]
    pub label_config: Option<String>,
}

/// `ls-annotation`: an annotation saved, or deleted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum AnnotationEvent {
    Deleted {
        deleted: i64,
    },
    Saved {
        project: i64,
        task: TaskRecord,
        annotation: AnnotationRecord,
        #[serde(default)]
        label_config: Option<String>,
    },
}

/// `ls-agreement`: a task whose annotations changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgreementAsk {
    pub project: i64,
    pub task_id: i64,
}

/// `ls-import`: an uploaded lesson becomes a task of the annotation project (the first one
/// PPI manages when `project` is not given).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LsImport {
    pub lesson_id: String,
    #[serde(default)]
    pub project: Option<i64>,
}

/// `extract`: a task's review target (one annotation, or the consensus as annotation 0)
/// becomes clips and review tasks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extract {
    pub project: i64,
    pub task_id: i64,
    pub annotation_id: i64,
    #[serde(default)]
    pub result: Vec<Value>,
    /// The annotation's version (or the consensus target).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The review target this extraction is for; skipped when the task's target moved on.
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub completed_by: Value,
}

/// `review-decision`: a reviewer's Approve or Reject on a review task.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReviewDecision {
    pub review_task: i64,
    pub annotation: AnnotationRecord,
}

/// `assemble`: why it was asked for (all of it is informative: assembly always takes every
/// approved item).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Assemble {
    /// The review stage whose decisions completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// A task whose approved clips left review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_task: Option<i64>,
    /// A lesson whose assembly an admin forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
}

/// `dataset-build`: a lesson (video + export + sheet) into a dataset folder, then optionally
/// published.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildJob {
    pub lesson: LessonFiles,
    pub out: PathBuf,
    #[serde(default)]
    pub publish: Option<PublishTo>,
}

/// Where to publish after the build.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishTo {
    pub repo: String,
}

/// `dataset-publish`: a dataset folder to a Hub repository.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatasetPublish {
    pub out: PathBuf,
    pub repo: String,
}

/// `learn`: fit the learned models on every approved review item.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Learn {}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Job::ExtractAudio(_) => JobKind::ExtractAudio,
            Job::Transcribe(_) => JobKind::Transcribe,
            Job::LsTask(_) => JobKind::LsTask,
            Job::LsAnnotation(_) => JobKind::LsAnnotation,
            Job::LsAgreement(_) => JobKind::LsAgreement,
            Job::LsImport(_) => JobKind::LsImport,
            Job::Extract(_) => JobKind::Extract,
            Job::ReviewDecision(_) => JobKind::ReviewDecision,
            Job::Assemble(_) => JobKind::Assemble,
            Job::DatasetBuild(_) => JobKind::DatasetBuild,
            Job::DatasetPublish(_) => JobKind::DatasetPublish,
            Job::Learn(_) => JobKind::Learn,
        }
    }

    /// The payload column's text.
    pub fn payload_json(&self) -> String {
        match serde_json::to_value(self) {
            Ok(mut v) => v["payload"].take().to_string(),
            // Every payload is plain data; serialising cannot fail.
            Err(_) => "{}".into(),
        }
    }

    /// The job of a record's kind and payload columns. A kind PPI does not know, or a payload
    /// that does not fit its kind, is a permanent failure with a code.
    pub fn decode(kind: &str, payload: &str) -> Result<Job, JobError> {
        if JobKind::parse(kind).is_none() {
            return Err(permanent(
                "job-unknown-kind",
                format!("unknown job kind {kind:?}"),
            ));
        }
        let payload: Value = serde_json::from_str(payload)
            .map_err(|e| permanent("job-invalid", format!("{kind} job payload: {e}")))?;
        serde_json::from_value(serde_json::json!({"kind": kind, "payload": payload}))
            .map_err(|e| permanent("job-invalid", format!("{kind} job payload: {e}")))
    }
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
