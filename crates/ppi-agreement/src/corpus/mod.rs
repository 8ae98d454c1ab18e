//! Corpus analytics: what a project's lessons (or a chosen set of them) add up to, from each
//! task's stored agreement report and each lesson's transcript summary: pattern counts and
//! durations of the agreed intervals, the distribution of κ over tasks against the gate, the
//! annotator matrix, talk shares and questions per lesson, and the machine against the humans
//! per model version. Pure; [`charts`] draws them, [`tables`] lays out the same figures as the
//! tables and CSV files shown beside the charts.

pub mod charts;
pub mod tables;

use crate::consensus::Gate;
use crate::machine::{Bench, Brief};
use crate::matrix::Matrix;
use crate::Span;

/// What one task's stored report gives the corpus (the parts it reads; the rest is ignored).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct StoredReport {
    #[serde(default)]
    pub consensus: Vec<Span>,
    pub gate: Option<Gate>,
    pub matrix: Option<Matrix>,
    pub machine: Option<Bench>,
}

/// One measured task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub task_id: i64,
    pub lesson: Option<String>,
    /// Frames per second of the task's video (the consensus is in frames).
    pub fps: f64,
    pub report: StoredReport,
}

/// Talk and questions in one lesson, from its transcript (speakers and questions found).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LessonTalk {
    pub lesson: String,
    pub title: String,
    /// Shares of the recording in `[0, 1]`.
    pub teacher_share: f64,
    pub student_share: f64,
    /// The teacher's questions, and how many of them were open.
    pub questions: u64,
    pub open_questions: u64,
}

/// One pattern over the corpus: the consensus intervals of tasks that passed the gate (what
/// becomes data), and of tasks the gate flagged.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PatternFigure {
    pub label: String,
    pub intervals: u64,
    pub seconds: f64,
    pub flagged_intervals: u64,
    pub flagged_seconds: f64,
}

/// One bin of the κ distribution: `[from, to)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KappaBin {
    pub from: f64,
    pub to: f64,
    pub tasks: u64,
}

/// One task's gate reading.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskKappa {
    pub task_id: i64,
    pub lesson: Option<String>,
    pub kappa: Option<f64>,
    pub passed: bool,
}

/// κ over tasks, with the gate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KappaFigures {
    /// Which κ the gate reads (`pooled`, `macro`, `alpha`) and its threshold, as the newest
    /// report states them.
    pub measure: Option<crate::GateMeasure>,
    pub gate: Option<f64>,
    pub bins: Vec<KappaBin>,
    pub passed: u64,
    pub flagged: u64,
    /// Tasks whose κ is undefined (no bin holds them).
    pub undefined: u64,
    pub tasks: Vec<TaskKappa>,
}

/// Everything the analytics page shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Corpus {
    /// Lessons in the selection, and tasks measured among them.
    pub lessons: usize,
    pub tasks: usize,
    pub patterns: Vec<PatternFigure>,
    pub kappa: KappaFigures,
    pub matrix: Matrix,
    pub talk: Vec<LessonTalk>,
    /// The humans' row, then each model version's, over every measured task.
    pub machine: Vec<Brief>,
}

/// The κ bins: below 0, then tenths up to 1.
pub const KAPPA_EDGES: [f64; 12] = [-1.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// Adds up `tasks` over `lessons` lessons, with `talk` for those whose transcript has speakers.
pub fn summarise(lessons: usize, tasks: &[TaskFacts], talk: Vec<LessonTalk>) -> Corpus {
    Corpus {
        lessons,
        tasks: tasks.len(),
        patterns: patterns(tasks),
        kappa: kappa(tasks),
        matrix: Matrix::merge(tasks.iter().filter_map(|t| t.report.matrix.as_ref())),
        talk,
        machine: machine(tasks),
    }
}

fn patterns(tasks: &[TaskFacts]) -> Vec<PatternFigure> {
    let mut out: Vec<PatternFigure> = Vec::new();
    for t in tasks {
        let passed = t.report.gate.as_ref().is_some_and(|g| g.passed);
        let fps = if t.fps > 0.0 { t.fps } else { 25.0 };
        for s in &t.report.consensus {
            let i = match out.iter().position(|p| p.label == s.label) {
                Some(i) => i,
                None => {
                    out.push(PatternFigure {
                        label: s.label.clone(),
                        intervals: 0,
                        seconds: 0.0,
                        flagged_intervals: 0,
                        flagged_seconds: 0.0,
                    });
                    out.len() - 1
                }
            };
            let secs = s.len() as f64 / fps;
            let p = &mut out[i];
            if passed {
                p.intervals += 1;
                p.seconds += secs;
            } else {
                p.flagged_intervals += 1;
                p.flagged_seconds += secs;
            }
        }
    }
    out.sort_by(|a, b| {
        (b.intervals, b.flagged_intervals, &a.label).cmp(&(
            a.intervals,
            a.flagged_intervals,
            &b.label,
        ))
    });
    out
}

/// The bin a κ falls in (`None`: outside `[-1, 1]`, or not a number).
pub fn bin_of(k: f64) -> Option<usize> {
    if !(-1.0..=1.0).contains(&k) {
        return None;
    }
    let last = KAPPA_EDGES.len() - 2;
    Some(
        KAPPA_EDGES
            .windows(2)
            .position(|w| k >= w[0] && k < w[1])
            .unwrap_or(last),
    )
}

fn kappa(tasks: &[TaskFacts]) -> KappaFigures {
    let mut bins: Vec<KappaBin> = KAPPA_EDGES
        .windows(2)
        .map(|w| KappaBin {
            from: w[0],
            to: w[1],
            tasks: 0,
        })
        .collect();
    let (mut passed, mut flagged, mut undefined) = (0, 0, 0);
    let mut list = Vec::with_capacity(tasks.len());
    for t in tasks {
        let g = t.report.gate.as_ref();
        let k = g.and_then(|g| g.value);
        let ok = g.is_some_and(|g| g.passed);
        if ok {
            passed += 1;
        } else {
            flagged += 1;
        }
        match k.and_then(bin_of) {
            Some(b) => bins[b].tasks += 1,
            None => undefined += 1,
        }
        list.push(TaskKappa {
            task_id: t.task_id,
            lesson: t.lesson.clone(),
            kappa: k,
            passed: ok,
        });
    }
    let newest = tasks.iter().rev().find_map(|t| t.report.gate.as_ref());
    KappaFigures {
        measure: newest.map(|g| g.measure),
        gate: newest.map(|g| g.threshold),
        bins,
        passed,
        flagged,
        undefined,
        tasks: list,
    }
}

fn machine(tasks: &[TaskFacts]) -> Vec<Brief> {
    let parts: Vec<Bench> = tasks
        .iter()
        .filter_map(|t| t.report.machine.clone())
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    Bench::merge(&parts).brief()
}

/// A lesson's talk and questions from its stored transcript JSON (`None` when the speakers
/// were not found).
pub fn talk_of(lesson: &str, title: &str, transcript: &serde_json::Value) -> Option<LessonTalk> {
    let roles = transcript.get("roles")?;
    let teacher_questions = transcript["questions"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .filter(|q| q["role"] == "teacher")
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    Some(LessonTalk {
        lesson: lesson.to_owned(),
        title: title.to_owned(),
        teacher_share: roles["teacher_share"].as_f64().unwrap_or(0.0),
        student_share: roles["student_share"].as_f64().unwrap_or(0.0),
        questions: teacher_questions.len() as u64,
        open_questions: teacher_questions
            .iter()
            .filter(|q| q["type"] == "open")
            .count() as u64,
    })
}

#[cfg(test)]
mod tests;
