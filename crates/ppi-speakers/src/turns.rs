//! From labelled windows to turns: each 20-ms frame of speech takes the speaker of the nearest
//! window centre, frames where a window sounds like two voices at once (or lies in a long run
//! whose pitch says several voices) are overlap, runs of one speaker make a turn. The teacher
//! is the speaker who talks most alone, or the one closest to an enrolled teacher voice. Shares are of the whole recording: teacher, student, several
//! (overlap) and silence add up to 1.

use serde::{Deserialize, Serialize};

use crate::cluster::{centroids, nearest, Window};
use crate::linalg::{dot, normalize};

const FRAME: f64 = 0.02;
/// A window is two voices when the mix of its two nearest speakers fits it better by this much
/// than the nearest alone does … (measured on overlap-heavy synthetic lessons: 0.04 marks
/// overlap at 0.90-0.94 precision and 0.13-0.17 recall; 0.02 at 0.25-0.57 and 0.23-0.36.)
pub const OVERLAP_GAIN: f32 = 0.04;
/// … and the second speaker alone is at least this similar.
pub const OVERLAP_FLOOR: f32 = 0.6;
/// An enrolled teacher voice names the teacher only when a speaker is at least this similar.
pub const ENROL_MIN: f32 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Teacher,
    Student,
}

/// One speaker's stretch of speech. Where two speakers talk at once, each has a turn over the
/// same time, both with `overlap`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub start: f64,
    pub end: f64,
    pub speaker: String,
    pub role: Role,
    pub overlap: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerSummary {
    pub speaker: String,
    pub role: Role,
    /// Seconds this speaker talks (overlap included).
    pub seconds: f64,
    /// Of the recording's length.
    pub share: f64,
    pub turns: usize,
}

/// Seconds, and shares of the recording, by role; overlap counts as `several`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleShares {
    pub teacher: f64,
    pub student: f64,
    pub several: f64,
    pub silence: f64,
    pub teacher_share: f64,
    pub student_share: f64,
    pub several_share: f64,
    pub silence_share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diarization {
    pub duration: f64,
    pub speakers: Vec<SpeakerSummary>,
    pub roles: RoleShares,
    pub turns: Vec<Turn>,
    /// How the teacher was chosen: `most-talk` or `enrolled`.
    pub teacher_by: String,
    /// Each speaker's voice (unit vector), for enrolment and for naming the teacher later.
    #[serde(skip)]
    pub voices: Vec<Vec<f32>>,
}

