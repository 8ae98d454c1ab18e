//! Lesson analytics (pure figures; [`plot`] draws them): where each pattern happens, per label
//! count, total and median duration, share of the lesson and first occurrence; a label ×
//! 2-minute-bin coverage grid, in the style of classroom-observation protocols; and talk time
//! (speech vs silence from the transcript; teacher vs student when the annotation carries
//! speaker labels).
//!
//! The intervals counted are the lesson's agreed ones: the consensus when several annotators
//! marked it, else the one annotation. [`activity`] adds the teacher's questions, wait times
//! and the activity per bin, when the transcript has them.

pub mod activity;
pub mod plot;

use crate::frames::union;
use crate::matrix::Matrix;
use crate::{Marking, Span};

/// Width of a heatmap bin, seconds.
pub const BIN_SECS: f64 = 120.0;

/// What the analytics of one lesson are made from.
#[derive(Debug, Clone)]
pub struct LessonInput {
    pub title: String,
    pub frames: u64,
    pub fps: f64,
    /// The patterns, in sheet order (every one gets a lane, used or not).
    pub labels: Vec<String>,
    /// Each annotator's intervals.
    pub markings: Vec<Marking>,
    /// The agreed intervals (the consensus, or the single annotation's).
    pub agreed: Vec<Span>,
    /// Speech in seconds (transcript segments), when transcribed.
    pub speech: Option<Vec<(f64, f64)>>,
    /// Speaker-labelled regions in seconds: `(start, end, speaker)`.
    pub speakers: Vec<(f64, f64, String)>,
    /// Speaker turns by role in seconds: `(start, end, role)` with role `teacher`, `student`
    /// or `several` (talking at once); from the annotators' speaker lane when they corrected
    /// it, else PPI's own turns.
    pub roles: Vec<(f64, f64, String)>,
    /// Where `roles` come from: `annotators` or `machine`.
    pub roles_source: Option<String>,
    /// Intervals match at this IoU, for the annotator matrix.
    pub iou: f64,
    /// The machine against the humans on this lesson (its task's stored agreement), when a
    /// prediction was measured.
    pub machine: Option<crate::machine::Bench>,
    /// Questions, wait times and bins, when the transcript has them.
    pub events: Option<activity::Events>,
}

/// One label's figures (from the agreed intervals).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelStats {
    pub label: String,
    pub count: usize,
    pub total_s: f64,
    pub median_s: Option<f64>,
    /// Share of the lesson covered.
    pub share: f64,
    pub first_s: Option<f64>,
}

/// Speech and silence, and who talked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TalkTime {
    pub speech_s: f64,
    pub silence_s: f64,
    pub speech_share: f64,
    /// `(speaker, seconds, share of the labelled speech)`.
    pub speakers: Vec<(String, f64, f64)>,
}

/// Who talks, by role: the lesson's shares (they add up to 1), the same per 2-minute bin, the
/// students' turns and the teacher's longest monologue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoleTalk {
    /// `annotators` (their corrected speaker lane) or `machine` (PPI's turns).
    pub source: String,
    pub teacher_s: f64,
    pub student_s: f64,
    pub several_s: f64,
    pub silence_s: f64,
    pub teacher_share: f64,
    pub student_share: f64,
    pub several_share: f64,
    pub silence_share: f64,
    /// Per bin: `[teacher, student, several, silence]` shares of the bin.
    pub bins: Vec<[f64; 4]>,
    pub student_turns: usize,
    pub student_turn_median_s: Option<f64>,
    /// The longest stretch of teacher talk with no one else and pauses under
    /// [`MONOLOGUE_PAUSE`] seconds: its length and start.
    pub longest_monologue_s: f64,
    pub longest_monologue_at: Option<f64>,
}

/// A teacher's pause shorter than this does not end a monologue.
pub const MONOLOGUE_PAUSE: f64 = 2.0;

