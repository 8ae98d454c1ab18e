//! Checks result items against a project's label config before PPI sends them (LS stores
//! invalid results without complaint and its editor then hides them) and when annotations
//! arrive. Each problem names the item's JSON path.

use serde_json::Value;

use super::config::LabelConfig;

/// The labels key of `value` for a control type, if it has labels.
fn labels_key(tag: &str) -> Option<&str> {
    match tag {
        "timelinelabels" | "labels" | "choices" | "rectanglelabels" | "polygonlabels"
        | "keypointlabels" | "brushlabels" | "hypertextlabels" | "paragraphlabels"
        | "timeserieslabels" => Some(tag),
        _ => None,
    }
}

fn as_frame(v: &Value) -> Option<u64> {
    v.as_u64().filter(|&f| f >= 1)
}

/// Checks `items` (a `result` list) against `config`. `frames` is the video's frame count at the
/// task's fps, when known. Returns every problem found.
pub fn check_result(
    config: &LabelConfig,
    items: &[Value],
    frames: Option<u64>,
    path: &str,
) -> Vec<String> {
    let mut issues = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let from = item.get("from_name").and_then(Value::as_str).unwrap_or("");
        let Some(control) = config.control(from) else {
            let names: Vec<&str> = config.controls.iter().map(|c| c.name.as_str()).collect();
            issues.push(format!(
                "{at}.from_name: unknown control {from:?} (the project's controls: {})",
                names.join(", ")
            ));
            continue;
        };
        let to = item.get("to_name").and_then(Value::as_str).unwrap_or("");
        if !control.to_names.iter().any(|t| t == to) {
            issues.push(format!(
                "{at}.to_name: {from:?} points at {:?}, not {to:?}",
                control.to_names.join(",")
            ));
        }
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != control.tag {
            issues.push(format!(
                "{at}.type: {kind:?} does not match control {from:?} ({})",
                control.tag
            ));
            continue;
        }
        let value = item.get("value").cloned().unwrap_or(Value::Null);
        if let Some(key) = labels_key(kind) {
            let given: Vec<&str> = value
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if given.is_empty() {
                issues.push(format!("{at}.value.{key}: no label"));
            }
            let unknown: Vec<&str> = given
                .iter()
                .copied()
                .filter(|g| !control.labels.iter().any(|l| l == g))
                .collect();
            if !unknown.is_empty() {
                issues.push(format!(
                    "{at}.value.{key}: unknown label(s) {} for {from:?} (allowed: {})",
                    unknown.join(", "),
                    control.labels.join(", ")
                ));
            }
        }
        if let Some(ranges) = value.get("ranges") {
            check_ranges(ranges, frames, &format!("{at}.value.ranges"), &mut issues);
        } else if kind == "timelinelabels" {
            issues.push(format!("{at}.value.ranges: missing"));
        }
        if kind == "textarea" && value.get("text").and_then(Value::as_array).is_none() {
            issues.push(format!("{at}.value.text: must be a list of strings"));
        }
    }
    issues
}

fn check_ranges(ranges: &Value, frames: Option<u64>, at: &str, issues: &mut Vec<String>) {
    let Some(list) = ranges.as_array().filter(|l| !l.is_empty()) else {
        issues.push(format!("{at}: must be a non-empty list"));
        return;
    };
    for (j, r) in list.iter().enumerate() {
        let (Some(start), Some(end)) = (
            r.get("start").and_then(as_frame),
            r.get("end").and_then(as_frame),
        ) else {
            issues.push(format!(
                "{at}[{j}]: start and end must be whole frame numbers from 1 (found {r})"
            ));
            continue;
        };
        if end < start {
            issues.push(format!("{at}[{j}]: end {end} is before start {start}"));
        }
        if let Some(n) = frames {
            if end > n {
                issues.push(format!(
                    "{at}[{j}]: frame {end} is beyond the video ({n} frames)"
                ));
            }
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
