//! Frame-level agreement: every (label, frame) cell is a unit that each annotator marked
//! "present" or left "absent". Per label: Cohen's κ (exactly two annotators), Fleiss' κ and
//! Krippendorff's α (nominal, two or more), and percent agreement (the mean over annotator
//! pairs of the share of frames on which the pair agrees). Pooled over all label × frame
//! cells, and the macro mean over labels.
//!
//! Also the frame F1 of each pair of annotators (2|A∩B| / (|A| + |B|), the duration-weighted
//! detection F-measure), averaged over pairs.
//!
//! A κ whose chance agreement is 1 (every annotator marked everything, or nothing) is
//! undefined: `None`, never 0 or 1.
//!
//! Counting needs no per-frame arrays: a sweep over the annotators' span boundaries gives how
//! many frames were marked by exactly k annotators, which is all Fleiss and Krippendorff need,
//! and with each annotator's own count, all Cohen needs.

use super::{Marking, Span};

/// How the cells of one label (or of all labels) were marked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counts {
    /// Annotators.
    pub m: usize,
    /// `hist[k]`: cells marked present by exactly `k` annotators.
    pub hist: Vec<u64>,
    /// Cells each annotator marked present.
    pub marked: Vec<u64>,
}

impl Counts {
    fn empty(m: usize) -> Self {
        Counts {
            m,
            hist: vec![0; m + 1],
            marked: vec![0; m],
        }
    }

    fn add(&mut self, other: &Counts) {
        for (a, b) in self.hist.iter_mut().zip(&other.hist) {
            *a += b;
        }
        for (a, b) in self.marked.iter_mut().zip(&other.marked) {
            *a += b;
        }
    }

    /// Cells.
    pub fn n(&self) -> u64 {
        self.hist.iter().sum()
    }

    /// Present votes.
    fn present(&self) -> u64 {
        self.hist
            .iter()
            .enumerate()
            .map(|(k, h)| k as u64 * h)
            .sum()
    }

    /// Mean pairwise observed agreement (Fleiss' P̄).
    pub fn percent(&self) -> Option<f64> {
        let (m, n) = (self.m as f64, self.n() as f64);
        if self.m < 2 || n == 0.0 {
            return None;
        }
        let agree: f64 = self
            .hist
            .iter()
            .enumerate()
            .map(|(k, h)| {
                let k = k as f64;
                *h as f64 * (k * (k - 1.0) + (m - k) * (m - k - 1.0))
            })
            .sum();
        Some(agree / (m * (m - 1.0)) / n)
    }

    /// Cohen's κ, for exactly two annotators.
    pub fn cohen(&self) -> Option<f64> {
        if self.m != 2 {
            return None;
        }
        let n = self.n();
        let (a, b) = (self.marked[0], self.marked[1]);
        // Chance agreement is 1 exactly when both marked every cell or both none.
        if n == 0 || (a == 0 && b == 0) || (a == n && b == n) {
            return None;
        }
        let nf = n as f64;
        let po = (self.hist[0] + self.hist[2]) as f64 / nf;
        let (pa, pb) = (a as f64 / nf, b as f64 / nf);
        let pe = pa * pb + (1.0 - pa) * (1.0 - pb);
        Some((po - pe) / (1.0 - pe))
    }

    /// Fleiss' κ (two or more annotators).
    pub fn fleiss(&self) -> Option<f64> {
        let (n, present) = (self.n(), self.present());
        let votes = n * self.m as u64;
        if self.m < 2 || n == 0 || present == 0 || present == votes {
            return None;
        }
        let p_bar = self.percent()?;
        let p1 = present as f64 / votes as f64;
        let pe = p1 * p1 + (1.0 - p1) * (1.0 - p1);
        Some((p_bar - pe) / (1.0 - pe))
    }

    /// Krippendorff's α, nominal, every annotator on every cell.
    pub fn alpha(&self) -> Option<f64> {
        let (cells, n1) = (self.n(), self.present());
        let m = self.m as u64;
        let n = cells * m;
        if self.m < 2 || n1 == 0 || n1 == n {
            return None;
        }
        let n0 = n - n1;
        // Disagreeing pairs in the coincidence matrix: o_01 = Σ k (m − k) / (m − 1).
        let o01: f64 = self
            .hist
            .iter()
            .enumerate()
            .map(|(k, h)| *h as f64 * (k as u64 * (m - k as u64)) as f64)
            .sum::<f64>()
            / (m - 1) as f64;
        Some(1.0 - (n - 1) as f64 * o01 / (n0 as f64 * n1 as f64))
    }

    /// The κ to read for these annotators: Cohen's for two, Fleiss' for more.
    pub fn kappa(&self) -> Option<f64> {
        if self.m == 2 {
            self.cohen()
        } else {
            self.fleiss()
        }
    }

    fn figures(&self, frame_f1: Option<f64>) -> Kappas {
        Kappas {
            kappa: self.kappa(),
            cohen: self.cohen(),
            fleiss: self.fleiss(),
            alpha: self.alpha(),
            percent: self.percent(),
            frame_f1,
        }
    }
}