/// Time per role inside `[b0, b1)`: teacher, student, several, silence (the roles' turns do
/// not overlap: where two talk at once the turn is `several`).
fn role_time(turns: &[(f64, f64, String)], b0: f64, b1: f64) -> [f64; 4] {
    let clip = |role: &str| -> Vec<(f64, f64)> {
        turns
            .iter()
            .filter(|t| t.2 == role)
            .map(|t| (t.0.max(b0), t.1.min(b1)))
            .filter(|(s, e)| e > s)
            .collect()
    };
    let several = union_secs(&clip("several"));
    let teacher = union_secs(&clip("teacher"));
    let student = union_secs(&clip("student"));
    let len = (b1 - b0).max(0.0);
    [
        teacher,
        student,
        several,
        (len - teacher - student - several).max(0.0),
    ]
}

fn role_talk(i: &LessonInput, duration: f64, bins: usize) -> Option<RoleTalk> {
    if i.roles.is_empty() {
        return None;
    }
    let [teacher_s, student_s, several_s, silence_s] = role_time(&i.roles, 0.0, duration);
    let share = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    let bins: Vec<[f64; 4]> = (0..bins)
        .map(|b| {
            let (b0, b1) = (
                b as f64 * BIN_SECS,
                ((b + 1) as f64 * BIN_SECS).min(duration),
            );
            let t = role_time(&i.roles, b0, b1);
            let len = (b1 - b0).max(1e-9);
            [t[0] / len, t[1] / len, t[2] / len, t[3] / len]
        })
        .collect();
    let mut students: Vec<f64> = i
        .roles
        .iter()
        .filter(|t| t.2 == "student")
        .map(|t| t.1 - t.0)
        .collect();
    students.sort_by(f64::total_cmp);
    let median = match students.len() {
        0 => None,
        k if k % 2 == 1 => Some(students[k / 2]),
        k => Some((students[k / 2 - 1] + students[k / 2]) / 2.0),
    };
    // Monologues: teacher turns joined across short pauses, broken by anyone else's turn.
    let mut sorted: Vec<&(f64, f64, String)> = i.roles.iter().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut best, mut best_at) = (0.0f64, None);
    let mut cur: Option<(f64, f64)> = None;
    for t in sorted {
        cur = match (cur, t.2.as_str()) {
            (Some((s, e)), "teacher") if t.0 - e < MONOLOGUE_PAUSE => Some((s, e.max(t.1))),
            (_, "teacher") => Some((t.0, t.1)),
            _ => None,
        };
        if let Some((s, e)) = cur {
            if e - s > best {
                best = e - s;
                best_at = Some(s);
            }
        }
    }
    Some(RoleTalk {
        source: i.roles_source.clone().unwrap_or_else(|| "machine".into()),
        teacher_s,
        student_s,
        several_s,
        silence_s,
        teacher_share: share(teacher_s),
        student_share: share(student_s),
        several_share: share(several_s),
        silence_share: share(silence_s),
        bins,
        student_turns: students.len(),
        student_turn_median_s: median,
        longest_monologue_s: best,
        longest_monologue_at: best_at,
    })
}

/// A lesson's analytics.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub title: String,
    pub duration_s: f64,
    pub annotators: Vec<String>,
    pub labels: Vec<LabelStats>,
    /// `coverage[label][bin]`: share of the bin the label covers.
    pub coverage: Vec<Vec<f64>>,
    pub bin_s: f64,
    pub talk: Option<TalkTime>,
    /// Talk by role (teacher, student, several, silence), when the turns are known.
    #[serde(default)]
    pub roles: Option<RoleTalk>,
    /// The annotator matrix, with two or more annotators (summaries add up across lessons:
    /// [`Matrix::merge`]).
    #[serde(default)]
    pub matrix: Option<Matrix>,
    /// Each model version's prediction against the consensus, beside the humans pairwise
    /// (benches add up across lessons: [`crate::machine::Bench::merge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::machine::Bench>,
    /// The teacher's questions, wait times and the activity per bin.
    #[serde(default)]
    pub activity: Option<activity::ActivitySummary>,
}

fn secs(frames: u64, fps: f64) -> f64 {
    frames as f64 / fps
}

