//! The draft's regions from the lesson's evidence (pure): where PPI found the speakers, each
//! stretch of one activity (`ppi-activity`'s stretches: a lecture, questions and answers, group
//! work…) becomes one region instead of one per sentence, so annotators correct a few long
//! regions. A stretch where one voice talks (a lecture, a student's presentation) is split
//! where its words change pattern for at least [`MIN_RUN`] seconds (a lecture, then a
//! demonstration): where one pattern's keywords are dense on one side and rare on the
//! other. Each region carries the stretch's cues for the suggester, and its
//! evidence in words for the region's meta. Without speakers the sentence regions stay.

use ppi_activity::bins::Activity;
use ppi_activity::stretches::Stretch;
use ppi_asr::Transcript;
use ppi_learn::suggest::Suggester;

use super::preannotate::{regions as sentence_regions, Region};
use super::settings::RegionRules;

/// A change of pattern in the words must last this long to split a stretch, in seconds.
pub const MIN_RUN: f64 = 30.0;

/// How much more often a pattern's keywords must come on one side of a split than on the
/// other (as shares of the sentences).
pub const SPLIT_DIFF: f64 = 0.3;

/// Neighbouring regions with one suggested pattern and at most this gap (seconds) are one.
pub const MERGE_GAP: f64 = 5.0;

/// The label a teacher's question without a keyword takes when a stretch is split.
const QUESTIONS: &str = "?question";

/// Whether the words of a stretch of this activity may split it.
fn splits(a: Activity) -> bool {
    matches!(a, Activity::TeacherTalk | Activity::StudentTalk)
}

/// The stretch that covers most of `r` (by index).
fn home(stretches: &[Stretch], r: &Region) -> Option<usize> {
    let mid = (r.start + r.end) / 2.0;
    stretches
        .iter()
        .enumerate()
        .map(|(i, s)| (i, (s.end.min(r.end) - s.start.max(r.start)).max(0.0)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, o)| *o > 0.0)
        .map(|(i, _)| i)
        .or_else(|| {
            // Between stretches: the nearest.
            stretches
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    let d = |s: &Stretch| (s.start - mid).abs().min((s.end - mid).abs());
                    d(a.1).total_cmp(&d(b.1))
                })
                .map(|(i, _)| i)
        })
}

/// The pattern a sentence's words point to, when a keyword or more backs it.
fn word_label(suggester: &Suggester, r: &Region) -> Option<String> {
    suggester
        .rules(&r.text)
        .filter(|s| s.score.is_some_and(|x| x >= 0.5))
        .map(|s| s.label)
}

/// Splits a run of sentences where its words change pattern: at the point where one
/// pattern's keywords are dense on one side and rare on the other (the share of sentences
/// with them differs by [`SPLIT_DIFF`] or more, and at least three sentences have them), each
/// side at least [`MIN_RUN`] long; again on each side.
fn word_runs<'a>(parts: &[&'a Region], labels: &[Option<String>]) -> Vec<Vec<&'a Region>> {
    let span = |m: &[&Region]| m.last().map_or(0.0, |l| l.end) - m.first().map_or(0.0, |f| f.start);
    let mut seen: Vec<&String> = labels.iter().flatten().collect();
    seen.sort();
    seen.dedup();
    let count =
        |l: &[Option<String>], x: &String| l.iter().filter(|y| y.as_ref() == Some(x)).count();
    let mut best: Option<(usize, f64)> = None;
    for k in 1..parts.len() {
        if span(&parts[..k]) < MIN_RUN || span(&parts[k..]) < MIN_RUN {
            continue;
        }
        let (left, right) = (&labels[..k], &labels[k..]);
        for x in &seen {
            let (a, b) = (count(left, x), count(right, x));
            let diff = (a as f64 / left.len() as f64 - b as f64 / right.len() as f64).abs();
            if diff >= SPLIT_DIFF && a.max(b) >= 3 && best.is_none_or(|(_, d)| diff > d) {
                best = Some((k, diff));
            }
        }
    }
    match best {
        Some((k, _)) => {
            let mut out = word_runs(&parts[..k], &labels[..k]);
            out.extend(word_runs(&parts[k..], &labels[k..]));
            out
        }
        None => vec![parts.to_vec()],
    }
}

