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