fn union_secs(spans: &[(f64, f64)]) -> f64 {
    let mut v: Vec<(f64, f64)> = spans.iter().copied().filter(|(s, e)| e > s).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut cur: Option<(f64, f64)> = None;
    for (s, e) in v {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    total + cur.map(|(s, e)| e - s).unwrap_or(0.0)
}

impl LessonInput {
    /// The frame rate, 25 when unknown.
    pub fn fps_or_default(&self) -> f64 {
        if self.fps > 0.0 {
            self.fps
        } else {
            25.0
        }
    }

    /// The lesson's last frame: its length, or the end of the last interval if later.
    pub fn last_frame(&self) -> u64 {
        self.agreed
            .iter()
            .chain(self.markings.iter().flat_map(|m| m.spans.iter()))
            .map(|s| s.end)
            .fold(self.frames, u64::max)
    }
}

/// The figures of one lesson.
pub fn summarise(i: &LessonInput) -> Summary {
    let (fps, n) = (i.fps_or_default(), i.last_frame());
    let duration = secs(n, fps);
    let bins = ((duration / BIN_SECS).ceil() as usize).max(1);
    let mut labels = Vec::with_capacity(i.labels.len());
    let mut coverage = Vec::with_capacity(i.labels.len());
    for label in &i.labels {
        let runs = union(
            i.agreed
                .iter()
                .filter(|s| &s.label == label)
                .map(|s| (s.start, s.end)),
            n,
        );
        let mut lengths: Vec<f64> = runs.iter().map(|(s, e)| secs(e - s, fps)).collect();
        lengths.sort_by(f64::total_cmp);
        let total: f64 = lengths.iter().sum();
        let median = match lengths.len() {
            0 => None,
            k if k % 2 == 1 => Some(lengths[k / 2]),
            k => Some((lengths[k / 2 - 1] + lengths[k / 2]) / 2.0),
        };
        labels.push(LabelStats {
            label: label.clone(),
            count: runs.len(),
            total_s: total,
            median_s: median,
            share: if duration > 0.0 {
                total / duration
            } else {
                0.0
            },
            first_s: runs.first().map(|(s, _)| secs(*s, fps)),
        });
        let mut row = vec![0.0; bins];
        for (b, cell) in row.iter_mut().enumerate() {
            let (b0, b1) = (
                b as f64 * BIN_SECS,
                ((b + 1) as f64 * BIN_SECS).min(duration),
            );
            let covered: f64 = runs
                .iter()
                .map(|(s, e)| (secs(*e, fps).min(b1) - secs(*s, fps).max(b0)).max(0.0))
                .sum();
            *cell = if b1 > b0 { covered / (b1 - b0) } else { 0.0 };
        }
        coverage.push(row);
    }
    let talk = i.speech.as_ref().map(|speech| {
        let speech_s = union_secs(speech).min(duration);
        let mut names: Vec<String> = i.speakers.iter().map(|s| s.2.clone()).collect();
        names.sort();
        names.dedup();
        let per: Vec<(String, f64)> = names
            .into_iter()
            .map(|name| {
                let spans: Vec<(f64, f64)> = i
                    .speakers
                    .iter()
                    .filter(|s| s.2 == name)
                    .map(|s| (s.0, s.1))
                    .collect();
                (name, union_secs(&spans))
            })
            .collect();
        let labelled: f64 = per.iter().map(|p| p.1).sum();
        TalkTime {
            speech_s,
            silence_s: (duration - speech_s).max(0.0),
            speech_share: if duration > 0.0 {
                speech_s / duration
            } else {
                0.0
            },
            speakers: per
                .into_iter()
                .map(|(n, s)| (n, s, if labelled > 0.0 { s / labelled } else { 0.0 }))
                .collect(),
        }
    });
    Summary {
        roles: role_talk(i, duration, bins),
        title: i.title.clone(),
        duration_s: duration,
        annotators: i.markings.iter().map(|m| m.annotator.clone()).collect(),
        labels,
        coverage,
        bin_s: BIN_SECS,
        talk,
        matrix: (i.markings.len() >= 2).then(|| Matrix::of_task(&i.markings, &i.labels, n, i.iou)),
        machine: i.machine.clone(),
        activity: i.events.as_ref().map(|e| activity::summarise(e, duration)),
    }
}

/// `mm:ss`.
pub fn mmss(t: f64) -> String {
    let t = t.max(0.0).round() as u64;
    format!("{:02}:{:02}", t / 60, t % 60)
}

/// The per-label table as Markdown (for the dataset card).
pub fn markdown_table(s: &Summary) -> String {
    let mut out = String::from(
        "| pattern | count | total | median | % of lesson | first |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for l in &s.labels {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {} |\n",
            l.label.replace('|', "\\|"),
            l.count,
            mmss(l.total_s),
            l.median_s.map(mmss).unwrap_or_else(|| "–".into()),
            100.0 * l.share,
            l.first_s.map(mmss).unwrap_or_else(|| "–".into()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(label: &str, s: u64, e: u64) -> Span {
        Span {
            label: label.into(),
            start: s,
            end: e,
        }
    }

    #[test]
    fn label_figures_bins_and_talk_time() {
        let input = LessonInput {
            title: "t".into(),
            frames: 25 * 300,
            fps: 25.0,
            labels: vec!["Lecture".into(), "GroupWork".into()],
            markings: vec![],
            agreed: vec![
                span("Lecture", 0, 25 * 60),
                span("Lecture", 25 * 150, 25 * 170),
            ],
            speech: Some(vec![(0.0, 60.0), (30.0, 90.0)]),
            speakers: vec![
                (0.0, 45.0, "teacher".into()),
                (45.0, 60.0, "student".into()),
            ],
            roles: vec![],
            roles_source: None,
            iou: 0.5,
            machine: None,
            events: None,
        };
        let s = summarise(&input);
        assert!(s.roles.is_none());
        let l = &s.labels[0];
        assert_eq!((l.count, l.total_s, l.median_s), (2, 80.0, Some(40.0)));
        assert_eq!(l.first_s, Some(0.0));
        assert!((l.share - 80.0 / 300.0).abs() < 1e-12);
        assert_eq!(s.labels[1].count, 0);
        assert_eq!(s.coverage[0].len(), 3, "300 s in 2-minute bins");
        assert!((s.coverage[0][0] - 0.5).abs() < 1e-12);
        assert!((s.coverage[0][1] - 20.0 / 120.0).abs() < 1e-12);
        let t = s.talk.clone().unwrap();
        assert_eq!((t.speech_s, t.silence_s), (90.0, 210.0));
        assert_eq!(t.speakers[1], ("teacher".into(), 45.0, 0.75));
        assert!(markdown_table(&s).contains("| Lecture | 2 | 01:20 | 00:40 | 26.7 | 00:00 |"));
    }

    #[test]
    fn talk_by_role_per_lesson_and_bin_with_turns_and_monologues() {
        let role = |s: f64, e: f64, r: &str| (s, e, r.to_owned());
        let input = LessonInput {
            title: "t".into(),
            frames: 25 * 240,
            fps: 25.0,
            labels: vec!["Lecture".into()],
            markings: vec![],
            agreed: vec![],
            speech: None,
            speakers: vec![],
            // A 100-s monologue (pauses under 2 s), a student, overlap, a teacher again.
            roles: vec![
                role(0.0, 50.0, "teacher"),
                role(51.5, 100.0, "teacher"),
                role(110.0, 114.0, "student"),
                role(114.0, 116.0, "several"),
                role(116.0, 118.0, "student"),
                role(125.0, 185.0, "teacher"),
            ],
            roles_source: Some("annotators".into()),
            iou: 0.5,
            machine: None,
            events: None,
        };
        let r = summarise(&input).roles.unwrap();
        assert_eq!(r.source, "annotators");
        assert_eq!((r.teacher_s, r.student_s, r.several_s), (158.5, 6.0, 2.0));
        let total = r.teacher_share + r.student_share + r.several_share + r.silence_share;
        assert!((total - 1.0).abs() < 1e-12);
        assert_eq!(r.bins.len(), 2);
        // Bin 0 (0-120 s): 98.5 s teacher, 6 s student, 2 s several.
        assert!((r.bins[0][0] - 98.5 / 120.0).abs() < 1e-12);
        assert!((r.bins[0][2] - 2.0 / 120.0).abs() < 1e-12);
        assert_eq!((r.student_turns, r.student_turn_median_s), (2, Some(3.0)));
        assert_eq!(
            (r.longest_monologue_s, r.longest_monologue_at),
            (100.0, Some(0.0))
        );
    }
}
