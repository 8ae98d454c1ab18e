//! What a job does ([`JobKind`], stored as text in the job record) and which lane runs it.

use crate::queue::Lane;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Probe an uploaded lesson and extract its 16 kHz mono audio.
    ExtractAudio,
    /// Transcribe one video and push the predictions of the tasks showing it.
    Transcribe,
    /// Pre-annotate a Label Studio task.
    LsTask,
    /// Check and keep an annotation saved in Label Studio.
    LsAnnotation,
    /// Measure a task's agreement again and decide its review target.
    LsAgreement,
    /// Import an uploaded lesson into the Label Studio annotation project.
    LsImport,
    /// Cut an annotation's intervals into clips and review tasks.
    Extract,
    /// Apply a reviewer's Approve or Reject.
    ReviewDecision,
    /// Assemble the approved clips into the dataset (and publish it).
    Assemble,
    /// Build a lesson (video + export + sheet) into a dataset folder (and publish it).
    DatasetBuild,
    /// Publish a dataset folder to the Hub.
    DatasetPublish,
    /// Fit the learned models on the reviewed items.
    Learn,
}

const KINDS: [(JobKind, &str); 12] = [
    (JobKind::Extract, "extract"),
    (JobKind::ReviewDecision, "review-decision"),
    (JobKind::Assemble, "assemble"),
    (JobKind::ExtractAudio, "extract-audio"),
    (JobKind::Transcribe, "transcribe"),
    (JobKind::LsTask, "ls-task"),
    (JobKind::LsAnnotation, "ls-annotation"),
    (JobKind::LsAgreement, "ls-agreement"),
    (JobKind::LsImport, "ls-import"),
    (JobKind::DatasetBuild, "dataset-build"),
    (JobKind::DatasetPublish, "dataset-publish"),
    (JobKind::Learn, "learn"),
];

impl JobKind {
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or("unknown")
    }

    pub fn parse(s: &str) -> Option<Self> {
        KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }

    /// Quick bookkeeping runs on its own workers; media work on the others.
    pub fn lane(self) -> Lane {
        match self {
            JobKind::LsTask
            | JobKind::LsAnnotation
            | JobKind::LsAgreement
            | JobKind::LsImport
            | JobKind::ReviewDecision
            | JobKind::Learn => Lane::Light,
            JobKind::ExtractAudio
            | JobKind::Transcribe
            | JobKind::Extract
            | JobKind::Assemble
            | JobKind::DatasetBuild
            | JobKind::DatasetPublish => Lane::Heavy,
        }
    }
}
