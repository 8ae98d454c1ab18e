//! From labelled windows to turns: each 20-ms frame of speech takes the speaker of the nearest
//! window centre, frames where a window sounds like two voices at once are overlap, runs of
//! one speaker make a turn. The teacher is the speaker who talks most, or the one closest to an
//! enrolled teacher voice. Shares are of the whole recording: teacher, student, several
//! (overlap) and silence add up to 1.

use serde::{Deserialize, Serialize};

use crate::cluster::{centroids, nearest, Window};
use crate::linalg::{dot, normalize};

const FRAME: f64 = 0.02;
/// A window is two voices when the mix of its two nearest speakers fits it better by this much
/// than the nearest alone does …
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
    teacher: Option<&[f32]>,
    duration: f64,
) -> Diarization {
    let cents = centroids(embeddings, labels);
    let k = cents.len();
    // Which windows hold two voices: (first, second) speaker.
    let pairs: Vec<Option<usize>> = embeddings
        .iter()
        .zip(labels)
        .map(|(e, &l)| second_voice(e, l, &cents))
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
    // Talk per speaker, to name them S1 (most) … and choose the teacher.
    let mut talk = vec![0f64; k];
    for m in &frames {
        for (c, t) in talk.iter_mut().enumerate() {
            if m & (1 << c.min(63)) != 0 {
                *t += FRAME;
            }
        }
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
    let mut roles = RoleShares::default();
    for m in &frames {
        match m.count_ones() {
            0 => roles.silence += FRAME,
            1 if role(m.trailing_zeros() as usize) == Role::Teacher => roles.teacher += FRAME,
            1 => roles.student += FRAME,
            _ => roles.several += FRAME,
        }
    }
    roles.silence = (duration - roles.teacher - roles.student - roles.several).max(0.0);
    let share = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    roles.teacher_share = share(roles.teacher);
    roles.student_share = share(roles.student);
    roles.several_share = share(roles.several);
    roles.silence_share = share(roles.silence);
    let speakers = order
        .iter()
        .filter(|&&c| talk[c] > 0.0)
        .map(|&c| SpeakerSummary {
            speaker: name(c),
            role: role(c),
            seconds: talk[c],
            share: share(talk[c]),
            turns: turns.iter().filter(|t| t.speaker == name(c)).count(),
        })
        .collect();
    Diarization {
        duration,
        speakers,
        roles,
        turns,
        teacher_by: teacher_by.into(),
        voices: order.iter().map(|&c| cents[c].clone()).collect(),
    }
}

/// The second speaker of a window that sounds like two voices at once.
fn second_voice(e: &[f32], label: usize, cents: &[Vec<f32>]) -> Option<usize> {
    let own = dot(e, &cents[label]);
    let (second, s2) = cents
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != label)
        .map(|(i, c)| (i, dot(e, c)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut mix: Vec<f32> = cents[label]
        .iter()
        .zip(&cents[second])
        .map(|(a, b)| a + b)
        .collect();
    normalize(&mut mix);
    (s2 >= OVERLAP_FLOOR && dot(e, &mix) >= own + OVERLAP_GAIN).then_some(second)
}

/// The speaker closest to an enrolled voice, when close enough.
fn enrolled(voice: &[f32], cents: &[Vec<f32>]) -> Option<usize> {
    let (c, sim) = nearest(voice, cents);
    (sim >= ENROL_MIN && !cents.is_empty()).then_some(c)
}
