//! The machine as one more annotator: each prediction, named by its model version, measured
//! against the task's human consensus with the figures used between humans (κ per label and
//! pooled over the frames, F1 of intervals matched at the IoU threshold, boundary error in
//! seconds), beside the same figures between every pair of humans on the same task.
//!
//! Everything is kept as counts that add up ([`Bench::merge`]): a project's figures for a
//! model version are those of the tasks it predicted, summed, so versions can be compared as a
//! learning curve.

use std::collections::BTreeMap;

use super::intervals::assign;
use super::matrix::Cells;
use super::{Marking, Span};

/// Boundary error of matched intervals: each match adds |Δstart| and |Δend|.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Boundaries {
    /// Boundaries measured (two per matched interval).
    pub count: u64,
    /// Their summed absolute error, in seconds.
    pub sum_s: f64,
    /// The mean absolute error in seconds (`None`: nothing matched).
    pub mean_s: Option<f64>,
}

/// One comparison's figures: `a` is the reference (the consensus, or the first human of a
/// pair), `b` the one measured. FP: `b`'s intervals left unmatched; FN: `a`'s.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Side {
    /// Tasks counted.
    pub tasks: u64,
    /// Comparisons counted (pairs of humans; one per task for a prediction).
    pub comparisons: u64,
    pub cells: Cells,
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub f1: Option<f64>,
    pub boundaries: Boundaries,
}

impl Side {
    /// The pooled κ over every label's frame cells.
    pub fn kappa(&self) -> Option<f64> {
        self.cells.kappa()
    }

    fn add(&mut self, o: &Side) {
        self.tasks += o.tasks;
        self.comparisons += o.comparisons;
        self.cells.add(&o.cells);
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.boundaries.count += o.boundaries.count;
        self.boundaries.sum_s += o.boundaries.sum_s;
    }

    fn finish(&mut self) {
        self.cells.finish();
        self.f1 = super::intervals::f1(self.tp, self.fp, self.fn_);
        let b = &mut self.boundaries;
        b.mean_s = (b.count > 0).then(|| b.sum_s / b.count as f64);
    }
}

/// A model version against the humans' consensus.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MachineSide {
    pub model_version: String,
    #[serde(flatten)]
    pub side: Side,
}

/// The humans against each other, and each model version against their consensus.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Bench {
    /// Every pair of humans (their cells and matches summed over the pairs).
    pub humans: Side,
    /// Each model version against the consensus, in order of first appearance.
    pub machines: Vec<MachineSide>,
}

/// One row of a bench in brief: who (`humans`, or a model version) and its figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Brief {
    pub who: String,
    pub tasks: u64,
    pub comparisons: u64,
    pub kappa: Option<f64>,
    pub f1: Option<f64>,
    pub boundary_error_s: Option<f64>,
    /// κ per label.
    pub labels: Vec<(String, Option<f64>)>,
}

impl Bench {
    /// The humans' row, then each model version's.
    pub fn brief(&self) -> Vec<Brief> {
        let row = |who: &str, s: &Side| Brief {
            who: who.to_owned(),
            tasks: s.tasks,
            comparisons: s.comparisons,
            kappa: s.kappa(),
            f1: s.f1,
            boundary_error_s: s.boundaries.mean_s,
            labels: s
                .cells
                .labels
                .iter()
                .map(|l| (l.label.clone(), l.kappa))
                .collect(),
        };
        std::iter::once(row("humans", &self.humans))
            .chain(self.machines.iter().map(|m| row(&m.model_version, &m.side)))
            .collect()
    }

    /// A Markdown table of [`Bench::brief`], for the dataset card and the analytics.
    pub fn markdown(&self) -> String {
        use super::report::fig;
        let mut out = String::from(
            "| who | tasks | κ | F1 (intervals) | boundary error |\n|---|---:|---:|---:|---:|\n",
        );
        for b in self.brief() {
            let who = if b.who == "humans" {
                format!("humans, pairwise ({} pairs)", b.comparisons)
            } else {
                format!("`{}` vs consensus", b.who)
            };
            out.push_str(&format!(
                "| {who} | {} | {} | {} | {} |\n",
                b.tasks,
                fig(b.kappa),
                fig(b.f1),
                b.boundary_error_s
                    .map(|m| format!("{m:.2} s"))
                    .unwrap_or_else(|| "–".into())
            ));
        }
        out
    }
}

