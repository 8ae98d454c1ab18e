//! Label Studio result items (`annotation.result[]`) and how they become labelled intervals.
//!
//! Supported region types: `timelinelabels` (1-based inclusive frames), `labels` on
//! `<Audio>`/`<Video>` (seconds), and `videorectangle` / `rectanglelabels` (a crop box in
//! percent). Text areas and choices are kept for the review loop; other types are ignored.

use serde_json::{Map, Value};

use super::choice::{choose_annotations, AnnotationChoice};
use super::model::{
    kind, BoxKeyframe, ExportAnnotation, ExportTask, FieldError, LabeledInterval, ResultItem,
    ResultValue,
};
use ppi_core::domain::{CropBox, Fps, FrameRange};

fn field<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
) -> Result<&'a Value, FieldError> {
    map.get(key)
        .ok_or_else(|| FieldError::new(format!("{pointer}.{key}"), "missing"))
}

fn number(v: &Value, pointer: &str) -> Result<f64, FieldError> {
    v.as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| FieldError::new(pointer, format!("expected a number, found {}", kind(v))))
}

/// A frame number: integers, or floats that are whole numbers (LS stores what it is given).
fn frame_number(v: &Value, pointer: &str) -> Result<i64, FieldError> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    let f = number(v, pointer)?;
    if f.fract() == 0.0 && f.abs() < 1e12 {
        Ok(f as i64)
    } else {
        Err(FieldError::new(
            pointer,
            format!("frame numbers are whole numbers, found {f}"),
        ))
    }
}

fn strings(v: Option<&Value>, pointer: &str) -> Result<Vec<String>, FieldError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str().map(str::to_owned).ok_or_else(|| {
                    FieldError::new(
                        format!("{pointer}[{i}]"),
                        format!("expected a string, found {}", kind(s)),
                    )
                })
            })
            .collect(),
        Some(other) => Err(FieldError::new(
            pointer,
            format!("expected a list of strings, found {}", kind(other)),
        )),
    }
}

fn crop_of(map: &Map<String, Value>, pointer: &str) -> Result<CropBox, FieldError> {
    let mut n = [0.0; 4];
    for (slot, key) in n.iter_mut().zip(["x", "y", "width", "height"]) {
        *slot = number(field(map, key, pointer)?, &format!("{pointer}.{key}"))?;
    }
    CropBox::new(n[0], n[1], n[2], n[3]).map_err(|e| FieldError::new(pointer, e.to_string()))
}

