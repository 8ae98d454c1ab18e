//! The consensus of a task's annotators and the gate in front of review.
//!
//! - **majority** (the default): per label, the frames marked by more than half of the
//!   annotators, as runs (with two annotators: the frames both marked);
//! - **mean** (the old rule): intervals matched across annotators at IoU ≥ the threshold,
//!   each group's bounds averaged (rounded to frames). With more than two annotators every
//!   annotator is matched against the first, and a group counts when more than half of the
//!   annotators are in it.
//!
//! The gate passes when the chosen κ reaches the threshold; an undefined κ does not pass.

use super::frames::{runs_of, FrameFigures};
use super::intervals::assign;
use super::{ConsensusRule, GateMeasure, Marking, Options, Span};

/// The gate's verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gate {
    pub measure: GateMeasure,
    pub threshold: f64,
    /// The κ read (`None`: undefined).
    pub value: Option<f64>,
    pub passed: bool,
}

/// Reads the chosen κ against the threshold.
pub fn gate(f: &FrameFigures, o: &Options) -> Gate {
    let value = match o.gate_measure {
        GateMeasure::Pooled => f.pooled.kappa,
        GateMeasure::Macro => f.macro_kappa,
        GateMeasure::Alpha => f.pooled.alpha,
    };
    Gate {
        measure: o.gate_measure,
        threshold: o.gate,
        value,
        passed: value.is_some_and(|v| v >= o.gate - 1e-12),
    }
}

/// Per label, the runs of frames more than half of the annotators marked.
pub fn majority(markings: &[Marking], labels: &[String], n: u64) -> Vec<Span> {
    marked_by(markings, labels, n, |k, m| 2 * k > m)
}

/// Per label, the runs of frames that `enough(k, m)` annotators of `m` marked.
pub fn marked_by(
    markings: &[Marking],
    labels: &[String],
    n: u64,
    enough: impl Fn(usize, usize) -> bool,
) -> Vec<Span> {
    let m = markings.len();
    let mut out = Vec::new();
    for label in labels {
        let runs = runs_of(markings, label, n);
        let mut events: Vec<(u64, i64)> = runs
            .iter()
            .flat_map(|r| r.iter().flat_map(|(s, e)| [(*s, 1), (*e, -1)]))
            .collect();
        events.sort_unstable();
        let mut k = 0i64;
        let mut open: Option<u64> = None;
        for (t, d) in events {
            k += d;
            let inside = enough(k as usize, m);
            match (open, inside) {
                (None, true) => open = Some(t),
                (Some(s), false) => {
                    if t > s {
                        out.push(Span {
                            label: label.clone(),
                            start: s,
                            end: t,
                        });
                    }
                    open = None;
                }
                _ => {}
            }
        }
    }
    merge_touching(out)
}

/// Runs of one label that touch (one ends where the next starts) are one interval.
fn merge_touching(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(l) if l.label == s.label && s.start <= l.end => l.end = l.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Matched intervals with averaged bounds.
pub fn mean(markings: &[Marking], labels: &[String], t: f64) -> Vec<Span> {
    let Some((first, rest)) = markings.split_first() else {
        return Vec::new();
    };
    let m = markings.len();
    let mut out = Vec::new();
    for label in labels {
        let reference: Vec<&Span> = first.spans.iter().filter(|s| &s.label == label).collect();
        // groups[i]: the spans matched to the reference's i-th interval.
        let mut groups: Vec<Vec<&Span>> = reference.iter().map(|s| vec![*s]).collect();
        for other in rest {
            let theirs: Vec<&Span> = other.spans.iter().filter(|s| &s.label == label).collect();
            for (i, j, _) in assign(&reference, &theirs, t, |_, _| true) {
                groups[i].push(theirs[j]);
            }
        }
        for g in groups.into_iter().filter(|g| 2 * g.len() > m) {
            let k = g.len() as f64;
            let start = (g.iter().map(|s| s.start as f64).sum::<f64>() / k).round() as u64;
            let end = (g.iter().map(|s| s.end as f64).sum::<f64>() / k).round() as u64;
            if end > start {
                out.push(Span {
                    label: label.clone(),
                    start,
                    end,
                });
            }
        }
    }
    out.sort();
    out
}

/// The consensus by the chosen rule.
pub fn consensus(markings: &[Marking], labels: &[String], o: &Options) -> Vec<Span> {
    let n = markings
        .iter()
        .flat_map(|m| m.spans.iter().map(|s| s.end))
        .fold(o.frames, u64::max);
    match o.consensus {
        ConsensusRule::Majority => majority(markings, labels, n),
        ConsensusRule::Mean => mean(markings, labels, o.iou),
    }
}