/// Measures `b` against `a` over `n` frames at `fps`: frame cells per label, intervals of the
/// same label matched one to one at IoU ≥ `iou`, and the matched intervals' boundaries.
pub fn compare(a: &Marking, b: &Marking, labels: &[String], n: u64, iou: f64, fps: f64) -> Side {
    let mut s = Side {
        tasks: 1,
        comparisons: 1,
        cells: Cells::of(a, b, labels, n),
        ..Side::default()
    };
    for label in labels {
        let of = |m: &Marking| -> Vec<Span> {
            m.spans
                .iter()
                .filter(|x| &x.label == label)
                .cloned()
                .collect()
        };
        let (xa, xb) = (of(a), of(b));
        let (ra, rb): (Vec<&Span>, Vec<&Span>) = (xa.iter().collect(), xb.iter().collect());
        let matched = assign(&ra, &rb, iou, |_, _| true);
        s.tp += matched.len() as u64;
        s.fn_ += (ra.len() - matched.len()) as u64;
        s.fp += (rb.len() - matched.len()) as u64;
        for (i, j, _) in matched {
            let d = ra[i].start.abs_diff(rb[j].start) + ra[i].end.abs_diff(rb[j].end);
            s.boundaries.count += 2;
            s.boundaries.sum_s += d as f64 / fps.max(f64::MIN_POSITIVE);
        }
    }
    s.finish();
    s
}

/// One task's bench: every pair of `humans`, and each of `machines` (one marking per model
/// version, named by it) against `consensus`.
pub fn bench(
    humans: &[Marking],
    consensus: &[Span],
    machines: &[Marking],
    labels: &[String],
    n: u64,
    iou: f64,
    fps: f64,
) -> Bench {
    let mut people = Side::default();
    for (i, a) in humans.iter().enumerate() {
        for b in &humans[i + 1..] {
            people.add(&compare(a, b, labels, n, iou, fps));
        }
    }
    people.tasks = u64::from(humans.len() >= 2);
    people.finish();
    let agreed = Marking {
        annotator: "consensus".into(),
        annotation_id: None,
        spans: consensus.to_vec(),
    };
    let machines = machines
        .iter()
        .map(|m| MachineSide {
            model_version: m.annotator.clone(),
            side: compare(&agreed, m, labels, n, iou, fps),
        })
        .collect();
    Bench {
        humans: people,
        machines,
    }
}

impl Bench {
    /// The sum of several tasks' benches: counts add, figures are computed again; a model
    /// version's figures cover the tasks it predicted.
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Bench>) -> Bench {
        let mut humans = Side::default();
        let mut order: Vec<String> = Vec::new();
        let mut machines: BTreeMap<String, Side> = BTreeMap::new();
        for b in parts {
            humans.add(&b.humans);
            for m in &b.machines {
                if !order.contains(&m.model_version) {
                    order.push(m.model_version.clone());
                }
                machines
                    .entry(m.model_version.clone())
                    .or_default()
                    .add(&m.side);
            }
        }
        humans.finish();
        let machines = order
            .into_iter()
            .filter_map(|v| {
                let mut side = machines.remove(&v)?;
                side.finish();
                Some(MachineSide {
                    model_version: v,
                    side,
                })
            })
            .collect();
        Bench { humans, machines }
    }
}

/// The text lines of a bench: the humans, then each model version, with pooled κ, interval
/// F1, boundary error and κ per label.
pub fn text(b: &Bench, iou: f64) -> String {
    use super::report::fig;
    let mut out = format!(
        "  the machine against the human consensus (frame κ, F1 at IoU ≥ {iou}, boundary error):\n"
    );
    let line = |who: &str, s: &Side| {
        let per: Vec<String> = s
            .cells
            .labels
            .iter()
            .map(|l| format!("{} {}", l.label, fig(l.kappa)))
            .collect();
        format!(
            "    {:<46} κ {:>7}  F1 {:>7}  boundaries {}  [{}]\n",
            who,
            fig(s.kappa()),
            fig(s.f1),
            s.boundaries
                .mean_s
                .map(|m| format!("{m:.2} s"))
                .unwrap_or_else(|| "undefined".into()),
            per.join(", ")
        )
    };
    out.push_str(&line(
        &format!("humans, pairwise ({} pair(s))", b.humans.comparisons),
        &b.humans,
    ));
    for m in &b.machines {
        out.push_str(&line(
            &format!("{} ({} task(s))", m.model_version, m.side.tasks),
            &m.side,
        ));
    }
    out
}

