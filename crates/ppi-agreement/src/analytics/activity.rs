//! What happens in the lesson, as the analytics read it: the teacher's questions, the wait
//! times after them, and the activity of each 2-minute bin. Plain types: the figures come
//! from `ppi-activity` (a crate above this one) through the transcript, and this module only
//! summarises, tabulates and lays them out for the pictures.

use super::mmss;

/// One teacher question on the lesson's clock.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuestionAt {
    pub at: f64,
    /// `open` or `closed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    /// Seconds of silence after it (Rowe's WT1), when someone spoke after it.
    pub wt1: Option<f64>,
}

/// The lesson's events, as the transcript has them.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Events {
    pub questions: Vec<QuestionAt>,
    pub wt1_median: Option<f64>,
    pub wt2_median: Option<f64>,
    /// Share of the questions followed by at least 3 s of silence.
    pub wt1_at_target: Option<f64>,
    /// Each 2-minute bin's activity: `teacher-talk`, `student-talk`, `discussion`,
    /// `group-work` or `quiet-work`.
    pub bins: Vec<String>,
}

/// The activities in the order the pictures and tables list them, with their colours.
pub const ACTIVITIES: [(&str, &str); 5] = [
    ("teacher-talk", "#1f77b4"),
    ("student-talk", "#ff7f0e"),
    ("discussion", "#2ca02c"),
    ("group-work", "#9467bd"),
    ("quiet-work", "#c7c7c7"),
];

/// The lesson's questions, waits and bins in figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActivitySummary {
    pub questions: usize,
    pub open: usize,
    pub closed: usize,
    /// Teacher questions per hour of lesson.
    pub questions_per_hour: f64,
    pub wt1_median_s: Option<f64>,
    pub wt2_median_s: Option<f64>,
    pub wt1_at_target: Option<f64>,
    /// The bins, in order.
    pub bins: Vec<String>,
    /// `(activity, bins)` for each activity of [`ACTIVITIES`].
    pub bin_counts: Vec<(String, usize)>,
    /// Every question, for the table.
    pub list: Vec<QuestionAt>,
}

/// The summary of a lesson of `duration` seconds.
pub fn summarise(e: &Events, duration: f64) -> ActivitySummary {
    let open = e.questions.iter().filter(|q| q.kind == "open").count();
    ActivitySummary {
        questions: e.questions.len(),
        open,
        closed: e.questions.len() - open,
        questions_per_hour: if duration > 0.0 {
            e.questions.len() as f64 * 3600.0 / duration
        } else {
            0.0
        },
        wt1_median_s: e.wt1_median,
        wt2_median_s: e.wt2_median,
        wt1_at_target: e.wt1_at_target,
        bins: e.bins.clone(),
        bin_counts: ACTIVITIES
            .iter()
            .map(|(a, _)| (a.to_string(), e.bins.iter().filter(|b| b == a).count()))
            .collect(),
        list: e.questions.clone(),
    }
}

fn secs(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} s")).unwrap_or_else(|| "–".into())
}

/// The summary as Markdown: one line of figures, the bins, and the questions' table.
pub fn markdown(a: &ActivitySummary) -> String {
    let mut out = format!(
        "Teacher questions: {} ({} open, {} closed), {:.1} per hour. Wait after a question (WT1): \
         median {}, {} of questions at 3 s or more; after an answer (WT2): median {}.\n\n",
        a.questions,
        a.open,
        a.closed,
        a.questions_per_hour,
        secs(a.wt1_median_s),
        a.wt1_at_target
            .map(|s| format!("{:.0} %", 100.0 * s))
            .unwrap_or_else(|| "–".into()),
        secs(a.wt2_median_s),
    );
    if !a.bins.is_empty() {
        let bins: Vec<String> = a
            .bins
            .iter()
            .enumerate()
            .map(|(k, b)| format!("{} {b}", mmss(k as f64 * super::BIN_SECS)))
            .collect();
        out.push_str(&format!(
            "Activity per 2-minute bin: {}.\n\n",
            bins.join(", ")
        ));
    }
    if !a.list.is_empty() {
        out.push_str("| at | type | WT1 | question |\n|---:|---|---:|---|\n");
        for q in &a.list {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                mmss(q.at),
                q.kind,
                secs(q.wt1),
                q.text.replace('|', "\\|").replace('\n', " ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_s_questions_waits_and_bins_in_figures() {
        let q = |at: f64, kind: &str, wt1| QuestionAt {
            at,
            kind: kind.into(),
            text: format!("q at {at}"),
            wt1,
        };
        let e = Events {
            questions: vec![
                q(10.0, "open", Some(3.5)),
                q(70.0, "closed", Some(0.6)),
                q(130.0, "closed", None),
            ],
            wt1_median: Some(2.05),
            wt2_median: Some(0.8),
            wt1_at_target: Some(0.5),
            bins: vec![
                "teacher-talk".into(),
                "discussion".into(),
                "teacher-talk".into(),
            ],
        };
        let a = summarise(&e, 360.0);
        assert_eq!((a.questions, a.open, a.closed), (3, 1, 2));
        assert!((a.questions_per_hour - 30.0).abs() < 1e-9);
        assert_eq!(a.bin_counts[0], ("teacher-talk".into(), 2));
        assert_eq!(a.bin_counts[2], ("discussion".into(), 1));
        let md = markdown(&a);
        assert!(
            md.contains("Teacher questions: 3 (1 open, 2 closed), 30.0 per hour"),
            "{md}"
        );
        assert!(
            md.contains("median 2.0 s, 50 % of questions at 3 s or more"),
            "{md}"
        );
        assert!(
            md.contains("00:00 teacher-talk, 02:00 discussion, 04:00 teacher-talk"),
            "{md}"
        );
        assert!(md.contains("| 02:10 | closed | – | q at 130 |"), "{md}");
    }
}