/// Builds the turns from the windows' labels.
pub fn build(
    speech: &[(f64, f64)],
    windows: &[Window],
    embeddings: &[Vec<f32>],
    labels: &[usize],
    several: &[bool],
    teacher: Option<&[f32]>,
    duration: f64,
) -> Diarization {
    let cents = centroids(embeddings, labels);
    let k = cents.len();
    // Which windows hold two voices: (first, second) speaker. Where the pitch says several
    // voices talk at once, the second is the next nearest speaker.
    let pairs: Vec<Option<usize>> = embeddings
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (e, &l))| {
            second_voice(e, l, &cents).or_else(|| {
                several
                    .get(i)
                    .copied()
                    .unwrap_or(false)
                    .then(|| next_nearest(e, l, &cents))
                    .flatten()
            })
        })
        .collect();
    // Frame labels: a set of speakers per 20-ms frame (bit mask, k ≤ 64 in practice).
    let n = (duration / FRAME).ceil() as usize;
    let mut frames: Vec<u64> = vec![0; n];
    let mut wi = 0usize;
    for &(s, e) in speech {
        let (fs, fe) = ((s / FRAME) as usize, ((e / FRAME).ceil() as usize).min(n));
        for (f, slot) in frames.iter_mut().enumerate().take(fe).skip(fs) {
            let t = (f as f64 + 0.5) * FRAME;
            // Windows are in time order; move to the one whose centre is nearest.
            while wi + 1 < windows.len()
                && (windows[wi + 1].centre() - t).abs() <= (windows[wi].centre() - t).abs()
            {
                wi += 1;
            }
            let Some(w) = windows.get(wi) else { continue };
            // Only a window of this region (or touching it) speaks for it.
            if w.end < s - 0.5 || w.start > e + 0.5 {
                continue;
            }
            let mut mask = 1u64 << labels[wi].min(63);
            if let Some(b) = pairs[wi] {
                mask |= 1u64 << b.min(63);
            }
            *slot = mask;
        }
    }
    // Talk per speaker, alone (a teacher leads on their own; several voices at once are a
    // group at work), to name them S1 (most) … and choose the teacher.
    let mut talk = vec![0f64; k];
    for m in frames.iter().filter(|m| m.count_ones() == 1) {
        talk[m.trailing_zeros() as usize] += FRAME;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|a, b| talk[*b].total_cmp(&talk[*a]));
    let mut rank = vec![0usize; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    let (teacher_label, teacher_by) = match teacher.and_then(|t| enrolled(t, &cents)) {
        Some(c) => (Some(c), "enrolled"),
        None => (order.first().copied(), "most-talk"),
    };
    let role = |c: usize| {
        if Some(c) == teacher_label {
            Role::Teacher
        } else {
            Role::Student
        }
    };
    let name = |c: usize| format!("S{}", rank[c] + 1);
    // Turns: runs of frames where a speaker is present.
    let mut turns = Vec::new();
    for c in 0..k {
        let bit = 1u64 << c.min(63);
        let mut f = 0;
        while f < n {
            if frames[f] & bit == 0 {
                f += 1;
                continue;
            }
            let start = f;
            let overlap_at = |f: usize| frames[f].count_ones() > 1;
            let over = overlap_at(f);
            while f < n && frames[f] & bit != 0 && overlap_at(f) == over {
                f += 1;
            }
            turns.push(Turn {
                start: start as f64 * FRAME,
                end: (f as f64 * FRAME).min(duration),
                speaker: name(c),
                role: role(c),
                overlap: over,
            });
        }
    }
    turns.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.speaker.cmp(&b.speaker)));
    let (speakers, roles) = summarize(&turns, duration);
    Diarization {
        duration,
        speakers,
        roles,
        turns,
        teacher_by: teacher_by.into(),
        voices: order.iter().map(|&c| cents[c].clone()).collect(),
    }
}

/// Talk per speaker (most first) and per role, from turns.
pub fn summarize(turns: &[Turn], duration: f64) -> (Vec<SpeakerSummary>, RoleShares) {
    let share = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    let mut speakers: Vec<SpeakerSummary> = Vec::new();
    for t in turns {
        let d = (t.end - t.start).max(0.0);
        match speakers.iter_mut().find(|s| s.speaker == t.speaker) {
            Some(s) => {
                s.seconds += d;
                s.turns += 1;
            }
            None => speakers.push(SpeakerSummary {
                speaker: t.speaker.clone(),
                role: t.role,
                seconds: d,
                share: 0.0,
                turns: 1,
            }),
        }
    }
    for s in &mut speakers {
        s.share = share(s.seconds);
    }
    speakers.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    // Roles: overlap turns are `several`; the rest by their speaker's role.
    let mut roles = RoleShares::default();
    let mut several: Vec<(f64, f64)> = Vec::new();
    for t in turns {
        let d = (t.end - t.start).max(0.0);
        match (t.overlap, t.role) {
            (true, _) => several.push((t.start, t.end)),
            (false, Role::Teacher) => roles.teacher += d,
            (false, Role::Student) => roles.student += d,
        }
    }
    // Each overlapping stretch appears once per speaker: count its union.
    several.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut end = f64::MIN;
    for (s, e) in several {
        let s = s.max(end);
        if e > s {
            roles.several += e - s;
            end = e;
        }
    }
    roles.silence = (duration - roles.teacher - roles.student - roles.several).max(0.0);
    roles.teacher_share = share(roles.teacher);
    roles.student_share = share(roles.student);
    roles.several_share = share(roles.several);
    roles.silence_share = share(roles.silence);
    (speakers, roles)
}

impl Diarization {
    /// The part inside `[start, end)`, times shifted to start at 0, summaries recomputed.
    pub fn slice(&self, start: f64, end: f64) -> Diarization {
        let turns: Vec<Turn> = self
            .turns
            .iter()
            .filter(|t| t.end > start && t.start < end)
            .map(|t| Turn {
                start: (t.start.max(start) - start).max(0.0),
                end: (t.end.min(end) - start).max(0.0),
                ..t.clone()
            })
            .filter(|t| t.end > t.start)
            .collect();
        let duration = (end - start).max(0.0);
        let (speakers, roles) = summarize(&turns, duration);
        Diarization {
            duration,
            speakers,
            roles,
            turns,
            teacher_by: self.teacher_by.clone(),
            voices: Vec::new(),
        }
    }