/// The draft's regions for a transcript: by activity where its speakers are known, else one
/// per sentence (by `rules`).
pub fn regions(t: &Transcript, rules: &RegionRules, suggester: &Suggester) -> Vec<Region> {
    let events = if rules.by_activity {
        ppi_activity::analyse(t)
    } else {
        None
    };
    let Some(e) = events else {
        return sentence_regions(&t.segments, rules, t.duration);
    };
    let stretches =
        ppi_activity::stretches::stretches(&t.turns, &e.questions, &e.wait_times, t.duration);
    let turns = ppi_activity::bins::sorted(&t.turns);
    // Each transcript segment (about a sentence) is a part of the stretch it falls in.
    let sentences: Vec<Region> = t
        .segments
        .iter()
        .filter(|s| s.end > s.start && !s.text.trim().is_empty())
        .map(|s| Region {
            start: s.start,
            end: s.end,
            text: s.text.trim().to_owned(),
            ..Region::default()
        })
        .collect();
    let mut members: Vec<Vec<&Region>> = vec![Vec::new(); stretches.len()];
    for r in &sentences {
        if let Some(i) = home(&stretches, r) {
            members[i].push(r);
        }
    }
    let mut out = Vec::new();
    for (s, parts) in stretches.iter().zip(&members) {
        if parts.is_empty() {
            // A stretch without words (quiet work) is a region when its cues name a pattern;
            // the suggester decides that.
            out.push(Region {
                start: s.start,
                end: s.end,
                text: String::new(),
                cues: s.cues.clone(),
                why: s.why.clone(),
                ..Region::default()
            });
            continue;
        }
        let runs = if splits(s.activity) {
            // A teacher's question counts as a pattern of its own here, so that questions
            // asked in a row split from a lecture even where no keyword marks them.
            let labels: Vec<Option<String>> = parts
                .iter()
                .map(|r| {
                    word_label(suggester, r).or_else(|| {
                        e.questions
                            .iter()
                            .any(|q| q.start >= r.start && q.start < r.end)
                            .then(|| QUESTIONS.to_owned())
                    })
                })
                .collect();
            word_runs(parts, &labels)
        } else {
            vec![parts.clone()]
        };
        let split = runs.len() > 1;
        for run in runs {
            let text: Vec<&str> = run.iter().map(|r| r.text.as_str()).collect();
            let (start, end) = (
                run.iter().map(|r| r.start).fold(f64::MAX, f64::min),
                run.iter().map(|r| r.end).fold(0.0, f64::max),
            );
            // A part of a split stretch has its own evidence.
            let own = split.then(|| {
                ppi_activity::stretches::describe(
                    &turns,
                    &e.questions,
                    &e.wait_times,
                    start,
                    end,
                    s.activity,
                )
            });
            let own = own.as_ref().unwrap_or(s);
            out.push(Region {
                start,
                end,
                text: text.join(" "),
                cues: own.cues.clone(),
                why: own.why.clone(),
                parts: text.iter().map(|t| (*t).to_owned()).collect(),
                suggestion: None,
            });
        }
    }
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    merge_alike(out, suggester)
}

