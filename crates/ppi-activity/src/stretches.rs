//! Stretches of one activity, for the draft's regions: every 10 s of the lesson is judged by
//! the minute around it (the bins' rules, their speaker-change threshold scaled to the
//! window), runs of one activity become stretches, a stretch under 30 s joins its longer
//! neighbour, and each stretch is trimmed to the speech inside it. Each stretch carries its
//! *cues* (what the suggester reads beside the words) and its evidence in words ("4 teacher
//! questions, answered after 2.1 s (median)").

use ppi_speakers::{Role, Turn};

use crate::bins::{measure, sorted, Activity};
use crate::questions::Question;
use crate::wait::{median, WaitTimes};

/// Seconds between judgements, the window each judgement reads, the shortest stretch.
pub const TICK: f64 = 10.0;
pub const WINDOW: f64 = 60.0;
pub const MIN_STRETCH: f64 = 30.0;

/// The cues the suggester reads (`ppi_learn::suggest::CUES` names their words).
pub const MONOLOGUE: &str = "cue:monologue";
pub const QUESTION_ANSWER: &str = "cue:question-answer";
pub const DISCUSSION: &str = "cue:discussion";
pub const GROUP: &str = "cue:group";
pub const STUDENT_TALK: &str = "cue:student-talk";
pub const QUIET: &str = "cue:quiet";

/// One stretch of the lesson with one activity.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stretch {
    pub start: f64,
    pub end: f64,
    pub activity: Activity,
    /// Teacher questions starting in it, and how many a student answered.
    pub questions: usize,
    pub answered: usize,
    pub cues: Vec<String>,
    /// The evidence, in words, for the region's meta.
    pub why: Vec<String>,
}

/// Runs of `(start, end, activity)`, each at least [`MIN_STRETCH`] long where it can be: the
/// shortest short run joins the neighbour that is longer (or shares its activity), again and
/// again.
fn runs(ticks: &[Activity], duration: f64) -> Vec<(f64, f64, Activity)> {
    let mut out: Vec<(f64, f64, Activity)> = Vec::new();
    for (k, a) in ticks.iter().enumerate() {
        let (s, e) = (k as f64 * TICK, ((k + 1) as f64 * TICK).min(duration));
        match out.last_mut() {
            Some(l) if l.2 == *a => l.1 = e,
            _ => out.push((s, e, *a)),
        }
    }
    loop {
        let short = out
            .iter()
            .enumerate()
            .filter(|(_, r)| r.1 - r.0 < MIN_STRETCH)
            .min_by(|a, b| (a.1 .1 - a.1 .0).total_cmp(&(b.1 .1 - b.1 .0)))
            .map(|(i, _)| i);
        let Some(i) = short else { break };
        if out.len() < 2 {
            break;
        }
        let len = |r: &(f64, f64, Activity)| r.1 - r.0;
        let into_prev = match (i.checked_sub(1).map(|p| out[p]), out.get(i + 1)) {
            (Some(p), Some(n)) => len(&p) >= len(n),
            (Some(_), None) => true,
            _ => false,
        };
        let r = out.remove(i);
        if into_prev {
            out[i - 1].1 = r.1;
        } else {
            out[i].0 = r.0;
        }
        // Neighbours of one activity are one run.
        let mut merged: Vec<(f64, f64, Activity)> = Vec::with_capacity(out.len());
        for r in out {
            match merged.last_mut() {
                Some(l) if l.2 == r.2 => l.1 = r.1,
                _ => merged.push(r),
            }
        }
        out = merged;
    }
    out
}

/// The lesson's stretches from its turns, the teacher's questions and their wait times.
pub fn stretches(
    turns: &[Turn],
    questions: &[Question],
    waits: &WaitTimes,
    duration: f64,
) -> Vec<Stretch> {
    if duration <= 0.0 || turns.is_empty() {
        return Vec::new();
    }
    let sorted = sorted(turns);
    let n = (duration / TICK).ceil() as usize;
    let ticks: Vec<Activity> = (0..n)
        .map(|k| {
            let c = (k as f64 + 0.5) * TICK;
            let (w0, w1) = (
                (c - WINDOW / 2.0).max(0.0),
                (c + WINDOW / 2.0).min(duration),
            );
            measure(&sorted, w0, w1, w1 - w0).activity
        })
        .collect();
    runs(&ticks, duration)
        .into_iter()
        .map(|(a, b, activity)| describe(&sorted, questions, waits, a, b, activity))
        .collect()
}

