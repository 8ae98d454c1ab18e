//! The neutral label (`Speech` by default) in annotation results: it marks speech without a
//! pattern, so it never becomes a clip or a dataset item.

use serde_json::Value;

/// `result` without the label `label` on `from_name`'s regions (the neutral label, which is
/// not a pattern); a region left with no label is dropped, with its per-region companions
/// (transcript, speaker) kept only when another control still refers to it.
pub fn without_label(result: &[Value], from_name: &str, label: &str) -> Vec<Value> {
    let key = ppi_core::catalog::match_key(label);
    let mut dropped = Vec::new();
    let mut out: Vec<Value> = Vec::with_capacity(result.len());
    for item in result {
        if item["from_name"] != from_name {
            out.push(item.clone());
            continue;
        }
        let mut item = item.clone();
        if let Some(labels) = item["value"]["timelinelabels"].as_array_mut() {
            labels.retain(|l| {
                l.as_str()
                    .is_none_or(|s| ppi_core::catalog::match_key(s) != key)
            });
            if labels.is_empty() {
                dropped.push(item["id"].clone());
                continue;
            }
        }
        out.push(item);
    }
    let kept: Vec<Value> = out
        .iter()
        .filter(|i| i["from_name"] == from_name)
        .map(|i| i["id"].clone())
        .collect();
    out.retain(|i| !dropped.contains(&i["id"]) || kept.contains(&i["id"]));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn the_neutral_label_leaves_the_result() {
        let r = vec![
            json!({"id": "a", "from_name": "pattern", "type": "timelinelabels",
                   "value": {"ranges": [{"start": 1, "end": 5}], "timelinelabels": ["Speech"]}}),
            json!({"id": "a", "from_name": "transcript", "type": "textarea", "value": {"text": ["hi"]}}),
            json!({"id": "b", "from_name": "pattern", "type": "timelinelabels",
                   "value": {"ranges": [{"start": 9, "end": 12}], "timelinelabels": ["speech", "Lecture"]}}),
            json!({"id": "b", "from_name": "transcript", "type": "textarea", "value": {"text": ["so"]}}),
        ];
        let out = super::without_label(&r, "pattern", "Speech");
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0]["value"]["timelinelabels"], json!(["Lecture"]));
        assert_eq!(out[1]["id"], "b");
    }
}
