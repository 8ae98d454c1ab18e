//! Activity per 2-minute bin, after COPUS's 2-minute coding and DART's single voice / multiple
//! voices / no voice: each bin is teacher talk, student talk (one student holds the floor),
//! discussion (teacher and students taking turns), group work (many voices, often at once, no
//! teacher leading) or quiet work, from the shares of the bin each role talks, the speaker
//! changes, and how much of the speech the most talkative speaker has.

use ppi_speakers::{Role, Turn};

pub const BIN_SECS: f64 = 120.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    TeacherTalk,
    StudentTalk,
    Discussion,
    GroupWork,
    QuietWork,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bin {
    pub start: f64,
    pub end: f64,
    pub activity: Activity,
    /// Shares of the bin: the teacher alone, students alone, several at once, silence.
    pub teacher: f64,
    pub student: f64,
    pub several: f64,
    pub silence: f64,
    /// Times the speaker changes from one turn to the next inside the bin.
    pub turn_changes: usize,
    /// Speakers heard alone in the bin, and the share of its single-voice speech the one who
    /// talks most has.
    pub speakers: usize,
    pub top_share: f64,
}

/// Less speech than this share of the bin is quiet work.
const QUIET: f64 = 0.25;
/// Overlapping voices over this share of the bin make group work even when few are told apart.
const OVERLAP: f64 = 0.15;
/// Group work: the teacher under this share of the speech, and no one voice over
/// [`ONE_VOICE`] of it.
const NO_TEACHER: f64 = 0.1;
const ONE_VOICE: f64 = 0.6;
/// Group work also when a second student has this share of the speech (voices talking over
/// each other are often heard as one or two speakers), the teacher silent.
const SECOND_VOICE: f64 = 0.12;
/// Student talk: one student has at least this share of the speech.
const PRESENTER: f64 = 0.5;
/// Discussion: at least this many speaker changes, with students and the teacher each over
/// these shares of the speech.
const CHANGES: usize = 6;
const STUDENTS_IN_DISCUSSION: f64 = 0.2;
const TEACHER_IN_DISCUSSION: f64 = 0.15;

/// What a bin's activity is decided from: shares of the bin, speaker changes, and the share of
/// the single-voice speech the most talkative speaker has (and whether that is the teacher).
#[derive(Debug, Clone, Copy)]
pub struct Features {
    pub teacher: f64,
    pub student: f64,
    pub several: f64,
    pub changes: usize,
    pub top_share: f64,
    pub top_is_teacher: bool,
    /// The share of the single-voice speech of the student who talks second most.
    pub second_student: f64,
}

/// The activity of a 2-minute bin with these features.
pub fn activity(f: Features) -> Activity {
    activity_in(f, BIN_SECS)
}

/// The activity of a window of `secs` seconds with these features: the speaker changes
/// needed scale with its length (at least 2).
pub fn activity_in(f: Features, secs: f64) -> Activity {
    let changes_needed = ((CHANGES as f64 * secs / BIN_SECS).round() as usize).max(2);
    let speech = f.teacher + f.student + f.several;
    let of_speech = |x: f64| if speech > 0.0 { x / speech } else { 0.0 };
    if speech < QUIET {
        Activity::QuietWork
    } else if of_speech(f.teacher) < NO_TEACHER
        && (f.several >= OVERLAP
            || (f.top_share < ONE_VOICE && f.changes >= changes_needed)
            || f.second_student >= SECOND_VOICE)
    {
        Activity::GroupWork
    } else if f.student > f.teacher && !f.top_is_teacher && f.top_share >= PRESENTER {
        Activity::StudentTalk
    } else if f.changes >= changes_needed
        && of_speech(f.student) >= STUDENTS_IN_DISCUSSION
        && of_speech(f.teacher) >= TEACHER_IN_DISCUSSION
    {
        Activity::Discussion
    } else if f.several > f.teacher && f.several > f.student {
        // More voices at once than anyone alone: the tail of a group at work.
        Activity::GroupWork
    } else if f.teacher >= f.student {
        Activity::TeacherTalk
    } else {
        Activity::StudentTalk
    }
}

fn inside(t: &Turn, b0: f64, b1: f64) -> f64 {
    (t.end.min(b1) - t.start.max(b0)).max(0.0)
}

/// One bin per 2 minutes of `duration` (the last one shorter).
pub fn classify(turns: &[Turn], duration: f64) -> Vec<Bin> {
    let sorted = sorted(turns);
    let n = (duration / BIN_SECS).ceil().max(1.0) as usize;
    (0..n)
        .map(|b| {
            let (b0, b1) = (
                b as f64 * BIN_SECS,
                ((b + 1) as f64 * BIN_SECS).min(duration),
            );
            measure(&sorted, b0, b1, BIN_SECS)
        })
        .collect()
}

