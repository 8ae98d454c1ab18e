//! Activity per 2-minute bin, after COPUS's 2-minute coding and DART's single voice / multiple
//! voices / no voice: each bin is teacher talk, student talk, discussion (several speakers
//! taking turns), group work (many voices at once, no teacher leading) or quiet work, from the
//! shares of the bin each role talks and the number of turn changes.

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
}

/// Less speech than this share of the bin is quiet work.
const QUIET: f64 = 0.25;
/// Overlapping voices over this share of the bin, with little teacher talk, are group work.
const GROUP: f64 = 0.15;
/// At least this many speaker changes with students talking this share of the speech make a
/// discussion.
const CHANGES: usize = 6;
const STUDENTS_IN_DISCUSSION: f64 = 0.2;

/// The activity of bins with these shares of the bin and turn changes.
pub fn activity(teacher: f64, student: f64, several: f64, changes: usize) -> Activity {
    let speech = teacher + student + several;
    if speech < QUIET {
        Activity::QuietWork
    } else if several >= GROUP && teacher < 0.3 * speech {
        Activity::GroupWork
    } else if changes >= CHANGES && student >= STUDENTS_IN_DISCUSSION * speech {
        Activity::Discussion
    } else if teacher >= student {
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
    let mut sorted: Vec<&Turn> = turns.iter().collect();
    sorted.sort_by(|a, b| a.start.total_cmp(&b.start));
    let n = (duration / BIN_SECS).ceil().max(1.0) as usize;
    (0..n)
        .map(|b| {
            let (b0, b1) = (
                b as f64 * BIN_SECS,
                ((b + 1) as f64 * BIN_SECS).min(duration),
            );
            let len = (b1 - b0).max(1e-9);
            let mut shares = [0.0f64; 3];
            // Overlap turns come once per speaker: count each stretch once.
            let mut several: Vec<(f64, f64)> = Vec::new();
            for t in &sorted {
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
            for t in sorted
                .iter()
                .filter(|t| !t.overlap && inside(t, b0, b1) > 0.0)
            {
                if last.is_some_and(|l| l != t.speaker) {
                    changes += 1;
                }
                last = Some(&t.speaker);
            }
            let [teacher, student, several] = shares.map(|x| x / len);
            Bin {
                start: b0,
                end: b1,
                activity: activity(teacher, student, several, changes),
                teacher,
                student,
                several,
                silence: (1.0 - teacher - student - several).max(0.0),
                turn_changes: changes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_follow_the_shares_and_the_turn_changes() {
        assert_eq!(activity(0.7, 0.05, 0.0, 2), Activity::TeacherTalk);
        assert_eq!(activity(0.1, 0.5, 0.0, 3), Activity::StudentTalk);
        assert_eq!(activity(0.35, 0.3, 0.02, 9), Activity::Discussion);
        assert_eq!(activity(0.05, 0.3, 0.3, 12), Activity::GroupWork);
        assert_eq!(activity(0.1, 0.05, 0.0, 1), Activity::QuietWork);
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
