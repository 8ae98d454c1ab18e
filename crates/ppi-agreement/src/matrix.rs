//! The annotator matrix: for every pair of annotators, Cohen's κ per label and pooled, and the
//! number of tasks they share; for every annotator, κ and interval F1 against the consensus of
//! the others (leave-one-out), so a group sees *which* annotator disagrees. The others'
//! consensus, for this, is the frames at least half of them marked: with three annotators (two
//! others) a strict majority would be only what both others marked, and every annotator would
//! look the same against it.
//!
//! Everything is kept as counts that add up: a 2×2 table of frame cells per label (and pooled
//! over labels) and matched-interval TP/FP/FN. A corpus's matrix is the sum of its tasks'
//! ([`Matrix::merge`]): the κ of a pair is Cohen's κ over the concatenated cells of the tasks
//! the pair shares (what scikit-learn's `cohen_kappa_score` gives on those vectors). A pair that
//! shares no task has no figure (`tasks: 0`, κ `None`), never 0.

use std::collections::BTreeMap;

use super::frames::{overlap, runs_of};
use super::{consensus, intervals, Marking};

/// The others' consensus: per label, the frames at least half of them marked.
fn others_consensus(others: &[Marking], labels: &[String], n: u64) -> Vec<super::Span> {
    consensus::marked_by(others, labels, n, |k, m| k > 0 && 2 * k >= m)
}

/// Frame cells of two raters: `[both, first only, second only, neither]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Table(pub [u64; 4]);

impl Table {
    /// The cells of two run lists over `n` frames.
    pub fn of(a: &[(u64, u64)], b: &[(u64, u64)], n: u64) -> Table {
        let len = |r: &[(u64, u64)]| r.iter().map(|(s, e)| e - s).sum::<u64>();
        let both = overlap(a, b);
        let (a_only, b_only) = (len(a) - both, len(b) - both);
        Table([both, a_only, b_only, n - both - a_only - b_only])
    }

    pub fn add(&mut self, o: &Table) {
        for (x, y) in self.0.iter_mut().zip(o.0) {
            *x += y;
        }
    }

    /// Cohen's κ; `None` when chance agreement is 1 (both raters constant and equal) or there
    /// are no cells.
    pub fn kappa(&self) -> Option<f64> {
        let [both, a_only, b_only, neither] = self.0;
        let n = both + a_only + b_only + neither;
        let (a, b) = (both + a_only, both + b_only);
        if n == 0 || (a == 0 && b == 0) || (a == n && b == n) {
            return None;
        }
        let nf = n as f64;
        let po = (both + neither) as f64 / nf;
        let (pa, pb) = (a as f64 / nf, b as f64 / nf);
        let pe = pa * pb + (1.0 - pa) * (1.0 - pb);
        Some((po - pe) / (1.0 - pe))
    }
}

/// One label's cells (or `(pooled)`'s) and their κ.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelCells {
    pub label: String,
    pub cells: Table,
    pub kappa: Option<f64>,
}

/// Cells per label and pooled over labels.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Cells {
    pub pooled: Option<LabelCells>,
    pub labels: Vec<LabelCells>,
}

impl Cells {
    pub(crate) fn of(a: &Marking, b: &Marking, labels: &[String], n: u64) -> Cells {
        let mut pooled = Table::default();
        let mut out = Vec::with_capacity(labels.len());
        for label in labels {
            let runs = runs_of(&[a.clone(), b.clone()], label, n);
            let t = Table::of(&runs[0], &runs[1], n);
            pooled.add(&t);
            out.push(LabelCells {
                label: label.clone(),
                cells: t,
                kappa: None,
            });
        }
        let mut c = Cells {
            pooled: Some(LabelCells {
                label: "(pooled)".into(),
                cells: pooled,
                kappa: None,
            }),
            labels: out,
        };
        c.finish();
        c
    }

    pub(crate) fn add(&mut self, o: &Cells) {
        match (&mut self.pooled, &o.pooled) {
            (Some(p), Some(q)) => p.cells.add(&q.cells),
            (None, Some(q)) => self.pooled = Some(q.clone()),
            _ => {}
        }
        for l in &o.labels {
            match self.labels.iter_mut().find(|x| x.label == l.label) {
                Some(x) => x.cells.add(&l.cells),
                None => self.labels.push(l.clone()),
            }
        }
    }

    pub(crate) fn finish(&mut self) {
        for l in self.pooled.iter_mut().chain(self.labels.iter_mut()) {
            l.kappa = l.cells.kappa();
        }
    }

    /// The pooled κ.
    pub fn kappa(&self) -> Option<f64> {
        self.pooled.as_ref().and_then(|p| p.kappa)
    }
}

/// One pair of annotators.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Tasks both annotated; 0: no figure (shown as such, never as 0).
    pub tasks: u64,
    pub cells: Cells,
}

/// One annotator against the consensus of the others (the frames at least half of them marked),
/// over the tasks it annotated with at least one other (with exactly one, that one's marking).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Versus {
    pub annotator: String,
    pub tasks: u64,
    pub cells: Cells,
    /// Intervals matched against the others' consensus at the IoU threshold.
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub f1: Option<f64>,
}

impl Versus {
    fn finish(&mut self) {
        self.cells.finish();
        self.f1 = intervals::f1(self.tp, self.fp, self.fn_);
    }
}

