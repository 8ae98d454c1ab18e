//! Agreement between annotators of one lesson, and their consensus (pure: no I/O).
//!
//! Units are the lesson's frames. Label Studio's ranges are 1-based and inclusive; they are
//! converted once, in [`Span::from_range`], to 0-based half-open frame spans. Every frame of
//! the lesson is a unit for every label: a frame an annotator left unlabelled counts as
//! "absent", so there are true negatives.
//!
//! - [`frames`]: per label, Cohen's κ (2 annotators), Fleiss' κ and Krippendorff's α (nominal),
//!   percent agreement; the pooled κ over all label × frame cells and the macro mean.
//! - [`intervals`]: one-to-one matching within each label at IoU ≥ a threshold (optimal
//!   assignment), TP/FP/FN, F1, mean IoU, cross-label confusions, and the method's
//!   segment-level κ and percent agreement (agreement / disagreement / miss).
//! - [`matrix`]: the annotator matrix: Cohen's κ for every pair (per label and pooled), the
//!   tasks each pair shares, and each annotator against the consensus of the others.
//! - [`machine`]: the machine as one more annotator: each prediction (named by its model
//!   version) against the humans' consensus, beside the humans' own pairwise figures.
//! - [`consensus`]: the agreed intervals (frames marked by a majority, or matched pairs with
//!   averaged bounds), and the gate that decides whether a task goes to review.
//!
//! docs/agreement.md states every definition with a worked example.

pub mod analytics;
pub mod consensus;
pub mod corpus;
pub mod frames;
pub mod intervals;
pub mod machine;
pub mod matrix;
pub mod report;

use std::collections::BTreeSet;

use ppi_core::domain::FrameRange;

/// A labelled stretch of frames: `[start, end)`, 0-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub label: String,
    pub start: u64,
    pub end: u64,
}

impl Span {
    /// The one conversion from Label Studio's 1-based inclusive frames.
    pub fn from_range(label: impl Into<String>, r: FrameRange) -> Self {
        Span {
            label: label.into(),
            start: r.first_index(),
            end: r.last_index() + 1,
        }
    }

    /// Back to Label Studio's 1-based inclusive frames (`None` for an empty span).
    pub fn to_range(&self) -> Option<FrameRange> {
        if self.end <= self.start {
            return None;
        }
        FrameRange::new(self.start as i64 + 1, self.end as i64).ok()
    }

    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Intersection over union of two spans, in frames.
    pub fn iou(&self, other: &Span) -> f64 {
        let inter = self
            .end
            .min(other.end)
            .saturating_sub(self.start.max(other.start));
        let union = self.len() + other.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// One annotator's take on the lesson.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Marking {
    /// Who (Label Studio's `completed_by`, or the annotation id when unknown).
    pub annotator: String,
    pub annotation_id: Option<i64>,
    pub spans: Vec<Span>,
}

/// Which κ the gate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateMeasure {
    /// The pooled frame κ over all label × frame cells (Cohen's for 2, Fleiss' for more).
    #[default]
    Pooled,
    /// The mean of the per-label κs (labels whose κ is undefined left out).
    Macro,
    /// Krippendorff's α over all label × frame cells.
    Alpha,
}

impl std::str::FromStr for GateMeasure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "pooled" => Ok(GateMeasure::Pooled),
            "macro" => Ok(GateMeasure::Macro),
            "alpha" => Ok(GateMeasure::Alpha),
            other => Err(format!("expected pooled, macro or alpha, found {other:?}")),
        }
    }
}

/// How the consensus is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusRule {
    /// Per label, the frames a majority of annotators marked.
    #[default]
    Majority,
    /// Matched intervals (IoU ≥ the threshold) with averaged bounds: the old rule.
    Mean,
}

impl std::str::FromStr for ConsensusRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "majority" => Ok(ConsensusRule::Majority),
            "mean" => Ok(ConsensusRule::Mean),
            other => Err(format!("expected majority or mean, found {other:?}")),
        }
    }
}

