//! Pre-annotation (pure): a lesson transcript becomes Label Studio timeline regions in
//! 1-based inclusive integer frames, each with its transcript and a suggested pattern, checked
//! against the project's label config before anything is sent.
//!
//! Region rules: segments closer than `max_gap_secs` merge while the region stays within
//! `max_region_secs`; a segment longer than that is split at word times; a region shorter than
//! `min_region_secs` joins a neighbour within the gap, or else is widened to the minimum
//! (clamped to the video) so that short cues such as "Who knows?" stay visible.

use serde_json::{json, Value};

use super::config::{ControlTag, LabelConfig, SEVERAL, STUDENT, TEACHER};
use super::settings::RegionRules;
use super::validate::check_result;
use ppi_asr::transcript::Segment;
use ppi_core::domain::{Fps, FrameRange};
use ppi_learn::suggest::Suggester;
use ppi_speakers::{Role, Turn};

/// One region in seconds: speech, or a stretch of one activity with its evidence.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Region {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// What the lesson's structure says here (`cue:…`), for the suggester.
    pub cues: Vec<String>,
    /// The evidence in words, shown in the region's meta.
    pub why: Vec<String>,
    /// The sentences a stretch is made of (empty: `text` is one).
    pub parts: Vec<String>,
    /// The pattern already suggested for it (regions merged for sharing one); `None`: the
    /// suggester decides when the draft is built.
    pub suggestion: Option<ppi_learn::suggest::Suggestion>,
}

impl Region {
    /// The region's pattern: the one already suggested, else the suggester's from its
    /// sentences and cues; `None` when there is none, or when a region without words (quiet
    /// work) has no pattern its cues name.
    pub fn suggest(&self, suggester: &Suggester) -> Option<ppi_learn::suggest::Suggestion> {
        let s = self
            .suggestion
            .clone()
            .or_else(|| suggester.suggest_parts(&self.sentences(), &self.cues))?;
        (!self.text.trim().is_empty() || s.score.is_some()).then_some(s)
    }

    /// The region's sentences.
    pub fn sentences(&self) -> Vec<&str> {
        if self.parts.is_empty() {
            vec![self.text.as_str()]
        } else {
            self.parts.iter().map(String::as_str).collect()
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a} {b}"),
    }
}

/// Splits a segment longer than `max` at its word times (kept whole without words).
fn split_long(seg: &Segment, max: f64) -> Vec<Region> {
    let whole = || {
        vec![Region {
            start: seg.start,
            end: seg.end,
            text: seg.text.trim().to_owned(),
            ..Region::default()
        }]
    };
    if seg.end - seg.start <= max || seg.words.is_empty() {
        return whole();
    }
    let mut out: Vec<Region> = Vec::new();
    for w in &seg.words {
        match out.last_mut() {
            Some(r) if w.end - r.start <= max => {
                r.end = w.end.max(r.end);
                r.text.push_str(&w.text);
            }
            _ => out.push(Region {
                start: w.start,
                end: w.end,
                text: w.text.clone(),
                ..Region::default()
            }),
        }
    }
    for r in &mut out {
        r.text = r.text.trim().to_owned();
    }
    if let Some(first) = out.first_mut() {
        first.start = seg.start.min(first.start);
    }
    if let Some(last) = out.last_mut() {
        last.end = seg.end.max(last.end);
    }
    out
}

/// Speech regions from transcript segments, by the rules.
pub fn regions(segments: &[Segment], rules: &RegionRules, duration: f64) -> Vec<Region> {
    let mut pieces: Vec<Region> = segments
        .iter()
        .filter(|s| s.end > s.start && !s.text.trim().is_empty())
        .flat_map(|s| split_long(s, rules.max_region_secs))
        .collect();
    pieces.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut merged: Vec<Region> = Vec::new();
    for p in pieces {
        match merged.last_mut() {
            Some(r)
                if p.start - r.end <= rules.max_gap_secs
                    && p.end.max(r.end) - r.start <= rules.max_region_secs =>
            {
                r.end = r.end.max(p.end);
                r.text = join(&r.text, &p.text);
            }
            _ => merged.push(p),
        }
    }
    // Short regions: join the nearer neighbour within the gap, else widen.
    let mut out: Vec<Region> = Vec::new();
    let mut i = 0;
    while i < merged.len() {
        let r = merged[i].clone();
        if r.end - r.start >= rules.min_region_secs {
            out.push(r);
            i += 1;
            continue;
        }
        let gap_prev = out.last().map(|p| r.start - p.end);
        let gap_next = merged.get(i + 1).map(|n| n.start - r.end);
        let near = |g: Option<f64>| g.filter(|g| *g <= rules.max_gap_secs);
        match (near(gap_prev), near(gap_next)) {
            (Some(gp), gn) if gn.is_none_or(|gn| gp <= gn) => {
                // `gap_prev` is `Some` only when `out` has a last region.
                let p = out.last_mut().expect("a previous region");
                p.end = p.end.max(r.end);
                p.text = join(&p.text, &r.text);
                i += 1;
            }
            (_, Some(_)) => {
                let n = &mut merged[i + 1];
                n.start = r.start;
                n.text = join(&r.text, &n.text);
                i += 1;
            }
            _ => {
                let pad = (rules.min_region_secs - (r.end - r.start)) / 2.0;
                let limit = if duration > 0.0 { duration } else { f64::MAX };
                let start = (r.start - pad).max(0.0);
                let end = (start + rules.min_region_secs).min(limit);
                out.push(Region {
                    start: (end - rules.min_region_secs).max(0.0).min(start),
                    end,
                    text: r.text,
                    ..Region::default()
                });
                i += 1;
            }
        }
    }
    out
}

