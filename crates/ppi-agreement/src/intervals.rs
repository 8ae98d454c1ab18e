//! Interval-level agreement, for each pair of annotators (a, b):
//!
//! - within each label, intervals are matched one to one where IoU ≥ the threshold, by an
//!   optimal assignment (Kuhn–Munkres, maximising the summed IoU of the matched pairs);
//!   TP = matched pairs, FP = b's unmatched, FN = a's unmatched, F1 = 2TP / (2TP + FP + FN),
//!   and the mean IoU of the matched pairs;
//! - intervals left unmatched are matched again across labels (IoU ≥ the threshold, labels
//!   differing): each such pair is a *confusion* of a's label with b's;
//! - the method's segment level: every interval is an *agreement* (matched, same label), a
//!   *disagreement* (a confusion) or a *miss* (no counterpart); percent agreement is
//!   agreements over all segments, and the segment κ is Cohen's κ over the paired labels,
//!   with "none" standing for the missing side of a miss.
//!
//! With more than two annotators every pair is reported, and the means over pairs.

use std::collections::BTreeMap;

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

use super::{Marking, Span};

/// IoU weights are integers for the assignment: parts per billion.
const SCALE: f64 = 1e9;

/// Pairs `(i, j)` of `a[i]`, `b[j]` with `ok(a, b)` and IoU ≥ `t`, maximising the summed IoU.
pub fn assign(
    a: &[&Span],
    b: &[&Span],
    t: f64,
    ok: impl Fn(&Span, &Span) -> bool,
) -> Vec<(usize, usize, f64)> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let iou = |i: usize, j: usize| -> Option<f64> {
        let v = a[i].iou(b[j]);
        (ok(a[i], b[j]) && v >= t && v > 0.0).then_some(v)
    };
    let weight = |v: Option<f64>| v.map(|v| ((v * SCALE).round() as i64).max(1)).unwrap_or(0);
    // Kuhn–Munkres wants no more rows than columns.
    let transpose = a.len() > b.len();
    let (rows, cols) = if transpose {
        (b.len(), a.len())
    } else {
        (a.len(), b.len())
    };
    let mut m = Matrix::new(rows, cols, 0i64);
    let mut any = false;
    for r in 0..rows {
        for c in 0..cols {
            let (i, j) = if transpose { (c, r) } else { (r, c) };
            let w = weight(iou(i, j));
            any |= w > 0;
            m[(r, c)] = w;
        }
    }
    if !any {
        return Vec::new();
    }
    let (_, assignment) = kuhn_munkres(&m);
    let mut out: Vec<(usize, usize, f64)> = assignment
        .into_iter()
        .enumerate()
        .filter_map(|(r, c)| {
            let (i, j) = if transpose { (c, r) } else { (r, c) };
            iou(i, j).map(|v| (i, j, v))
        })
        .collect();
    out.sort_by_key(|p| (p.0, p.1));
    out
}

/// F1 from matched-interval counts: 2TP / (2TP + FP + FN); `None` with nothing on either side.
pub fn f1(tp: u64, fp: u64, fn_: u64) -> Option<f64> {
    let d = 2 * tp + fp + fn_;
    (d > 0).then(|| 2.0 * tp as f64 / d as f64)
}

/// Matching counts of one pair of annotators.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PairFigures {
    pub a: String,
    pub b: String,
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub f1: Option<f64>,
    pub mean_iou: Option<f64>,
    /// Summed IoU of the matched pairs (for means over labels).
    #[serde(skip)]
    pub iou_sum: f64,
}

impl PairFigures {
    fn finish(&mut self) {
        self.f1 = f1(self.tp, self.fp, self.fn_);
        self.mean_iou = (self.tp > 0).then(|| self.iou_sum / self.tp as f64);
    }

    fn add(&mut self, o: &PairFigures) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.iou_sum += o.iou_sum;
    }
}

/// One label's matching.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelIntervals {
    pub label: String,
    pub pairs: Vec<PairFigures>,
    /// Means over the pairs (pairs where the figure is undefined left out).
    pub f1: Option<f64>,
    pub mean_iou: Option<f64>,
}

/// The segment level of one pair of annotators.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentFigures {
    pub a: String,
    pub b: String,
    pub agreement: u64,
    pub disagreement: u64,
    pub miss: u64,
    pub percent: Option<f64>,
    pub kappa: Option<f64>,
}

/// One cell of a pair's confusion table: `count` intervals of `a_label` met `b_label`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Confusion {
    pub a: String,
    pub b: String,
    pub a_label: String,
    pub b_label: String,
    pub count: u64,
}

/// The interval-level figures of a task.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IntervalFigures {
    pub labels: Vec<LabelIntervals>,
    /// All labels together, per pair.
    pub pairs: Vec<PairFigures>,
    pub f1: Option<f64>,
    pub mean_iou: Option<f64>,
    pub confusions: Vec<Confusion>,
    pub segments: Vec<SegmentFigures>,
    pub segment_percent: Option<f64>,
    pub segment_kappa: Option<f64>,
}

fn mean(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let d: Vec<f64> = v.flatten().collect();
    (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64)
}

