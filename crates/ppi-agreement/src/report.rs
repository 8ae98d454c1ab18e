//! Agreement reports as a researcher pastes them: an aligned text table, CSV (one row per task
//! and label, plus the pooled row), or JSON (everything).

use std::fmt::Write;

use super::Report;

/// A figure with three decimals, or `undefined`.
pub fn fig(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{x:.3}"),
        None => "undefined".into(),
    }
}

/// The text table of one task.
pub fn text(task: &str, r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "task {task}: {} annotators ({}), {} frames, IoU ≥ {}",
        r.annotators.len(),
        r.annotators.join(", "),
        r.frames,
        r.iou_threshold
    );
    let kname = if r.annotators.len() == 2 {
        "cohen κ"
    } else {
        "fleiss κ"
    };
    let _ = writeln!(
        out,
        "  {:<24} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
        "label", kname, "α", "% agree", "F1", "mean IoU", "frames"
    );
    for (l, iv) in r.frame.labels.iter().zip(&r.intervals.labels) {
        let marked: Vec<String> = l.marked.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "  {:<24} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
            l.label,
            fig(l.kappas.kappa),
            fig(l.kappas.alpha),
            fig(l.kappas.percent),
            fig(iv.f1),
            fig(iv.mean_iou),
            marked.join("/")
        );
    }
    let _ = writeln!(
        out,
        "  {:<24} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "(pooled)",
        fig(r.frame.pooled.kappa),
        fig(r.frame.pooled.alpha),
        fig(r.frame.pooled.percent),
        fig(r.intervals.f1),
        fig(r.intervals.mean_iou)
    );
    let _ = writeln!(out, "  macro κ over labels: {}", fig(r.frame.macro_kappa));
    for s in &r.intervals.segments {
        let _ = writeln!(
            out,
            "  segments {} vs {}: {} agreement, {} disagreement, {} miss; % agreement {}, κ {}",
            s.a,
            s.b,
            s.agreement,
            s.disagreement,
            s.miss,
            fig(s.percent),
            fig(s.kappa)
        );
    }
    for c in &r.intervals.confusions {
        let _ = writeln!(
            out,
            "  confusion {} {:?} vs {} {:?}: {}",
            c.a, c.a_label, c.b, c.b_label, c.count
        );
    }
    let _ = writeln!(
        out,
        "  gate: {:?} κ {} {} {} → {}; consensus: {} interval(s)",
        r.gate.measure,
        fig(r.gate.value),
        if r.gate.passed { "≥" } else { "<" },
        r.gate.threshold,
        if r.gate.passed {
            "passed"
        } else {
            "flagged for adjudication"
        },
        r.consensus.len()
    );
    out
}

/// The CSV header.
pub const CSV_HEADER: [&str; 16] = [
    "task",
    "label",
    "annotators",
    "frames",
    "kappa",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "tp",
    "fp",
    "fn",
    "f1",
    "mean_iou",
    "gate_passed",
    "consensus_intervals",
];