/// The agreement figures of a set of cells.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Kappas {
    /// Cohen's κ for two annotators, Fleiss' for more.
    pub kappa: Option<f64>,
    pub cohen: Option<f64>,
    pub fleiss: Option<f64>,
    pub alpha: Option<f64>,
    /// Mean pairwise share of agreeing cells.
    pub percent: Option<f64>,
    /// Mean over pairs of 2|A∩B| / (|A| + |B|) (undefined when neither marked anything).
    pub frame_f1: Option<f64>,
}

/// One label's frame-level figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelFrames {
    pub label: String,
    /// Frames each annotator marked with the label.
    pub marked: Vec<u64>,
    #[serde(flatten)]
    pub kappas: Kappas,
}

/// The frame-level figures of a task.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrameFigures {
    pub labels: Vec<LabelFrames>,
    /// Over all label × frame cells.
    pub pooled: Kappas,
    /// The mean of the labels' κ, undefined ones left out.
    pub macro_kappa: Option<f64>,
}

/// Merges one annotator's spans of one label into disjoint sorted runs within `[0, n)`.
pub fn union(spans: impl Iterator<Item = (u64, u64)>, n: u64) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = spans
        .map(|(s, e)| (s.min(n), e.min(n)))
        .filter(|(s, e)| e > s)
        .collect();
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The cells of one label: a sweep over every annotator's runs.
pub fn count(runs: &[Vec<(u64, u64)>], n: u64) -> Counts {
    let m = runs.len();
    let mut c = Counts::empty(m);
    let mut events: Vec<(u64, i64)> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        c.marked[i] = r.iter().map(|(s, e)| e - s).sum();
        for (s, e) in r {
            events.push((*s, 1));
            events.push((*e, -1));
        }
    }
    events.sort_unstable();
    let (mut at, mut k) = (0u64, 0i64);
    for (t, d) in events {
        c.hist[k as usize] += t - at;
        at = t;
        k += d;
    }
    c.hist[0] += n - at;
    c
}

/// Frames two run lists share.
pub fn overlap(a: &[(u64, u64)], b: &[(u64, u64)]) -> u64 {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        n += e.saturating_sub(s);
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    n
}

/// Pairwise (shared, a's, b's) frames, for the frame F1.
#[derive(Debug, Clone, Copy, Default)]
struct Shared(u64, u64, u64);

fn pair_counts(runs: &[Vec<(u64, u64)>]) -> Vec<Shared> {
    let len = |r: &[(u64, u64)]| r.iter().map(|(s, e)| e - s).sum::<u64>();
    let mut out = Vec::new();
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            out.push(Shared(
                overlap(&runs[i], &runs[j]),
                len(&runs[i]),
                len(&runs[j]),
            ));
        }
    }
    out
}

fn mean_f1(pairs: &[Shared]) -> Option<f64> {
    let f: Vec<f64> = pairs
        .iter()
        .filter(|p| p.1 + p.2 > 0)
        .map(|p| 2.0 * p.0 as f64 / (p.1 + p.2) as f64)
        .collect();
    (!f.is_empty()).then(|| f.iter().sum::<f64>() / f.len() as f64)
}

/// Per-label runs of every annotator.
pub fn runs_of(markings: &[Marking], label: &str, n: u64) -> Vec<Vec<(u64, u64)>> {
    markings
        .iter()
        .map(|m| {
            union(
                m.spans
                    .iter()
                    .filter(|s: &&Span| s.label == label)
                    .map(|s| (s.start, s.end)),
                n,
            )
        })
        .collect()
}

/// Frame-level figures for `labels` over `n` frames.
pub fn figures(markings: &[Marking], labels: &[String], n: u64) -> FrameFigures {
    let mut pooled = Counts::empty(markings.len());
    let mut pooled_pairs: Vec<Shared> = Vec::new();
    let mut out = Vec::with_capacity(labels.len());
    for label in labels {
        let runs = runs_of(markings, label, n);
        let c = count(&runs, n);
        let pairs = pair_counts(&runs);
        pooled.add(&c);
        if pooled_pairs.is_empty() {
            pooled_pairs = pairs.clone();
        } else {
            for (t, p) in pooled_pairs.iter_mut().zip(&pairs) {
                *t = Shared(t.0 + p.0, t.1 + p.1, t.2 + p.2);
            }
        }
        out.push(LabelFrames {
            label: label.clone(),
            marked: c.marked.clone(),
            kappas: c.figures(mean_f1(&pairs)),
        });
    }
    let defined: Vec<f64> = out.iter().filter_map(|l| l.kappas.kappa).collect();
    FrameFigures {
        labels: out,
        pooled: pooled.figures(mean_f1(&pooled_pairs)),
        macro_kappa: (!defined.is_empty())
            .then(|| defined.iter().sum::<f64>() / defined.len() as f64),
    }
}