/// The turns in time order.
pub fn sorted(turns: &[Turn]) -> Vec<&Turn> {
    let mut sorted: Vec<&Turn> = turns.iter().collect();
    sorted.sort_by(|a, b| a.start.total_cmp(&b.start));
    sorted
}

/// The figures and the activity of `[b0, b1)`, judged as a window of `scale` seconds (the
/// speaker changes needed scale with it).
pub fn measure(sorted: &[&Turn], b0: f64, b1: f64, scale: f64) -> Bin {
    let len = (b1 - b0).max(1e-9);
    let mut shares = [0.0f64; 3];
    // Overlap turns come once per speaker: count each stretch once.
    let mut several: Vec<(f64, f64)> = Vec::new();
    for t in sorted {
        let d = inside(t, b0, b1);
        if d <= 0.0 {
            continue;
        }
        match (t.overlap, t.role) {
            (true, _) => {
                if !several.contains(&(t.start, t.end)) {
                    several.push((t.start, t.end));
                    shares[2] += d;
                }
            }
            (false, Role::Teacher) => shares[0] += d,
            (false, Role::Student) => shares[1] += d,
        }
    }
    let mut changes = 0;
    let mut last: Option<&str> = None;
    let mut per: Vec<(&str, Role, f64)> = Vec::new();
    for t in sorted
        .iter()
        .filter(|t| !t.overlap && inside(t, b0, b1) > 0.0)
    {
        if last.is_some_and(|l| l != t.speaker) {
            changes += 1;
        }
        last = Some(&t.speaker);
        match per.iter_mut().find(|p| p.0 == t.speaker) {
            Some(p) => p.2 += inside(t, b0, b1),
            None => per.push((&t.speaker, t.role, inside(t, b0, b1))),
        }
    }
    let single: f64 = per.iter().map(|p| p.2).sum();
    let top = per.iter().max_by(|a, b| a.2.total_cmp(&b.2));
    let mut students: Vec<f64> = per
        .iter()
        .filter(|p| p.1 == Role::Student)
        .map(|p| p.2 / single.max(1e-9))
        .collect();
    students.sort_by(|a, b| b.total_cmp(a));
    let top_share = top.map_or(0.0, |t| t.2 / single.max(1e-9));
    let [teacher, student, several] = shares.map(|x| x / len);
    Bin {
        start: b0,
        end: b1,
        activity: activity_in(
            Features {
                teacher,
                student,
                several,
                changes,
                top_share,
                top_is_teacher: top.is_some_and(|t| t.1 == Role::Teacher),
                second_student: students.get(1).copied().unwrap_or(0.0),
            },
            scale,
        ),
        teacher,
        student,
        several,
        silence: (1.0 - teacher - student - several).max(0.0),
        turn_changes: changes,
        speakers: per.len(),
        top_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_follow_the_shares_and_the_turn_changes() {
        let f = |teacher, student, several, changes, top_share, top_is_teacher| {
            activity(Features {
                teacher,
                student,
                several,
                changes,
                top_share,
                top_is_teacher,
                second_student: 0.0,
            })
        };
        assert_eq!(f(0.7, 0.05, 0.0, 2, 0.9, true), Activity::TeacherTalk);
        assert_eq!(f(0.05, 0.75, 0.0, 12, 0.94, false), Activity::StudentTalk);
        assert_eq!(f(0.26, 0.12, 0.0, 16, 0.7, true), Activity::Discussion);
        assert_eq!(f(0.0, 0.97, 0.01, 81, 0.45, false), Activity::GroupWork);
        assert_eq!(f(0.05, 0.3, 0.3, 12, 0.7, false), Activity::GroupWork);
        // The tail of a group at work: the teacher back, several voices still the most.
        assert_eq!(f(0.15, 0.1, 0.4, 3, 0.6, true), Activity::GroupWork);
        assert_eq!(f(0.1, 0.05, 0.0, 1, 1.0, true), Activity::QuietWork);
    }

    #[test]
    fn bins_are_two_minutes_with_their_shares() {
        let turn = |start: f64, end: f64, speaker: &str, role: Role, overlap: bool| Turn {
            start,
            end,
            speaker: speaker.into(),
            role,
            overlap,
        };
        let turns = [
            turn(0.0, 100.0, "S1", Role::Teacher, false),
            turn(130.0, 150.0, "S2", Role::Student, false),
            turn(150.0, 170.0, "S2", Role::Student, true),
            turn(150.0, 170.0, "S3", Role::Student, true),
        ];
        let bins = classify(&turns, 200.0);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].activity, Activity::TeacherTalk);
        assert!((bins[0].teacher - 100.0 / 120.0).abs() < 1e-9);
        assert_eq!((bins[1].start, bins[1].end), (120.0, 200.0));
        assert!((bins[1].several - 20.0 / 80.0).abs() < 1e-9);
        assert_eq!(bins[1].activity, Activity::GroupWork);
    }
}