/// A prediction ready for Label Studio.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub result: Vec<Value>,
    /// Mean of the pattern regions' suggestion scores (neutral regions claim nothing).
    pub score: f64,
}

impl Prediction {
    /// The `/predict` answer element and the `POST /api/predictions` body share this shape.
    pub fn to_json(&self, model_version: &str) -> Value {
        json!({"model_version": model_version, "score": self.score, "result": self.result})
    }
}

/// Why a prediction cannot be built for a project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredictError {
    #[error("the project's label config has no <TimelineLabels> on a <Video>")]
    NoTimeline,
    #[error("the prediction does not fit the project's label config: {0}")]
    Invalid(String),
}

/// Builds and validates the result for one task: `fps` is the task's frame rate as LS uses
/// it, `frames` the video's frame count when known.
pub fn build(
    config: &LabelConfig,
    regions: &[Region],
    turns: &[Turn],
    suggester: &Suggester,
    fps: Fps,
    frames: Option<u64>,
) -> Result<Prediction, PredictError> {
    let (timeline, video) = config.timeline().ok_or(PredictError::NoTimeline)?;
    let text = config.region_text(&video.name);
    let mut result = Vec::new();
    let mut scores = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        let Some((start, end)) = frame_span(r.start, r.end, fps, frames) else {
            continue;
        };
        // No pattern with evidence, no fallback and no neutral label: leave the region out
        // rather than guess.
        let Some(s) = r.suggest(suggester) else {
            continue;
        };
        let id = format!("ppi{:03}", i + 1);
        let ranges = json!([{"start": start, "end": end}]);
        let mut region = json!({
            "id": id, "from_name": timeline.name, "to_name": video.name,
            "type": "timelinelabels", "origin": "prediction",
            "value": {"ranges": ranges, "timelinelabels": [s.label]},
        });
        if let Some(score) = s.score {
            region["score"] = json!(score);
            scores.push(score);
        }
        if !r.why.is_empty() {
            region["meta"] = json!({"text": [r.why.join("; ")]});
        }
        result.push(region);
        if let Some(t) = text {
            result.push(json!({
                "id": id, "from_name": t.name, "to_name": video.name, "type": "textarea",
                "origin": "prediction",
                "value": {"ranges": ranges, "text": [r.text]},
            }));
        }
    }
    if let Some(lane) = config.speaker_lane() {
        result.extend(speaker_regions(lane, &video.name, turns, fps, frames));
    }
    let problems = check_result(config, &result, frames, "result");
    if !problems.is_empty() {
        return Err(PredictError::Invalid(problems.join("; ")));
    }
    let score = if scores.is_empty() {
        0.0
    } else {
        (scores.iter().sum::<f64>() / scores.len() as f64 * 1000.0).round() / 1000.0
    };
    Ok(Prediction { result, score })
}

/// Label Studio's 1-based inclusive frames of `[t0, t1)` seconds, clamped to the video's
/// `frames` when known; `None` for an empty span or one that starts past the video.
fn frame_span(t0: f64, t1: f64, fps: Fps, frames: Option<u64>) -> Option<(u64, u64)> {
    let range = FrameRange::from_seconds(t0, t1, fps).ok()?;
    let (start, end) = (range.start(), range.end());
    match frames {
        Some(n) if start > n => None,
        Some(n) => Some((start, end.min(n))),
        None => Some((start, end)),
    }
}

/// The speaker lane's regions: one per turn, labelled Teacher or Student by role; where two
/// speakers talk at once, one Several region for the stretch (each speaker has a turn there).
fn speaker_regions(
    lane: &ControlTag,
    video: &str,
    turns: &[Turn],
    fps: Fps,
    frames: Option<u64>,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen_overlap: Vec<(u64, u64)> = Vec::new();
    for t in turns {
        let Some((start, end)) = frame_span(t.start, t.end, fps, frames) else {
            continue;
        };
        let label = match (t.overlap, t.role) {
            (true, _) => SEVERAL,
            (false, Role::Teacher) => TEACHER,
            (false, Role::Student) => STUDENT,
        };
        if t.overlap {
            if seen_overlap.contains(&(start, end)) {
                continue;
            }
            seen_overlap.push((start, end));
        }
        if !lane.labels.iter().any(|l| l == label) {
            continue;
        }
        out.push(json!({
            "id": format!("spk{:04}", out.len() + 1), "from_name": lane.name, "to_name": video,
            "type": "timelinelabels", "origin": "prediction",
            "value": {"ranges": [{"start": start, "end": end}], "timelinelabels": [label]},
            "meta": {"text": [format!("{} ({})", t.speaker, if t.overlap { "overlap" } else { label })]},
        }));
    }
    out
}

/// `whisper-<model>+rules-<n>`, or `whisper-<model>+learned-<n>` with a learned suggester.
pub fn model_version(model_label: &str, learned: Option<u32>) -> String {
    let model = model_label
        .trim_start_matches("ggml-")
        .trim_end_matches(".bin");
    match learned {
        Some(n) => format!("whisper-{model}+learned-{n}"),
        None => format!(
            "whisper-{model}+rules-{}",
            ppi_learn::suggest::RULES_VERSION
        ),
    }
}

#[cfg(test)]
#[path = "preannotate_tests.rs"]
mod tests;