/// What the analysis needs besides the markings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Options {
    /// The lesson's length in frames (every frame is a unit).
    pub frames: u64,
    /// Intervals match when their IoU reaches this.
    pub iou: f64,
    /// The labels to report; `None`: every label of the config (`all_labels`) or seen.
    pub labels: Option<Vec<String>>,
    /// The project's labels, so that a label nobody used is reported too.
    pub all_labels: Vec<String>,
    pub gate: f64,
    pub gate_measure: GateMeasure,
    pub consensus: ConsensusRule,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            frames: 0,
            iou: 0.5,
            labels: None,
            all_labels: Vec::new(),
            gate: 0.6,
            gate_measure: GateMeasure::Pooled,
            consensus: ConsensusRule::Majority,
        }
    }
}

/// Everything measured on one task.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub annotators: Vec<String>,
    pub frames: u64,
    pub iou_threshold: f64,
    pub frame: frames::FrameFigures,
    pub intervals: intervals::IntervalFigures,
    pub gate: consensus::Gate,
    pub consensus: Vec<Span>,
    /// Pairwise κ and each annotator against the others (it adds up across tasks).
    pub matrix: matrix::Matrix,
    /// The humans' pairwise figures and each prediction against their consensus, when
    /// predictions were measured ([`analyse_with_machines`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<machine::Bench>,
}

/// The labels to report, in order: the chosen ones, else the project's then any other seen.
fn labels_of(markings: &[Marking], o: &Options) -> Vec<String> {
    if let Some(l) = &o.labels {
        return l.clone();
    }
    let mut out = o.all_labels.clone();
    let seen: BTreeSet<&str> = markings
        .iter()
        .flat_map(|m| m.spans.iter().map(|s| s.label.as_str()))
        .collect();
    for s in seen {
        if !out.iter().any(|l| l == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// The lesson length the markings need: `o.frames`, grown to cover every span.
fn frames_needed(markings: &[Marking], o: &Options) -> u64 {
    markings
        .iter()
        .flat_map(|m| m.spans.iter().map(|s| s.end))
        .fold(o.frames, u64::max)
}

/// Measures agreement between the markings (two or more) and forms their gated consensus.
pub fn analyse(markings: &[Marking], o: &Options) -> Report {
    analyse_with_machines(markings, &[], o, 0.0)
}

/// [`analyse`] of the humans' markings, with each machine marking (a prediction, named by its
/// model version) measured like one more annotator: in the matrix (paired with each human,
/// and against all the humans), and against the humans' consensus ([`machine::bench`]);
/// boundary errors in seconds at `fps`. The gate and the consensus are the humans' alone.
pub fn analyse_with_machines(
    humans: &[Marking],
    machines: &[Marking],
    o: &Options,
    fps: f64,
) -> Report {
    let everyone: Vec<Marking> = humans.iter().chain(machines).cloned().collect();
    let labels = labels_of(&everyone, o);
    let n = frames_needed(&everyone, o);
    let frame = frames::figures(humans, &labels, n);
    let intervals = intervals::figures(humans, &labels, o.iou);
    let gate = consensus::gate(&frame, o);
    let consensus = consensus::consensus(humans, &labels, o);
    let matrix = matrix::Matrix::with_machines(humans, machines, &labels, n, o.iou);
    let machine = (!machines.is_empty())
        .then(|| machine::bench(humans, &consensus, machines, &labels, n, o.iou, fps));
    Report {
        annotators: humans.iter().map(|m| m.annotator.clone()).collect(),
        frames: n,
        iou_threshold: o.iou,
        frame,
        intervals,
        gate,
        consensus,
        matrix,
        machine,
    }
}

/// Adds to a report of the humans' markings each machine marking measured against their
/// consensus ([`machine::bench`]), over the report's labels and frames; the matrix stays the
/// humans' own (what the service shows as its annotator matrix).
pub fn add_machine_bench(r: &mut Report, humans: &[Marking], machines: &[Marking], fps: f64) {
    if machines.is_empty() {
        return;
    }
    let labels: Vec<String> = r.frame.labels.iter().map(|l| l.label.clone()).collect();
    r.machine = Some(machine::bench(
        humans,
        &r.consensus,
        machines,
        &labels,
        r.frames,
        r.iou_threshold,
        fps,
    ));
}

#[cfg(test)]
mod tests;