fn timeline(
    map: &Map<String, Value>,
    labels_key: &str,
    pointer: &str,
) -> Result<ResultValue, FieldError> {
    let ranges_ptr = format!("{pointer}.ranges");
    let ranges = field(map, "ranges", pointer)?
        .as_array()
        .ok_or_else(|| FieldError::new(&ranges_ptr, "expected a list of {start, end}"))?;
    if ranges.is_empty() {
        return Err(FieldError::new(&ranges_ptr, "the region has no range"));
    }
    let ranges = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = format!("{ranges_ptr}[{i}]");
            let m = r.as_object().ok_or_else(|| {
                FieldError::new(&p, format!("expected {{start, end}}, found {}", kind(r)))
            })?;
            let start = frame_number(field(m, "start", &p)?, &format!("{p}.start"))?;
            let end = frame_number(field(m, "end", &p)?, &format!("{p}.end"))?;
            FrameRange::new(start, end).map_err(|e| FieldError::new(&p, e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok(ResultValue::Timeline {
        ranges,
        labels: strings(map.get(labels_key), &format!("{pointer}.{labels_key}"))?,
    })
}

fn span(map: &Map<String, Value>, pointer: &str) -> Result<ResultValue, FieldError> {
    let start = number(field(map, "start", pointer)?, &format!("{pointer}.start"))?;
    let end = number(field(map, "end", pointer)?, &format!("{pointer}.end"))?;
    Ok(ResultValue::Span {
        start,
        end,
        labels: strings(map.get("labels"), &format!("{pointer}.labels"))?,
    })
}

fn video_box(map: &Map<String, Value>, pointer: &str) -> Result<ResultValue, FieldError> {
    let seq_ptr = format!("{pointer}.sequence");
    let seq = field(map, "sequence", pointer)?
        .as_array()
        .ok_or_else(|| FieldError::new(&seq_ptr, "expected a list of keyframes"))?;
    let keyframes = seq
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let p = format!("{seq_ptr}[{i}]");
            let m = k.as_object().ok_or_else(|| {
                FieldError::new(&p, format!("expected an object, found {}", kind(k)))
            })?;
            let frame = frame_number(field(m, "frame", &p)?, &format!("{p}.frame"))?;
            if frame < 1 {
                return Err(FieldError::new(format!("{p}.frame"), "frames start at 1"));
            }
            Ok(BoxKeyframe {
                frame: frame as u64,
                enabled: m.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                crop: crop_of(m, &p)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(ResultValue::VideoBox {
        keyframes,
        labels: strings(map.get("labels"), &format!("{pointer}.labels"))?,
    })
}

/// Parses one item of a full-export `result` list.
pub fn parse_result_item(v: &Value, pointer: &str) -> Result<ResultItem, FieldError> {
    let map = v.as_object().ok_or_else(|| {
        FieldError::new(
            pointer,
            format!("expected a result object, found {}", kind(v)),
        )
    })?;
    let from_name = field(map, "from_name", pointer)?
        .as_str()
        .ok_or_else(|| FieldError::new(format!("{pointer}.from_name"), "expected a string"))?
        .to_owned();
    let type_name = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let vp = format!("{pointer}.value");
    let value_map = field(map, "value", pointer)?
        .as_object()
        .ok_or_else(|| FieldError::new(&vp, "expected an object"))?;
    let value = match type_name.as_str() {
        "timelinelabels" => timeline(value_map, "timelinelabels", &vp)?,
        // `labels` with a `text` key is a text span (character offsets), not time.
        "labels" if value_map.contains_key("text") => ResultValue::Other { kind: type_name },
        "labels" => span(value_map, &vp)?,
        "videorectangle" => video_box(value_map, &vp)?,
        "rectanglelabels" | "rectangle" => ResultValue::Box {
            crop: crop_of(value_map, &vp)?,
            labels: strings(
                value_map.get("rectanglelabels"),
                &format!("{vp}.rectanglelabels"),
            )?,
        },
        "textarea" => ResultValue::Text {
            text: strings(value_map.get("text"), &format!("{vp}.text"))?,
        },
        "choices" => ResultValue::Choices {
            choices: strings(value_map.get("choices"), &format!("{vp}.choices"))?,
        },
        _ => ResultValue::Other { kind: type_name },
    };
    Ok(ResultItem {
        region_id: map.get("id").and_then(Value::as_str).map(str::to_owned),
        from_name,
        to_name: map
            .get("to_name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        value,
        pointer: pointer.to_owned(),
    })
}

/// Parses one JSON_MIN key. Returns `None` when the key holds task data rather than a control.
pub fn parse_min_value(
    key: &str,
    v: &Value,
    pointer: &str,
) -> Result<Option<Vec<ResultItem>>, FieldError> {
    let Some(items) = v.as_array() else {
        return Ok(None);
    };
    let looks_like_region = |m: &Map<String, Value>| {
        m.contains_key("ranges")
            || m.contains_key("sequence")
            || (m.contains_key("x") && m.contains_key("width"))
            || (m.contains_key("start") && m.contains_key("end") && !m.contains_key("text"))
    };
    if items.is_empty()
        || !items
            .iter()
            .all(|i| i.as_object().is_some_and(looks_like_region))
    {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{pointer}[{i}]");
        let Some(m) = item.as_object() else {
            continue;
        };
        let value = if m.contains_key("ranges") {
            timeline(m, "timelinelabels", &p)?
        } else if m.contains_key("sequence") {
            video_box(m, &p)?
        } else if m.contains_key("x") {
            let labels_key = if m.contains_key("rectanglelabels") {
                "rectanglelabels"
            } else {
                "labels"
            };
            ResultValue::Box {
                crop: crop_of(m, &p)?,
                labels: strings(m.get(labels_key), &format!("{p}.{labels_key}"))?,
            }
        } else {
            span(m, &p)?
        };
        out.push(ResultItem {
            region_id: None,
            from_name: key.to_owned(),
            to_name: None,
            value,
            pointer: p,
        });
    }
    Ok(Some(out))
}

/// The interval-bearing controls (`from_name`) of the chosen annotations.
fn interval_controls<'a>(annotations: &[&'a ExportAnnotation]) -> Vec<(&'a str, bool)> {
    let mut out: Vec<(&str, bool)> = Vec::new();
    for a in annotations {
        for r in &a.results {
            let is_timeline = match r.value {
                ResultValue::Timeline { .. } => true,
                ResultValue::Span { .. } => false,
                _ => continue,
            };
            if !out.iter().any(|(n, _)| *n == r.from_name) {
                out.push((&r.from_name, is_timeline));
            }
        }
    }
    out
}

/// Picks the control whose regions are pattern intervals: `requested` if given, else the only
/// one, else the only `timelinelabels` one. Speaker `labels` next to a timeline are left out.
fn pick_control<'a>(
    task: &ExportTask,
    controls: &[(&'a str, bool)],
    requested: Option<&str>,
) -> Result<Option<&'a str>, FieldError> {
    let names = || {
        controls
            .iter()
            .map(|(n, _)| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(want) = requested {
        return controls
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(n, _)| Some(*n))
            .ok_or_else(|| {
                FieldError::new(
                    &task.pointer,
                    format!(
                        "no regions from control {want:?} (found: {})",
                        if controls.is_empty() {
                            "none".into()
                        } else {
                            names()
                        }
                    ),
                )
            });
    }
    match controls {
        [] => Ok(None),
        [(one, _)] => Ok(Some(*one)),
        _ => {
            // PPI's speaker lane holds who speaks, not patterns: never chosen by default.
            let timelines: Vec<&str> = controls
                .iter()
                .filter(|(n, t)| *t && *n != crate::config::SPEAKER_LANE)
                .map(|(n, _)| *n)
                .collect();
            match timelines.as_slice() {
                [one] => Ok(Some(*one)),
                _ => Err(FieldError::new(
                    &task.pointer,
                    format!(
                        "several controls hold intervals ({}); choose one with --from-name",
                        names()
                    ),
                )),
            }
        }
    }
}

/// The crop box of an annotation at 1-based `frame`: the first box region's keyframe in
/// effect at that frame (the last enabled keyframe at or before it, else the first one).
fn crop_at(annotation: &ExportAnnotation, frame: u64) -> Option<CropBox> {
    annotation.results.iter().find_map(|r| match &r.value {
        ResultValue::Box { crop, .. } => Some(*crop),
        ResultValue::VideoBox { keyframes, .. } => keyframes
            .iter()
            .filter(|k| k.enabled && k.frame <= frame)
            .max_by_key(|k| k.frame)
            .or_else(|| keyframes.first())
            .map(|k| k.crop),
        _ => None,
    })
}

/// Extracts the labelled intervals of `task`. Ranges in seconds are converted at `fps`.
pub fn intervals(
    task: &ExportTask,
    choice: AnnotationChoice,
    control: Option<&str>,
    fps: Fps,
) -> Result<Vec<LabeledInterval>, FieldError> {
    let annotations = choose_annotations(task, choice)?;
    let controls = interval_controls(&annotations);
    let Some(control) = pick_control(task, &controls, control)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for ann in annotations {
        for item in ann.results.iter().filter(|r| r.from_name == control) {
            let (ranges, labels) = match &item.value {
                ResultValue::Timeline { ranges, labels } => (ranges.clone(), labels),
                ResultValue::Span { start, end, labels } => {
                    let r = FrameRange::from_seconds(*start, *end, fps).map_err(|e| {
                        FieldError::new(format!("{}.value", item.pointer), e.to_string())
                    })?;
                    (vec![r], labels)
                }
                _ => continue,
            };
            if labels.is_empty() {
                return Err(FieldError::new(
                    format!("{}.value", item.pointer),
                    "the region has no label",
                ));
            }
            for range in ranges {
                for label in labels {
                    out.push(LabeledInterval {
                        range,
                        label: label.clone(),
                        region_id: item.region_id.clone(),
                        annotation_id: ann.id,
                        annotator: ann.annotator.clone(),
                        crop: crop_at(ann, range.middle_index() + 1),
                        pointer: item.pointer.clone(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.range, &a.label, a.annotation_id).cmp(&(b.range, &b.label, b.annotation_id))
    });
    Ok(out)
}

/// Each annotator's marking of a task, for agreement: the task's non-cancelled annotations,
/// the latest one per annotator (`completed_by`; an annotation without one is its own
/// annotator), with their intervals on `control`. An annotation without intervals marks
/// nothing and still counts as an annotator. `skip` labels (the neutral one) are left out.
pub fn markings(
    task: &ExportTask,
    control: Option<&str>,
    fps: Fps,
    skip: Option<&str>,
) -> Result<Vec<ppi_agreement::Marking>, FieldError> {
    let annotations = choose_annotations(task, AnnotationChoice::All)?;
    let all = intervals(task, AnnotationChoice::All, control, fps)?;
    let who = |a: &ExportAnnotation| {
        a.annotator.clone().unwrap_or_else(|| match a.id {
            Some(id) => format!("annotation {id}"),
            None => a.pointer.clone(),
        })
    };
    let mut latest: Vec<&ExportAnnotation> = Vec::new();
    for a in annotations {
        let key = |x: &ExportAnnotation| (x.updated_at.clone().or(x.created_at.clone()), x.id);
        match latest.iter_mut().find(|l| who(l) == who(a)) {
            Some(l) if key(a) > key(l) => *l = a,
            Some(_) => {}
            None => latest.push(a),
        }
    }
    let skip = skip.map(ppi_core::catalog::match_key);
    Ok(latest
        .into_iter()
        .map(|a| ppi_agreement::Marking {
            annotator: who(a),
            annotation_id: a.id,
            spans: all
                .iter()
                .filter(|i| {
                    i.annotation_id == a.id && i.pointer.starts_with(&format!("{}.", a.pointer))
                })
                .filter(|i| {
                    skip.as_deref() != Some(ppi_core::catalog::match_key(&i.label).as_str())
                })
                .map(|i| ppi_agreement::Span::from_range(i.label.clone(), i.range))
                .collect(),
        })
        .collect())
}

/// The `model_version` of PPI's consensus predictions starts so: they are the humans'
/// consensus written back to LS, not a machine's guess.
pub const CONSENSUS_PREFIX: &str = "consensus-";

/// Each model version's marking of a task, for measuring the machine as an annotator: the
/// task's predictions (the latest per `model_version`, which names the marking), PPI's
/// consensus predictions left out; intervals on `control` as for [`markings`].
pub fn prediction_markings(
    task: &ExportTask,
    control: Option<&str>,
    fps: Fps,
    skip: Option<&str>,
) -> Result<Vec<ppi_agreement::Marking>, FieldError> {
    let machine = ExportTask {
        annotations: task
            .predictions
            .iter()
            .filter(|p| {
                !p.annotator
                    .as_deref()
                    .is_some_and(|v| v.starts_with(CONSENSUS_PREFIX))
            })
            .cloned()
            .collect(),
        predictions: Vec::new(),
        ..task.clone()
    };
    if machine.annotations.is_empty() {
        return Ok(Vec::new());
    }
    markings(&machine, control, fps, skip)
}

#[cfg(test)]
#[path = "result_tests.rs"]
mod tests;
