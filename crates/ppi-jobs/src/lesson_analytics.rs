//! A lesson's analytics input from what PPI keeps about its Label Studio task: each
//! annotator's intervals, the agreed ones (the consensus, or the one annotation), the speech
//! in its transcript, and speaker choices per region. Assembly writes it beside the dataset;
//! the API serves it for a lesson.

use serde_json::Value;

use crate::context::JobContext;
use ppi_agreement::analytics::LessonInput;
use ppi_agreement::{Marking, Span};
use ppi_core::domain::FrameRange;
use ppi_label_studio::config::LabelConfig;
use ppi_store::db::ls::ROLE_ANNOTATION;
use ppi_store::db::DbError;

/// Spans of Label Studio timeline results on `from_name`.
fn spans_of(result: &[Value], from_name: &str) -> Vec<Span> {
    result
        .iter()
        .filter(|r| r["from_name"] == from_name)
        .flat_map(|r| {
            let labels: Vec<String> = r["value"]["timelinelabels"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            r["value"]["ranges"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .flat_map(move |rg| {
                    let range = FrameRange::new(rg["start"].as_i64()?, rg["end"].as_i64()?).ok()?;
                    Some(
                        labels
                            .clone()
                            .into_iter()
                            .map(move |l| Span::from_range(l, range)),
                    )
                })
                .flatten()
        })
        .collect()
}

/// PPI's turns by role: overlap stretches once as `several`, the rest as the speaker's role.
pub fn machine_roles(turns: &[ppi_speakers::Turn]) -> Vec<(f64, f64, String)> {
    let mut out: Vec<(f64, f64, String)> = Vec::new();
    for t in turns {
        let role = match (t.overlap, t.role) {
            (true, _) => "several",
            (false, ppi_speakers::Role::Teacher) => "teacher",
            (false, ppi_speakers::Role::Student) => "student",
        };
        if t.overlap
            && out
                .iter()
                .any(|o| o.2 == "several" && o.0 == t.start && o.1 == t.end)
        {
            continue;
        }
        out.push((t.start, t.end, role.to_owned()));
    }
    out
}

/// `(start s, end s, speaker)` of the regions that carry a speaker choice.
fn speakers_of(result: &[Value], timeline: &str, fps: f64) -> Vec<(f64, f64, String)> {
    let mut out = Vec::new();
    for c in result.iter().filter(|r| {
        // `speaker_name` now; `speaker` in configs made before the speaker lane.
        r["type"] == "choices" && (r["from_name"] == "speaker_name" || r["from_name"] == "speaker")
    }) {
        let Some(who) = c["value"]["choices"][0].as_str() else {
            continue;
        };
        for region in result
            .iter()
            .filter(|r| r["id"] == c["id"] && r["from_name"] == timeline)
        {
            for rg in region["value"]["ranges"].as_array().into_iter().flatten() {
                if let (Some(s), Some(e)) = (rg["start"].as_f64(), rg["end"].as_f64()) {
                    out.push(((s - 1.0) / fps, e / fps, who.to_owned()));
                }
            }
        }
    }
    out
}

/// The analytics input of a lesson that is a task of the annotation project (`None` when it
/// is not, or has no accepted annotation yet).
/// The lesson's task in the annotation project, when it has one.
async fn annotation_task(ctx: &JobContext, lesson_id: &str) -> Result<Option<(i64, i64)>, DbError> {
    let Some((project, _, _)) = ctx
        .db
        .ls_projects(ROLE_ANNOTATION)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    Ok(ctx
        .db
        .lesson_task(lesson_id, project)
        .await?
        .map(|t| (project, t)))
}

/// Whether the lesson has analytics yet (an accepted annotation of its task), without
/// building them: what the lesson page asks before asking for them.
pub async fn has_analytics(ctx: &JobContext, lesson_id: &str) -> Result<bool, DbError> {
    Ok(match annotation_task(ctx, lesson_id).await? {
        Some((_, task)) => !ctx.db.accepted_annotations(task).await?.is_empty(),
        None => false,
    })
}

pub async fn lesson_input(
    ctx: &JobContext,
    lesson_id: &str,
    title: &str,
) -> Result<Option<LessonInput>, DbError> {
    let Some((project, task_id)) = annotation_task(ctx, lesson_id).await? else {
        return Ok(None);
    };
    let Some(config) = ctx
        .db
        .ls_project_config(project)
        .await?
        .and_then(|x| LabelConfig::parse(&x).ok())
    else {
        return Ok(None);
    };
    let Some((timeline, video)) = config.timeline() else {
        return Ok(None);
    };
    let accepted = ctx.db.accepted_annotations(task_id).await?;
    if accepted.is_empty() {
        return Ok(None);
    }
    let neutral = ctx.settings.label_studio.neutral();
    let labels: Vec<String> = timeline
        .labels
        .iter()
        .filter(|l| {
            neutral
                .is_none_or(|n| ppi_core::catalog::match_key(n) != ppi_core::catalog::match_key(l))
        })
        .cloned()
        .collect();
    let markings: Vec<Marking> = accepted
        .iter()
        .map(|a| crate::review_target::marking(a, neutral))
        .collect();
    let stored = ctx.db.agreement(task_id).await?;
    let agreed = match &stored {
        Some(a) => {
            let result: Vec<Value> = serde_json::from_str(&a.consensus).unwrap_or_default();
            spans_of(&result, &timeline.name)
        }
        None => markings[0].spans.clone(),
    };
    let machine = stored.and_then(|a| {
        let report: Value = serde_json::from_str(&a.report).ok()?;
        serde_json::from_value(report.get("machine")?.clone()).ok()
    });
    let task = ctx.db.ls_task(task_id).await?;
    let data = task
        .as_ref()
        .and_then(|t| serde_json::from_str(&t.data).ok())
        .unwrap_or_default();
    let fps = LabelConfig::fps(video, &data);
    let media = match task.as_ref().and_then(|t| t.media_key.clone()) {
        Some(k) => ctx.db.media(&k).await?,
        None => None,
    };
    let transcript = media
        .as_ref()
        .and_then(|m| serde_json::from_str::<ppi_asr::Transcript>(&m.transcript).ok());
    let speech = transcript
        .as_ref()
        .map(|t| t.segments.iter().map(|s| (s.start, s.end)).collect());
    // Who talks: the annotators' speaker lane when one of them corrected it, else PPI's turns.
    let lane = config.speaker_lane().map(|c| c.name.clone());
    let corrected = lane.as_deref().and_then(|lane| {
        accepted.iter().rev().find_map(|a| {
            let result: Vec<Value> = serde_json::from_str(&a.result).unwrap_or_default();
            let spans = spans_of(&result, lane);
            (!spans.is_empty()).then(|| {
                spans
                    .into_iter()
                    .map(|s| {
                        (
                            s.start as f64 / fps,
                            s.end as f64 / fps,
                            s.label.to_lowercase(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let (roles, roles_source) = match corrected {
        Some(r) => (r, Some("annotators".to_owned())),
        None => (
            transcript
                .as_ref()
                .map(|t| machine_roles(&t.turns))
                .unwrap_or_default(),
            Some("machine".to_owned()),
        ),
    };
    let speakers = accepted
        .iter()
        .flat_map(|a| {
            let result: Vec<Value> = serde_json::from_str(&a.result).unwrap_or_default();
            speakers_of(&result, &timeline.name, fps)
        })
        .collect();
    Ok(Some(LessonInput {
        title: title.to_owned(),
        frames: media
            .as_ref()
            .map(|m| (m.duration * fps).ceil() as u64)
            .unwrap_or(0),
        fps,
        labels,
        markings: if accepted.len() >= 2 {
            markings
        } else {
            Vec::new()
        },
        agreed,
        speech,
        speakers,
        roles,
        roles_source,
        iou: ctx.settings.label_studio.agreement.iou,
        machine,
        events: media
            .as_ref()
            .and_then(|m| ppi_activity::LessonEvents::stored(&m.transcript))
            .map(|e| e.for_analytics()),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn speaker_choices_attach_to_their_regions() {
        let result = vec![
            json!({"id": "r1", "from_name": "pattern", "type": "timelinelabels",
                   "value": {"ranges": [{"start": 1, "end": 50}], "timelinelabels": ["Lecture"]}}),
            json!({"id": "r1", "from_name": "speaker", "type": "choices",
                   "value": {"choices": ["teacher"]}}),
            json!({"id": "r2", "from_name": "pattern", "type": "timelinelabels",
                   "value": {"ranges": [{"start": 51, "end": 75}], "timelinelabels": ["Questioning"]}}),
        ];
        assert_eq!(
            super::speakers_of(&result, "pattern", 25.0),
            vec![(0.0, 2.0, "teacher".to_owned())]
        );
        let spans = super::spans_of(&result, "pattern");
        assert_eq!(
            (spans[1].label.as_str(), spans[1].start, spans[1].end),
            ("Questioning", 50, 75)
        );
    }
}
