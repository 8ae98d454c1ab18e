//! The corpus figures as tables: the one beside each chart, and its CSV download. Numbers are
//! written here once, with the formats the charts print ([`kappa`], [`seconds`], [`share`]), so
//! that a chart, its table and its CSV always read the same.

use super::Corpus;

/// The charts (and tables) of the analytics page, in the page's order.
pub const CHARTS: [&str; 6] = [
    "patterns",
    "kappa",
    "matrix",
    "talk",
    "questions",
    "machine",
];

/// A κ (or F1) as every table and chart prints it: three decimals, empty when undefined.
pub fn kappa(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_default()
}

/// Seconds with one decimal.
pub fn seconds(v: f64) -> String {
    format!("{v:.1}")
}

/// A share in `[0, 1]` as a percentage with one decimal.
pub fn share(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// One table: its name (the chart's), a caption, column headers and rows of text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Table {
    pub name: &'static str,
    pub caption: String,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// Every table, in [`CHARTS`] order.
pub fn all(c: &Corpus) -> Vec<Table> {
    CHARTS.iter().filter_map(|n| table(c, n)).collect()
}

/// The table of one chart (`None`: no such chart).
pub fn table(c: &Corpus, name: &str) -> Option<Table> {
    let (name, caption, columns, rows): (&'static str, String, Vec<&'static str>, _) = match name {
        "patterns" => (
            "patterns",
            "Agreed intervals per pattern: tasks that passed the gate, and tasks it flagged".into(),
            vec![
                "pattern",
                "intervals",
                "seconds",
                "flagged_intervals",
                "flagged_seconds",
            ],
            c.patterns
                .iter()
                .map(|p| {
                    vec![
                        p.label.clone(),
                        p.intervals.to_string(),
                        seconds(p.seconds),
                        p.flagged_intervals.to_string(),
                        seconds(p.flagged_seconds),
                    ]
                })
                .collect(),
        ),
        "kappa" => (
            "kappa",
            format!(
                "Tasks per κ bin ({} κ; gate {}): {} passed, {} flagged, {} undefined",
                c.kappa
                    .measure
                    .map(|m| format!("{m:?}").to_lowercase())
                    .unwrap_or_else(|| "pooled".into()),
                kappa(c.kappa.gate),
                c.kappa.passed,
                c.kappa.flagged,
                c.kappa.undefined
            ),
            vec!["from", "to", "tasks", "at_or_above_gate"],
            c.kappa
                .bins
                .iter()
                .map(|b| {
                    vec![
                        format!("{:.1}", b.from),
                        format!("{:.1}", b.to),
                        b.tasks.to_string(),
                        c.kappa
                            .gate
                            .map(|g| (b.from >= g).to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        "matrix" => (
            "matrix",
            "Pooled Cohen's κ of every pair of annotators, over the tasks they share".into(),
            vec!["annotator_a", "annotator_b", "tasks", "kappa"],
            c.matrix
                .pairs
                .iter()
                .map(|p| {
                    vec![
                        p.a.clone(),
                        p.b.clone(),
                        p.tasks.to_string(),
                        kappa(if p.tasks == 0 { None } else { p.cells.kappa() }),
                    ]
                })
                .collect(),
        ),
        "talk" => (
            "talk",
            "Talk per lesson: the teacher's and the students' shares of the recording".into(),
            vec!["lesson", "title", "teacher_share", "student_share"],
            c.talk
                .iter()
                .map(|t| {
                    vec![
                        t.lesson.clone(),
                        t.title.clone(),
                        share(t.teacher_share),
                        share(t.student_share),
                    ]
                })
                .collect(),
        ),
        "questions" => (
            "questions",
            "The teacher's questions per lesson, and how many were open".into(),
            vec!["lesson", "title", "questions", "open_questions"],
            c.talk
                .iter()
                .map(|t| {
                    vec![
                        t.lesson.clone(),
                        t.title.clone(),
                        t.questions.to_string(),
                        t.open_questions.to_string(),
                    ]
                })
                .collect(),
        ),
        "machine" => (
            "machine",
            "The humans pairwise, and each model version against the humans' consensus".into(),
            vec![
                "who",
                "tasks",
                "comparisons",
                "kappa",
                "f1",
                "boundary_error_s",
            ],
            c.machine
                .iter()
                .map(|b| {
                    vec![
                        b.who.clone(),
                        b.tasks.to_string(),
                        b.comparisons.to_string(),
                        kappa(b.kappa),
                        kappa(b.f1),
                        b.boundary_error_s.map(seconds).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        _ => return None,
    };
    Some(Table {
        name,
        caption,
        columns,
        rows,
    })
}