    /// The speaker who talks most inside `[start, end)`, with their role.
    pub fn speaker_at(&self, start: f64, end: f64) -> Option<(&str, Role)> {
        let mut best: Option<(&Turn, f64)> = None;
        let mut per: Vec<(&Turn, f64)> = Vec::new();
        for t in &self.turns {
            let d = t.end.min(end) - t.start.max(start);
            if d <= 0.0 {
                continue;
            }
            match per.iter_mut().find(|(p, _)| p.speaker == t.speaker) {
                Some((_, x)) => *x += d,
                None => per.push((t, d)),
            }
        }
        for (t, d) in per {
            if best.is_none_or(|(_, b)| d > b) {
                best = Some((t, d));
            }
        }
        best.map(|(t, _)| (t.speaker.as_str(), t.role))
    }
}

/// The second speaker of a window that sounds like two voices at once.
fn second_voice(e: &[f32], label: usize, cents: &[Vec<f32>]) -> Option<usize> {
    let own = dot(e, &cents[label]);
    let second = next_nearest(e, label, cents)?;
    let s2 = dot(e, &cents[second]);
    let mut mix: Vec<f32> = cents[label]
        .iter()
        .zip(&cents[second])
        .map(|(a, b)| a + b)
        .collect();
    normalize(&mut mix);
    (s2 >= OVERLAP_FLOOR && dot(e, &mix) >= own + OVERLAP_GAIN).then_some(second)
}

/// The speaker most similar to `e` other than its own.
fn next_nearest(e: &[f32], label: usize, cents: &[Vec<f32>]) -> Option<usize> {
    cents
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != label)
        .map(|(i, c)| (i, dot(e, c)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The speaker closest to an enrolled voice, when close enough.
fn enrolled(voice: &[f32], cents: &[Vec<f32>]) -> Option<usize> {
    let (c, sim) = nearest(voice, cents);
    (sim >= ENROL_MIN && !cents.is_empty()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(start: f64, end: f64, speaker: &str, role: Role, overlap: bool) -> Turn {
        Turn {
            start,
            end,
            speaker: speaker.into(),
            role,
            overlap,
        }
    }

    #[test]
    fn shares_add_up_and_overlap_counts_once() {
        let turns = vec![
            turn(0.0, 6.0, "S1", Role::Teacher, false),
            turn(6.0, 7.0, "S1", Role::Teacher, true),
            turn(6.0, 7.0, "S2", Role::Student, true),
            turn(7.0, 9.0, "S2", Role::Student, false),
        ];
        let (speakers, roles) = summarize(&turns, 10.0);
        assert_eq!(speakers[0].speaker, "S1");
        assert!((speakers[0].seconds - 7.0).abs() < 1e-9);
        assert_eq!(speakers[1].turns, 2);
        assert!((roles.teacher - 6.0).abs() < 1e-9);
        assert!((roles.several - 1.0).abs() < 1e-9);
        assert!((roles.student - 2.0).abs() < 1e-9);
        assert!((roles.silence - 1.0).abs() < 1e-9);
        let total =
            roles.teacher_share + roles.student_share + roles.several_share + roles.silence_share;
        assert!((total - 1.0).abs() < 1e-9);
        let d = Diarization {
            duration: 10.0,
            speakers,
            roles,
            turns,
            ..Diarization::default()
        };
        assert_eq!(d.speaker_at(0.0, 5.0), Some(("S1", Role::Teacher)));
        assert_eq!(d.speaker_at(6.5, 9.0), Some(("S2", Role::Student)));
        let clip = d.slice(5.0, 8.0);
        assert_eq!(clip.turns.len(), 4);
        assert!((clip.turns[0].start - 0.0).abs() < 1e-9 && (clip.turns[0].end - 1.0).abs() < 1e-9);
        assert!((clip.roles.student - 1.0).abs() < 1e-9);
    }
}