fn cell(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// CSV rows of one task: one per label, then `(pooled)`.
pub fn csv_rows(task: &str, r: &Report) -> Vec<Vec<String>> {
    let sum = |f: &dyn Fn(&super::intervals::PairFigures) -> u64,
               pairs: &[super::intervals::PairFigures]|
     -> String { pairs.iter().map(f).sum::<u64>().to_string() };
    let annotators = r.annotators.join(";");
    let mut rows: Vec<Vec<String>> = r
        .frame
        .labels
        .iter()
        .zip(&r.intervals.labels)
        .map(|(l, iv)| {
            vec![
                task.to_owned(),
                l.label.clone(),
                annotators.clone(),
                r.frames.to_string(),
                cell(l.kappas.kappa),
                cell(l.kappas.cohen),
                cell(l.kappas.fleiss),
                cell(l.kappas.alpha),
                cell(l.kappas.percent),
                sum(&|p| p.tp, &iv.pairs),
                sum(&|p| p.fp, &iv.pairs),
                sum(&|p| p.fn_, &iv.pairs),
                cell(iv.f1),
                cell(iv.mean_iou),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    let p = &r.frame.pooled;
    rows.push(vec![
        task.to_owned(),
        "(pooled)".into(),
        annotators,
        r.frames.to_string(),
        cell(p.kappa),
        cell(p.cohen),
        cell(p.fleiss),
        cell(p.alpha),
        cell(p.percent),
        sum(&|p| p.tp, &r.intervals.pairs),
        sum(&|p| p.fp, &r.intervals.pairs),
        sum(&|p| p.fn_, &r.intervals.pairs),
        cell(r.intervals.f1),
        cell(r.intervals.mean_iou),
        r.gate.passed.to_string(),
        r.consensus.len().to_string(),
    ]);
    rows
}

/// A pair's figure in the matrix: κ with the tasks shared, or that they share none.
fn pair_cell(p: Option<&super::matrix::Pair>) -> String {
    match p {
        Some(p) if p.tasks > 0 => format!("{} ({})", fig(p.cells.kappa()), p.tasks),
        _ => "no shared task".into(),
    }
}

/// The annotator matrix as text: pooled κ for every pair, per-label κ, and each annotator
/// against the consensus of the others.
pub fn matrix_text(m: &super::matrix::Matrix) -> String {
    let mut out = String::new();
    if m.annotators.len() < 2 {
        return out;
    }
    let w = m
        .annotators
        .iter()
        .map(|a| a.chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = writeln!(out, "annotator matrix: pooled Cohen's κ (tasks shared)");
    let _ = write!(out, "  {:<w$}", "");
    for a in &m.annotators {
        let _ = write!(out, " {a:>w$}");
    }
    out.push('\n');
    for a in &m.annotators {
        let _ = write!(out, "  {a:<w$}");
        for b in &m.annotators {
            let cell = if a == b {
                "—".to_owned()
            } else {
                pair_cell(m.pair(a, b))
            };
            let _ = write!(out, " {cell:>w$}");
        }
        out.push('\n');
    }
    let labels = m.labels();
    let _ = writeln!(out, "  per label, Cohen's κ of each pair:");
    for p in &m.pairs {
        let figs: Vec<String> = if p.tasks == 0 {
            vec!["no shared task".into()]
        } else {
            labels
                .iter()
                .map(|l| {
                    let k = p.cells.labels.iter().find(|c| &c.label == l);
                    format!("{l} {}", fig(k.and_then(|c| c.kappa)))
                })
                .collect()
        };
        let _ = writeln!(out, "    {} – {}: {}", p.a, p.b, figs.join(", "));
    }
    let _ = writeln!(out, "  each annotator against the consensus of the others:");
    let _ = writeln!(
        out,
        "    {:<w$} {:>6} {:>10} {:>9}",
        "annotator", "tasks", "κ", "F1"
    );
    for v in &m.versus_others {
        let _ = writeln!(
            out,
            "    {:<w$} {:>6} {:>10} {:>9}",
            v.annotator,
            v.tasks,
            fig(v.cells.kappa()),
            fig(v.f1)
        );
    }
    out
}

/// The CSV header of the pairs table.
pub const PAIRS_HEADER: [&str; 9] = [
    "annotator_a",
    "annotator_b",
    "tasks_shared",
    "label",
    "cohen_kappa",
    "both",
    "a_only",
    "b_only",
    "neither",
];

/// CSV rows of the pairs table: per pair, one row per label, then `(pooled)`; a pair with no
/// shared task is one `(pooled)` row with empty figures.
pub fn pair_rows(m: &super::matrix::Matrix) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for p in &m.pairs {
        let head = [p.a.clone(), p.b.clone(), p.tasks.to_string()];
        let cells = p.cells.labels.iter().chain(p.cells.pooled.iter());
        if p.tasks == 0 {
            let mut r = head.to_vec();
            r.extend(["(pooled)".into(), String::new()]);
            r.extend(std::iter::repeat_n(String::new(), 4));
            rows.push(r);
            continue;
        }
        for c in cells {
            let mut r = head.to_vec();
            r.extend([c.label.clone(), cell(c.kappa)]);
            r.extend(c.cells.0.iter().map(u64::to_string));
            rows.push(r);
        }
    }
    rows
}

/// The CSV header of the leave-one-out table.
pub const ANNOTATORS_HEADER: [&str; 8] = [
    "annotator",
    "tasks",
    "label",
    "cohen_kappa_vs_others",
    "tp",
    "fp",
    "fn",
    "f1_vs_others",
];

/// CSV rows of each annotator against the consensus of the others: one row per label (κ),
/// then `(pooled)` with the interval matching.
pub fn annotator_rows(m: &super::matrix::Matrix) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for v in &m.versus_others {
        for c in &v.cells.labels {
            rows.push(vec![
                v.annotator.clone(),
                v.tasks.to_string(),
                c.label.clone(),
                cell(c.kappa),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        rows.push(vec![
            v.annotator.clone(),
            v.tasks.to_string(),
            "(pooled)".into(),
            cell(v.cells.kappa()),
            v.tp.to_string(),
            v.fp.to_string(),
            v.fn_.to_string(),
            cell(v.f1),
        ]);
    }
    rows
}

/// The annotator matrix as Markdown (the dataset card): pooled Cohen's κ of every pair with
/// the tasks shared, then each annotator against the consensus of the others.
pub fn matrix_markdown(m: &super::matrix::Matrix) -> String {
    let mut out = String::new();
    let esc = |s: &str| s.replace('|', "\\|");
    let _ = write!(out, "| annotator |");
    for a in &m.annotators {
        let _ = write!(out, " {} |", esc(a));
    }
    let _ = write!(out, "\n|---|");
    for _ in &m.annotators {
        out.push_str("---:|");
    }
    out.push('\n');
    for a in &m.annotators {
        let _ = write!(out, "| {} |", esc(a));
        for b in &m.annotators {
            let cell = if a == b {
                "—".to_owned()
            } else {
                pair_cell(m.pair(a, b))
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "\n| annotator | tasks | κ against the others | F1 against the others |\n|---|---:|---:|---:|\n"
    );
    for v in &m.versus_others {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            esc(&v.annotator),
            v.tasks,
            fig(v.cells.kappa()),
            fig(v.f1)
        );
    }
    out
}
