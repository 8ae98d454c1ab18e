//! What happens in a lesson, from its transcript and speaker turns: the teacher's questions
//! and their type ([`questions`]), Rowe's wait times after questions and answers ([`wait`]),
//! and the activity of each 2-minute bin ([`bins`]); and stretches of one activity, with
//! their evidence, for the draft's regions ([`stretches`]). Pure functions; the transcript
//! carries their results as `questions`, `wait_times` and `bins`.

pub mod bins;
pub mod questions;
pub mod stretches;
pub mod wait;

pub use bins::{Activity, Bin};
pub use questions::{Question, QuestionType};
pub use wait::{WaitTime, WaitTimes};

use ppi_asr::Transcript;

/// Everything this crate finds in a transcript with speakers.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LessonEvents {
    pub questions: Vec<Question>,
    pub wait_times: WaitTimes,
    pub bins: Vec<Bin>,
}

/// Questions, wait times and bins of a transcript whose speakers were found (`None` without
/// turns).
pub fn analyse(t: &Transcript) -> Option<LessonEvents> {
    if t.turns.is_empty() {
        return None;
    }
    let questions = questions::detect(&t.segments, t.diarization().as_ref());
    let wait_times = wait::measure(&questions, &t.turns);
    let bins = bins::classify(&t.turns, t.duration);
    Some(LessonEvents {
        questions,
        wait_times,
        bins,
    })
}

/// The lesson's stretches of one activity, with their cues and evidence (empty without turns).
pub fn lesson_stretches(t: &Transcript) -> Vec<stretches::Stretch> {
    let Some(e) = analyse(t) else {
        return Vec::new();
    };
    stretches::stretches(&t.turns, &e.questions, &e.wait_times, t.duration)
}

/// The cues of the stretch that covers most of `[a, b)` (none when nothing covers it).
pub fn cues_over(stretches: &[stretches::Stretch], a: f64, b: f64) -> Vec<String> {
    stretches
        .iter()
        .map(|s| (s.end.min(b) - s.start.max(a), s))
        .filter(|(o, _)| *o > 0.0)
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, s)| s.cues.clone())
        .unwrap_or_default()
}

/// The transcript as JSON with `questions`, `wait_times` and `bins` added when its speakers
/// were found (what `ppi transcribe --format json` writes and the service stores).
pub fn transcript_json(t: &Transcript) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap_or_default();
    if let (Some(e), Some(map)) = (analyse(t), v.as_object_mut()) {
        map.insert(
            "questions".into(),
            serde_json::to_value(&e.questions).unwrap_or_default(),
        );
        map.insert(
            "wait_times".into(),
            serde_json::to_value(&e.wait_times).unwrap_or_default(),
        );
        map.insert(
            "bins".into(),
            serde_json::to_value(&e.bins).unwrap_or_default(),
        );
    }
    v
}

impl LessonEvents {
    /// What a stored transcript's JSON carries (`questions`, `wait_times`, `bins`; `None`
    /// when it has none, or they do not read).
    pub fn stored(transcript_json: &str) -> Option<LessonEvents> {
        let v: serde_json::Value = serde_json::from_str(transcript_json).ok()?;
        Some(LessonEvents {
            questions: serde_json::from_value(v.get("questions")?.clone()).ok()?,
            wait_times: serde_json::from_value(v.get("wait_times")?.clone()).ok()?,
            bins: serde_json::from_value(v.get("bins")?.clone()).ok()?,
        })
    }

    /// The events in the analytics' plain types.
    pub fn for_analytics(&self) -> ppi_agreement::analytics::activity::Events {
        use ppi_agreement::analytics::activity::{Events, QuestionAt};
        let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        Events {
            questions: self
                .questions
                .iter()
                .map(|q| QuestionAt {
                    at: q.start,
                    kind: name(serde_json::to_value(q.kind).unwrap_or_default()),
                    text: q.text.clone(),
                    wt1: self
                        .wait_times
                        .per_question
                        .iter()
                        .find(|w| w.question_at == q.start)
                        .and_then(|w| w.wt1),
                })
                .collect(),
            wt1_median: self.wait_times.wt1_median,
            wt2_median: self.wait_times.wt2_median,
            wt1_at_target: self.wait_times.wt1_at_target,
            bins: self
                .bins
                .iter()
                .map(|b| name(serde_json::to_value(b.activity).unwrap_or_default()))
                .collect(),
        }
    }
}
