//! Teacher enrolment: when annotators mark who the teacher is on the speaker lane, PPI keeps
//! that voice for the Label Studio project, and the project's next lessons name their teacher
//! by it instead of by who talks most.
//!
//! The voice comes from the lesson's own speakers: the time-weighted mean of the voices of
//! PPI's speakers heard inside the intervals labelled Teacher. So a correction ("these turns
//! are the teacher's, not the student's") moves the voice to the right speaker without
//! fetching the audio again.

use serde_json::Value;

use crate::context::JobContext;
use crate::error::JobError;
use ppi_label_studio::config::{LabelConfig, TEACHER};
use ppi_speakers::linalg::normalize;
use ppi_speakers::Turn;

/// At least this much of PPI's speech must fall inside the Teacher intervals.
const MIN_HEARD: f64 = 1.0;

/// The voice heard in `teacher` spans (seconds): PPI's speakers weighted by their single-voice
/// time inside them.
pub fn voice_in(
    teacher: &[(f64, f64)],
    turns: &[Turn],
    voices: &std::collections::BTreeMap<String, Vec<f32>>,
) -> Option<Vec<f32>> {
    let mut sum: Option<Vec<f32>> = None;
    let mut heard = 0.0;
    for t in turns.iter().filter(|t| !t.overlap) {
        let inside: f64 = teacher
            .iter()
            .map(|(s, e)| (t.end.min(*e) - t.start.max(*s)).max(0.0))
            .sum();
        let Some(v) = voices.get(&t.speaker) else {
            continue;
        };
        if inside <= 0.0 {
            continue;
        }
        heard += inside;
        let acc = sum.get_or_insert_with(|| vec![0.0; v.len()]);
        for (a, x) in acc.iter_mut().zip(v) {
            *a += x * inside as f32;
        }
    }
    let mut v = sum.filter(|_| heard >= MIN_HEARD)?;
    normalize(&mut v);
    Some(v)
}

/// Enrols the teacher from an accepted annotation's speaker lane; `Ok(false)` when it has no
/// Teacher interval or PPI has no voices for the video. Its failures are logged by the caller.
pub async fn from_annotation(
    ctx: &JobContext,
    project: i64,
    task_id: i64,
    annotation: i64,
    config: &LabelConfig,
    result: &[Value],
) -> Result<bool, JobError> {
    let (Some(lane), Some((_, video))) = (config.speaker_lane(), config.timeline()) else {
        return Ok(false);
    };
    let Some(task) = ctx
        .db
        .ls_task(task_id)
        .await
        .map_err(JobError::from_coded)?
    else {
        return Ok(false);
    };
    let data = serde_json::from_str(&task.data).unwrap_or_default();
    let fps = LabelConfig::fps(video, &data);
    let teacher: Vec<(f64, f64)> = result
        .iter()
        .filter(|r| r["from_name"] == lane.name.as_str())
        .filter(|r| {
            r["value"]["timelinelabels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l == TEACHER))
        })
        .flat_map(|r| r["value"]["ranges"].as_array().cloned().unwrap_or_default())
        .filter_map(|rg| {
            let (s, e) = (rg["start"].as_f64()?, rg["end"].as_f64()?);
            // Label Studio's frames are 1-based and inclusive.
            Some(((s - 1.0).max(0.0) / fps, e / fps))
        })
        .collect();
    if teacher.is_empty() {
        return Ok(false);
    }
    let Some(key) = task.media_key.as_deref() else {
        return Ok(false);
    };
    let Some(media) = ctx.db.media(key).await.map_err(JobError::from_coded)? else {
        return Ok(false);
    };
    let Ok(transcript) = serde_json::from_str::<ppi_asr::Transcript>(&media.transcript) else {
        return Ok(false);
    };
    let Some(voice) = voice_in(&teacher, &transcript.turns, &transcript.voices) else {
        return Ok(false);
    };
    ctx.db
        .set_teacher_voice(
            project,
            &voice,
            &format!("annotation {annotation}"),
            Some(key),
        )
        .await
        .map_err(JobError::from_coded)?;
    tracing::info!(
        project,
        annotation,
        "teacher voice enrolled from the speaker lane"
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppi_speakers::Role;

    #[test]
    fn the_voice_is_the_speaker_heard_in_the_teacher_intervals() {
        let turn = |start: f64, end: f64, speaker: &str| Turn {
            start,
            end,
            speaker: speaker.into(),
            role: Role::Student,
            overlap: false,
        };
        let turns = [turn(0.0, 10.0, "S1"), turn(12.0, 16.0, "S2")];
        let voices = [
            ("S1".to_owned(), vec![1.0, 0.0]),
            ("S2".to_owned(), vec![0.0, 1.0]),
        ]
        .into_iter()
        .collect();
        // The annotator marked S2's turn (and a little silence) as the teacher's.
        let v = voice_in(&[(11.5, 16.2)], &turns, &voices).unwrap();
        assert!((v[1] - 1.0).abs() < 1e-6 && v[0].abs() < 1e-6, "{v:?}");
        // Less than a second heard: no enrolment.
        assert!(voice_in(&[(15.5, 16.0)], &turns, &voices).is_none());
    }
}