/// Cohen's κ over paired categories (`None` = the missing side).
pub fn paired_kappa(pairs: &[(Option<&str>, Option<&str>)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return None;
    }
    let mut rows: BTreeMap<Option<&str>, f64> = BTreeMap::new();
    let mut cols: BTreeMap<Option<&str>, f64> = BTreeMap::new();
    let mut diag = 0.0;
    for (x, y) in pairs {
        *rows.entry(*x).or_default() += 1.0;
        *cols.entry(*y).or_default() += 1.0;
        if x == y {
            diag += 1.0;
        }
    }
    let pe: f64 = rows
        .iter()
        .map(|(c, r)| r / n * cols.get(c).copied().unwrap_or(0.0) / n)
        .sum();
    let po = diag / n;
    // Chance agreement 1: one category on both sides.
    if rows.len() == 1 && cols.len() == 1 && rows.keys().next() == cols.keys().next() {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

/// Everything of one pair.
struct PairResult {
    per_label: Vec<PairFigures>,
    confusions: Vec<(String, String)>,
    segment: SegmentFigures,
}

fn pair(a: &Marking, b: &Marking, labels: &[String], t: f64) -> PairResult {
    let mut per_label = Vec::with_capacity(labels.len());
    let (mut left_a, mut left_b): (Vec<&Span>, Vec<&Span>) = (Vec::new(), Vec::new());
    let mut observed: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for label in labels {
        let xa: Vec<&Span> = a.spans.iter().filter(|s| &s.label == label).collect();
        let xb: Vec<&Span> = b.spans.iter().filter(|s| &s.label == label).collect();
        let m = assign(&xa, &xb, t, |_, _| true);
        let mut f = PairFigures {
            a: a.annotator.clone(),
            b: b.annotator.clone(),
            tp: m.len() as u64,
            fp: (xb.len() - m.len()) as u64,
            fn_: (xa.len() - m.len()) as u64,
            iou_sum: m.iter().map(|p| p.2).sum(),
            ..PairFigures::default()
        };
        f.finish();
        per_label.push(f);
        for _ in &m {
            observed.push((Some(label.as_str()), Some(label.as_str())));
        }
        left_a.extend(
            xa.iter()
                .enumerate()
                .filter(|(i, _)| !m.iter().any(|p| p.0 == *i))
                .map(|(_, s)| *s),
        );
        left_b.extend(
            xb.iter()
                .enumerate()
                .filter(|(j, _)| !m.iter().any(|p| p.1 == *j))
                .map(|(_, s)| *s),
        );
    }
    let cross = assign(&left_a, &left_b, t, |x, y| x.label != y.label);
    let mut confusions = Vec::with_capacity(cross.len());
    for (i, j, _) in &cross {
        confusions.push((left_a[*i].label.clone(), left_b[*j].label.clone()));
        observed.push((
            Some(left_a[*i].label.as_str()),
            Some(left_b[*j].label.as_str()),
        ));
    }
    let mut miss = 0u64;
    for (i, s) in left_a.iter().enumerate() {
        if !cross.iter().any(|p| p.0 == i) {
            observed.push((Some(s.label.as_str()), None));
            miss += 1;
        }
    }
    for (j, s) in left_b.iter().enumerate() {
        if !cross.iter().any(|p| p.1 == j) {
            observed.push((None, Some(s.label.as_str())));
            miss += 1;
        }
    }
    let agreement: u64 = per_label.iter().map(|f| f.tp).sum();
    let total = agreement + cross.len() as u64 + miss;
    let segment = SegmentFigures {
        a: a.annotator.clone(),
        b: b.annotator.clone(),
        agreement,
        disagreement: cross.len() as u64,
        miss,
        percent: (total > 0).then(|| agreement as f64 / total as f64),
        kappa: paired_kappa(&observed),
    };
    PairResult {
        per_label,
        confusions,
        segment,
    }
}

/// Interval-level figures over every pair of annotators.
pub fn figures(markings: &[Marking], labels: &[String], t: f64) -> IntervalFigures {
    let mut results = Vec::new();
    for i in 0..markings.len() {
        for j in i + 1..markings.len() {
            results.push(pair(&markings[i], &markings[j], labels, t));
        }
    }
    let label_rows: Vec<LabelIntervals> = labels
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let pairs: Vec<PairFigures> = results.iter().map(|r| r.per_label[k].clone()).collect();
            LabelIntervals {
                label: label.clone(),
                f1: mean(pairs.iter().map(|p| p.f1)),
                mean_iou: mean(pairs.iter().map(|p| p.mean_iou)),
                pairs,
            }
        })
        .collect();
    let pairs: Vec<PairFigures> = results
        .iter()
        .map(|r| {
            let mut total = PairFigures {
                a: r.segment.a.clone(),
                b: r.segment.b.clone(),
                ..PairFigures::default()
            };
            for f in &r.per_label {
                total.add(f);
            }
            total.finish();
            total
        })
        .collect();
    let mut confusions: Vec<Confusion> = Vec::new();
    for r in &results {
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for c in &r.confusions {
            *counts.entry(c.clone()).or_default() += 1;
        }
        for ((x, y), count) in counts {
            confusions.push(Confusion {
                a: r.segment.a.clone(),
                b: r.segment.b.clone(),
                a_label: x,
                b_label: y,
                count,
            });
        }
    }
    let segments: Vec<SegmentFigures> = results.into_iter().map(|r| r.segment).collect();
    IntervalFigures {
        labels: label_rows,
        f1: mean(pairs.iter().map(|p| p.f1)),
        mean_iou: mean(pairs.iter().map(|p| p.mean_iou)),
        pairs,
        confusions,
        segment_percent: mean(segments.iter().map(|s| s.percent)),
        segment_kappa: mean(segments.iter().map(|s| s.kappa)),
        segments,
    }
}