/// The CSV header of [`rows`].
pub const CSV_HEADER: [&str; 11] = [
    "task",
    "who",
    "label",
    "tasks",
    "comparisons",
    "kappa",
    "tp",
    "fp",
    "fn",
    "f1",
    "boundary_error_s",
];

/// CSV rows of a bench (`task`: a task's name, or `all`): per side, `(pooled)` then each
/// label; `who` is `humans` or the model version. Interval counts and the boundary error
/// are on the pooled row.
pub fn rows(task: &str, b: &Bench) -> Vec<Vec<String>> {
    let cell = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
    let sides = std::iter::once(("humans", &b.humans)).chain(
        b.machines
            .iter()
            .map(|m| (m.model_version.as_str(), &m.side)),
    );
    let mut out = Vec::new();
    for (who, s) in sides {
        out.push(vec![
            task.to_owned(),
            who.to_owned(),
            "(pooled)".into(),
            s.tasks.to_string(),
            s.comparisons.to_string(),
            cell(s.kappa()),
            s.tp.to_string(),
            s.fp.to_string(),
            s.fn_.to_string(),
            cell(s.f1),
            cell(s.boundaries.mean_s),
        ]);
        for l in &s.cells.labels {
            let mut r = vec![String::new(); CSV_HEADER.len()];
            r[0] = task.to_owned();
            r[1] = who.to_owned();
            r[2] = l.label.clone();
            r[3] = s.tasks.to_string();
            r[4] = s.comparisons.to_string();
            r[5] = cell(l.kappa);
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(who: &str, spans: &[(&str, u64, u64)]) -> Marking {
        Marking {
            annotator: who.into(),
            annotation_id: None,
            spans: spans
                .iter()
                .map(|(l, s, e)| Span {
                    label: (*l).into(),
                    start: *s,
                    end: *e,
                })
                .collect(),
        }
    }

    #[test]
    fn a_prediction_is_measured_against_the_consensus_and_versions_add_up() {
        let labels = vec!["Q".to_string(), "L".to_string()];
        let h1 = m("a", &[("Q", 0, 50), ("L", 60, 100)]);
        let h2 = m("b", &[("Q", 0, 40), ("L", 60, 100)]);
        let consensus = vec![
            Span {
                label: "Q".into(),
                start: 0,
                end: 40,
            },
            Span {
                label: "L".into(),
                start: 60,
                end: 100,
            },
        ];
        let good = m("v1", &[("Q", 5, 40), ("L", 60, 90)]);
        let bad = m("v0", &[("L", 0, 40)]);
        let b = bench(&[h1, h2], &consensus, &[good, bad], &labels, 100, 0.5, 10.0);
        assert_eq!((b.humans.tp, b.humans.fp, b.humans.fn_), (2, 0, 0));
        // Q: |0-0| + |50-40| = 10 frames over two boundaries; L: 0.
        assert_eq!(b.humans.boundaries.count, 4);
        assert!((b.humans.boundaries.mean_s.unwrap() - 0.25).abs() < 1e-12);
        let v1 = &b.machines[0];
        assert_eq!(v1.model_version, "v1");
        assert_eq!((v1.side.tp, v1.side.fp, v1.side.fn_), (2, 0, 0));
        assert!((v1.side.boundaries.mean_s.unwrap() - 0.375).abs() < 1e-12);
        let v0 = &b.machines[1];
        assert_eq!((v0.side.tp, v0.side.fp, v0.side.fn_), (0, 1, 2));
        assert_eq!(v0.side.f1, Some(0.0));
        assert!(v1.side.kappa().unwrap() > 0.7 && v0.side.kappa().unwrap() < 0.0);
        // Two tasks: v1 predicted both, v0 only the first.
        let only_v1 = Bench {
            humans: b.humans.clone(),
            machines: vec![b.machines[0].clone()],
        };
        let all = Bench::merge([&b, &only_v1]);
        assert_eq!(all.humans.tasks, 2);
        assert_eq!(all.machines.len(), 2);
        assert_eq!(all.machines[0].side.tasks, 2);
        assert_eq!(all.machines[1].side.tasks, 1);
        assert_eq!(all.machines[0].side.tp, 4);
        assert_eq!(all.machines[0].side.kappa(), v1.side.kappa());
    }
}
