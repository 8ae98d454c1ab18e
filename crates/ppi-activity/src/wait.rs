//! Rowe's wait times, from the turns: WT1 is the silence after a teacher's question until anyone
//! speaks; WT2 the silence after the student's answer until the next speech. Per lesson: the
//! medians, and the share of questions followed by at least 3 s (Rowe's target).

use ppi_speakers::{Role, Turn};

use crate::questions::Question;

/// Rowe's recommended wait, seconds.
pub const TARGET: f64 = 3.0;
/// Speech starting this close after a question's end is its continuation, not an answer.
const TOUCH: f64 = 0.05;
/// A teacher's turn that runs on this long after the question's last word continues it.
const CONTINUED: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WaitTime {
    /// The question's start, as in `questions`.
    pub question_at: f64,
    /// Seconds of silence after the question (WT1); `None` when nobody speaks after it.
    pub wt1: Option<f64>,
    /// Seconds of silence after the answer (WT2), when a student answered.
    pub wt2: Option<f64>,
    /// The role that spoke first after the question.
    pub next: Option<Role>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WaitTimes {
    pub per_question: Vec<WaitTime>,
    pub wt1_median: Option<f64>,
    pub wt2_median: Option<f64>,
    /// Share of questions whose WT1 is at least [`TARGET`].
    pub wt1_at_target: Option<f64>,
}

/// The median of `v` (`None` when empty).
pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The first turn starting at or after `t` (ties: the longer), and the gap to it.
fn next_after(turns: &[Turn], t: f64) -> Option<(&Turn, f64)> {
    turns
        .iter()
        .filter(|x| x.start > t - TOUCH)
        .min_by(|a, b| a.start.total_cmp(&b.start))
        .map(|x| (x, (x.start - t).max(0.0)))
}

/// Wait times after each question.
pub fn measure(questions: &[Question], turns: &[Turn]) -> WaitTimes {
    let mut sorted: Vec<Turn> = turns.to_vec();
    sorted.sort_by(|a, b| a.start.total_cmp(&b.start));
    let per_question: Vec<WaitTime> = questions
        .iter()
        .map(|q| {
            // The teacher's turn holding the question: its end is where the silence starts
            // (word and turn times differ by a little). A turn running on for more than
            // [`CONTINUED`] means the teacher kept talking: no wait at all.
            let holder = sorted
                .iter()
                .filter(|t| {
                    t.role == Role::Teacher && t.start <= q.end + 0.1 && t.end >= q.end - 0.1
                })
                .map(|t| t.end)
                .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
            let q_end = match holder {
                Some(e) if e - q.end > CONTINUED => {
                    return WaitTime {
                        question_at: q.start,
                        wt1: Some(0.0),
                        wt2: None,
                        next: Some(Role::Teacher),
                    }
                }
                Some(e) => e.max(q.end),
                None => q.end,
            };
            let next = next_after(&sorted, q_end);
            let wt2 = match next {
                Some((t, _)) if t.role == Role::Student => {
                    // The answer: this student's turns until someone else speaks.
                    let mut end = t.end;
                    for u in sorted.iter().filter(|u| u.start >= t.start) {
                        if u.speaker != t.speaker || u.start - end > TARGET {
                            break;
                        }
                        end = end.max(u.end);
                    }
                    next_after(&sorted, end).map(|(_, gap)| gap)
                }
                _ => None,
            };
            WaitTime {
                question_at: q.start,
                wt1: next.map(|(_, gap)| gap),
                wt2,
                next: next.map(|(t, _)| t.role),
            }
        })
        .collect();
    let wt1: Vec<f64> = per_question.iter().filter_map(|w| w.wt1).collect();
    let at_target = (!wt1.is_empty())
        .then(|| wt1.iter().filter(|w| **w >= TARGET).count() as f64 / wt1.len() as f64);
    WaitTimes {
        wt1_median: median(wt1),
        wt2_median: median(per_question.iter().filter_map(|w| w.wt2).collect()),
        wt1_at_target: at_target,
        per_question,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::QuestionType;

    #[test]
    fn wait_after_the_question_and_after_the_answer() {
        let turn = |start: f64, end: f64, speaker: &str, role: Role| Turn {
            start,
            end,
            speaker: speaker.into(),
            role,
            overlap: false,
        };
        let turns = [
            turn(0.0, 5.0, "S1", Role::Teacher),
            turn(8.5, 10.0, "S2", Role::Student),
            turn(11.2, 14.0, "S1", Role::Teacher),
            turn(20.0, 22.0, "S1", Role::Teacher),
        ];
        let q = |start: f64, end: f64| Question {
            start,
            end,
            role: Role::Teacher,
            speaker: Some("S1".into()),
            text: "Why?".into(),
            kind: QuestionType::Open,
        };
        let w = measure(&[q(3.0, 5.0), q(12.0, 14.0), q(21.0, 22.0)], &turns);
        let p = &w.per_question;
        assert_eq!((p[0].wt1, p[0].next), (Some(3.5), Some(Role::Student)));
        assert!((p[0].wt2.unwrap() - 1.2).abs() < 1e-9);
        // The teacher speaks again after 6 s: WT1 6 s, no answer.
        assert_eq!(
            (p[1].wt1, p[1].wt2, p[1].next),
            (Some(6.0), None, Some(Role::Teacher))
        );
        assert_eq!(p[2].wt1, None);
        // A question the teacher talks straight on from has no wait.
        let on = measure(&[q(1.0, 2.0)], &turns);
        assert_eq!(on.per_question[0].wt1, Some(0.0));
        assert_eq!(w.wt1_median, Some(4.75));
        assert_eq!(w.wt1_at_target, Some(1.0));
        assert!((w.wt2_median.unwrap() - 1.2).abs() < 1e-9);
    }
}