/// The matrix of one task, or of many merged.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Matrix {
    /// Everyone, in order of first appearance.
    pub annotators: Vec<String>,
    /// Every pair of `annotators` (`a` before `b` in that order), shared tasks or not.
    pub pairs: Vec<Pair>,
    /// Each annotator against the consensus of the others.
    pub versus_others: Vec<Versus>,
}

impl Matrix {
    /// The matrix of one task's markings over `n` frames, intervals matched at `iou`; each
    /// annotator counted once (a second marking by the same name is left out).
    pub fn of_task(markings: &[Marking], labels: &[String], n: u64, iou: f64) -> Matrix {
        Matrix::with_machines(markings, &[], labels, n, iou)
    }

    /// [`Matrix::of_task`] with predictions added as annotators (named by their model
    /// version): they are paired with every human, and each is measured against the consensus
    /// of all the humans; the humans' own rows leave the predictions out of "the others".
    pub fn with_machines(
        humans: &[Marking],
        machines: &[Marking],
        labels: &[String],
        n: u64,
        iou: f64,
    ) -> Matrix {
        let mut seen: Vec<&Marking> = Vec::new();
        for m in humans {
            if !seen.iter().any(|s| s.annotator == m.annotator) {
                seen.push(m);
            }
        }
        let people = seen.len();
        for m in machines {
            if !seen.iter().any(|s| s.annotator == m.annotator) {
                seen.push(m);
            }
        }
        let mut pairs = Vec::new();
        for (i, a) in seen.iter().enumerate() {
            for b in &seen[i + 1..] {
                pairs.push(Pair {
                    a: a.annotator.clone(),
                    b: b.annotator.clone(),
                    tasks: 1,
                    cells: Cells::of(a, b, labels, n),
                });
            }
        }
        let mut versus_others = Vec::new();
        if people >= 2 || (people == 1 && seen.len() > 1) {
            for (i, me) in seen.iter().enumerate() {
                let others: Vec<Marking> = seen[..people]
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, m)| (*m).clone())
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let agreed = Marking {
                    annotator: "consensus of the others".into(),
                    annotation_id: None,
                    spans: others_consensus(&others, labels, n),
                };
                let matched = intervals::figures(&[(*me).clone(), agreed.clone()], labels, iou);
                let p = &matched.pairs[0];
                let mut v = Versus {
                    annotator: me.annotator.clone(),
                    tasks: 1,
                    cells: Cells::of(me, &agreed, labels, n),
                    tp: p.tp,
                    fp: p.fp,
                    fn_: p.fn_,
                    f1: None,
                };
                v.finish();
                versus_others.push(v);
            }
        }
        Matrix {
            annotators: seen.iter().map(|m| m.annotator.clone()).collect(),
            pairs,
            versus_others,
        }
    }

    /// The sum of several tasks' matrices: counts add, figures are computed again, and every
    /// pair of everyone seen is listed (with `tasks: 0` when they share none).
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Matrix>) -> Matrix {
        let mut annotators: Vec<String> = Vec::new();
        let mut pairs: BTreeMap<(String, String), Pair> = BTreeMap::new();
        let mut versus: BTreeMap<String, Versus> = BTreeMap::new();
        for m in parts {
            for a in &m.annotators {
                if !annotators.contains(a) {
                    annotators.push(a.clone());
                }
            }
            for p in &m.pairs {
                let key = ordered(&p.a, &p.b);
                let e = pairs.entry(key.clone()).or_insert_with(|| Pair {
                    a: key.0.clone(),
                    b: key.1.clone(),
                    tasks: 0,
                    cells: Cells::default(),
                });
                e.tasks += p.tasks;
                e.cells.add(&p.cells);
            }
            for v in &m.versus_others {
                let e = versus.entry(v.annotator.clone()).or_insert_with(|| Versus {
                    annotator: v.annotator.clone(),
                    tasks: 0,
                    cells: Cells::default(),
                    tp: 0,
                    fp: 0,
                    fn_: 0,
                    f1: None,
                });
                e.tasks += v.tasks;
                e.cells.add(&v.cells);
                e.tp += v.tp;
                e.fp += v.fp;
                e.fn_ += v.fn_;
            }
        }
        let mut out_pairs = Vec::new();
        for (i, a) in annotators.iter().enumerate() {
            for b in &annotators[i + 1..] {
                let mut p = pairs.remove(&ordered(a, b)).unwrap_or_else(|| Pair {
                    a: a.clone(),
                    b: b.clone(),
                    tasks: 0,
                    cells: Cells::default(),
                });
                (p.a, p.b) = (a.clone(), b.clone());
                p.cells.finish();
                out_pairs.push(p);
            }
        }
        let versus_others = annotators
            .iter()
            .filter_map(|a| versus.remove(a))
            .map(|mut v| {
                v.finish();
                v
            })
            .collect();
        Matrix {
            annotators,
            pairs: out_pairs,
            versus_others,
        }
    }

    /// The pair of `a` and `b`, in either order.
    pub fn pair(&self, a: &str, b: &str) -> Option<&Pair> {
        self.pairs
            .iter()
            .find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a))
    }

    /// Every label named in the matrix, in order of first appearance.
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let cells = self
            .pairs
            .iter()
            .map(|p| &p.cells)
            .chain(self.versus_others.iter().map(|v| &v.cells));
        for c in cells {
            for l in &c.labels {
                if !out.contains(&l.label) {
                    out.push(l.label.clone());
                }
            }
        }
        out
    }
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}