/// Neighbours with the same suggested pattern, at most [`MERGE_GAP`] apart, become one region
/// with that pattern (its score the members' mean, weighted by length), their sentences, cues
/// and evidence together. Every region leaves with its suggestion.
fn merge_alike(regions: Vec<Region>, suggester: &Suggester) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for mut r in regions {
        r.suggestion = suggester.suggest_parts(&r.sentences(), &r.cues);
        let label = |x: &Region| {
            x.suggestion
                .as_ref()
                .filter(|s| s.score.is_some())
                .map(|s| s.label.clone())
        };
        match out.last_mut() {
            Some(p)
                if label(&r).is_some() && label(p) == label(&r) && r.start - p.end <= MERGE_GAP =>
            {
                let (lp, lr) = (p.end - p.start, r.end - r.start);
                if let (Some(a), Some(b)) = (p.suggestion.as_mut(), r.suggestion.as_ref()) {
                    if let (Some(x), Some(y)) = (a.score, b.score) {
                        let w = (x * lp + y * lr) / (lp + lr).max(1e-9);
                        a.score = Some((w * 1000.0).round() / 1000.0);
                    }
                }
                p.end = p.end.max(r.end);
                p.text = format!("{} {}", p.text, r.text).trim().to_owned();
                p.parts.extend(r.parts);
                for c in r.cues {
                    if !p.cues.contains(&c) {
                        p.cues.push(c);
                    }
                }
                for w in r.why {
                    if !p.why.contains(&w) {
                        p.why.push(w);
                    }
                }
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppi_asr::transcript::Segment;
    use ppi_core::catalog::{Pattern, PatternCatalog};
    use ppi_speakers::{Role, Turn};

    fn sheet() -> PatternCatalog {
        let p = |name: &str, description: &str, keywords: &[&str]| Pattern {
            name: name.into(),
            description: description.into(),
            keywords: keywords.iter().map(|k| (*k).into()).collect(),
            fallback: false,
        };
        PatternCatalog::new(vec![
            p(
                "Lecture",
                "The teacher explains new material.",
                &["explain", "today we"],
            ),
            p(
                "Questioning",
                "The teacher asks questions and students answer.",
                &["what"],
            ),
            p(
                "GroupWork",
                "Students work together in small groups.",
                &["groups", "together"],
            ),
            p(
                "Demonstration",
                "The teacher demonstrates a procedure.",
                &["look", "watch"],
            ),
        ])
        .unwrap()
    }

    /// A lecture (0-70 s), a demonstration (70-140 s), then questions and answers (140-260 s).
    fn lesson() -> Transcript {
        let mut segments = Vec::new();
        let mut turns = Vec::new();
        let mut say = |start: f64, len: f64, who: &str, role: Role, text: &str| {
            segments.push(Segment {
                start,
                end: start + len,
                text: format!(" {text}"),
                ..Segment::default()
            });
            turns.push(Turn {
                start,
                end: start + len,
                speaker: who.into(),
                role,
                overlap: false,
            });
        };
        let mut t = 0.5;
        while t < 68.0 {
            say(
                t,
                5.0,
                "S1",
                Role::Teacher,
                "A fraction is a part of a whole number.",
            );
            t += 5.5;
        }
        while t < 138.0 {
            say(
                t,
                5.0,
                "S1",
                Role::Teacher,
                "Watch how I fold the paper, look at it.",
            );
            t += 5.5;
        }
        while t < 255.0 {
            say(
                t,
                3.0,
                "S1",
                Role::Teacher,
                "What is one half plus one quarter?",
            );
            say(t + 5.0, 2.0, "S2", Role::Student, "Three quarters.");
            say(t + 8.0, 1.0, "S1", Role::Teacher, "Very good.");
            t += 10.0;
        }
        let (speakers, roles) = ppi_speakers::turns::summarize(&turns, 260.0);
        Transcript {
            language: "en".into(),
            duration: 260.0,
            segments,
            turns,
            speakers,
            roles: Some(roles),
            ..Transcript::default()
        }
    }

    #[test]
    fn a_lesson_becomes_a_few_regions_of_one_pattern_each_with_their_evidence() {
        let sheet = sheet();
        let labels: Vec<String> = sheet.patterns().iter().map(|p| p.name.clone()).collect();
        let s = Suggester::new(&labels, Some(&sheet), None);
        let t = lesson();
        let r = regions(&t, &RegionRules::default(), &s);
        let got: Vec<(String, f64, f64)> = r
            .iter()
            .map(|r| {
                let label = r.suggestion.as_ref().unwrap().label.clone();
                (label, r.start, r.end)
            })
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, "Lecture");
        assert_eq!(got[1].0, "Demonstration");
        assert!((got[1].1 - 71.0).abs() < 6.0, "{got:?}");
        assert_eq!(got[2].0, "Questioning");
        assert!(
            r[2].why[0].contains("teacher question(s)"),
            "{:?}",
            r[2].why
        );
        assert!(r[2].cues.contains(&"cue:question-answer".to_string()));
        // By sentence: the regions of before, many and short.
        let rules = RegionRules {
            by_activity: false,
            ..RegionRules::default()
        };
        let before = regions(&t, &rules, &s);
        assert!(before.len() > 10 && before.iter().all(|r| r.cues.is_empty()));
        // Without speakers, by sentence too.
        let mut plain = t.clone();
        plain.turns.clear();
        assert_eq!(
            regions(&plain, &RegionRules::default(), &s).len(),
            before.len()
        );
    }
}