/// The stretch `[a, b)` of `activity`: trimmed to the speech inside (a quiet stretch keeps
/// its bounds), with its questions, cues and evidence. `sorted`: the turns in time order.
pub fn describe(
    sorted: &[&Turn],
    questions: &[Question],
    waits: &WaitTimes,
    a: f64,
    b: f64,
    activity: Activity,
) -> Stretch {
    // Trimmed to the speech inside (a quiet stretch keeps its bounds).
    let speech: Vec<&&Turn> = sorted.iter().filter(|t| t.end > a && t.start < b).collect();
    let start = speech.iter().map(|t| t.start).fold(b, f64::min).max(a);
    let end = speech.iter().map(|t| t.end).fold(a, f64::max).min(b);
    let (start, end) = if end > start { (start, end) } else { (a, b) };
    let f = measure(sorted, start, end, WINDOW);
    let asked: Vec<&Question> = questions
        .iter()
        .filter(|q| q.start >= a && q.start < b && q.role == Role::Teacher)
        .collect();
    let wt1: Vec<f64> = waits
        .per_question
        .iter()
        .filter(|w| w.question_at >= a && w.question_at < b)
        .filter_map(|w| w.wt1)
        .collect();
    let answered = waits
        .per_question
        .iter()
        .filter(|w| w.question_at >= a && w.question_at < b && w.next == Some(Role::Student))
        .count();
    let speech_share = f.teacher + f.student + f.several;
    let of_speech = |x: f64| 100.0 * x / speech_share.max(1e-9);
    let mut why = Vec::new();
    let cue = match activity {
        Activity::TeacherTalk => {
            why.push(format!(
                "the teacher talks {:.0} % of the speech",
                of_speech(f.teacher)
            ));
            MONOLOGUE
        }
        Activity::Discussion if !asked.is_empty() => QUESTION_ANSWER,
        Activity::Discussion => {
            why.push(format!("{} speaker changes", f.turn_changes));
            DISCUSSION
        }
        Activity::GroupWork => {
            why.push(format!(
                "{} voices, the most talkative {:.0} % of the speech, {} speaker changes; the teacher {:.0} %",
                f.speakers,
                100.0 * f.top_share,
                f.turn_changes,
                of_speech(f.teacher)
            ));
            if f.several > 0.0 {
                why.push(format!("{:.0} % of the time at once", 100.0 * f.several));
            }
            GROUP
        }
        Activity::StudentTalk => {
            why.push(format!(
                "one student holds the floor ({:.0} % of the speech)",
                100.0 * f.top_share
            ));
            STUDENT_TALK
        }
        Activity::QuietWork => {
            why.push(format!("speech {:.0} % of the time", 100.0 * speech_share));
            QUIET
        }
    };
    let mut cues = vec![cue.to_owned()];
    if !asked.is_empty() {
        let wait = median(wt1)
            .map(|m| format!(", answered after {m:.1} s (median)"))
            .unwrap_or_default();
        why.insert(
            0,
            format!(
                "{} teacher question(s), {answered} with a student's answer{wait}",
                asked.len()
            ),
        );
        // Questions answered often enough (three or more, one every 30 s) make a stretch of
        // another activity a questioning one too.
        if answered >= 3 && answered as f64 * 30.0 >= end - start && cue != QUESTION_ANSWER {
            cues.push(QUESTION_ANSWER.to_owned());
        }
    }
    Stretch {
        start,
        end,
        activity,
        questions: asked.len(),
        answered,
        cues,
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::QuestionType;
    use crate::wait::WaitTime;

    fn turn(start: f64, end: f64, speaker: &str, role: Role) -> Turn {
        Turn {
            start,
            end,
            speaker: speaker.into(),
            role,
            overlap: false,
        }
    }

    #[test]
    fn a_lecture_then_questions_are_two_stretches_with_their_evidence() {
        let mut turns = Vec::new();
        // 0-120 s: the teacher alone, short pauses.
        let mut t = 0.5;
        while t < 118.0 {
            turns.push(turn(t, t + 6.0, "T", Role::Teacher));
            t += 6.5;
        }
        // 120-240 s: question, wait, answer, feedback.
        let mut questions = Vec::new();
        let mut waits = WaitTimes::default();
        let mut t = 121.0;
        while t < 230.0 {
            turns.push(turn(t, t + 3.0, "T", Role::Teacher));
            questions.push(Question {
                start: t,
                end: t + 3.0,
                role: Role::Teacher,
                speaker: Some("T".into()),
                text: "Why?".into(),
                kind: QuestionType::Open,
            });
            waits.per_question.push(WaitTime {
                question_at: t,
                wt1: Some(2.0),
                wt2: Some(1.0),
                next: Some(Role::Student),
            });
            turns.push(turn(t + 5.0, t + 8.0, "S1", Role::Student));
            turns.push(turn(t + 9.0, t + 10.0, "T", Role::Teacher));
            t += 12.0;
        }
        let s = stretches(&turns, &questions, &waits, 240.0);
        assert_eq!(s.len(), 2, "{s:#?}");
        assert_eq!(s[0].activity, Activity::TeacherTalk);
        assert_eq!(s[0].cues, [MONOLOGUE]);
        assert!((s[0].start - 0.5).abs() < 1e-9);
        assert_eq!(s[1].activity, Activity::Discussion);
        assert_eq!(s[1].cues, [QUESTION_ANSWER]);
        assert!((s[1].start - 120.0).abs() <= 12.0, "{:?}", s[1]);
        assert!(
            s[1].why[0].contains("answered after 2.0 s (median)"),
            "{:?}",
            s[1].why
        );
        assert!(s[1].questions >= 8);
    }

    #[test]
    fn a_short_run_joins_its_longer_neighbour() {
        use Activity::*;
        let ticks = [TeacherTalk; 6]
            .into_iter()
            .chain([Discussion; 2])
            .chain([TeacherTalk; 4])
            .chain([GroupWork; 5])
            .collect::<Vec<_>>();
        let r = runs(&ticks, 170.0);
        assert_eq!(
            r,
            vec![(0.0, 120.0, TeacherTalk), (120.0, 170.0, GroupWork)]
        );
    }
}
