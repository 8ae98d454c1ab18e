//! What a Hub dataset already holds, lesson by lesson, read from its published
//! `metadata.jsonl`: each lesson's id, video name and the SHA-256 of its video. This is how
//! PPI recognises a lesson it published before, under any file name.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{HubClient, HubError};
use crate::manifest::Manifest;

/// A lesson as published (or as held locally).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LessonSummary {
    pub lesson_id: String,
    pub source_video: String,
    pub source_sha256: String,
    pub items: usize,
}

/// Summaries by lesson id, from metadata rows (JSON lines).
pub fn from_jsonl(text: &str) -> Vec<LessonSummary> {
    let mut by: BTreeMap<String, LessonSummary> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let e = by.entry(s("lesson_id")).or_insert_with(|| LessonSummary {
            lesson_id: s("lesson_id"),
            source_video: s("source_video"),
            source_sha256: s("source_sha256"),
            items: 0,
        });
        e.items += 1;
    }
    by.into_values().collect()
}

/// The lessons a dataset folder holds (its manifest), with their item counts.
pub fn local(manifest: &Manifest) -> Vec<LessonSummary> {
    manifest
        .lessons
        .iter()
        .map(|(slug, l)| LessonSummary {
            lesson_id: l.lesson_id.clone(),
            source_video: l.source_video.clone(),
            source_sha256: l.source_sha256.clone(),
            items: manifest
                .items
                .values()
                .filter(|i| &i.lesson == slug)
                .count(),
        })
        .collect()
}

/// The published lessons of `repo`; empty for a repository that does not exist yet.
pub async fn published(client: &HubClient, repo: &str) -> Result<Vec<LessonSummary>, HubError> {
    let bytes = client.download(repo, "metadata.jsonl").await?;
    Ok(bytes
        .map(|b| from_jsonl(&String::from_utf8_lossy(&b)))
        .unwrap_or_default())
}

/// [`published`], asked at most once per `ttl`, and told about what this process publishes.
pub struct PublishedCache {
    ttl: Duration,
    entry: Option<(Instant, Vec<LessonSummary>)>,
}

impl PublishedCache {
    pub fn new(ttl: Duration) -> Self {
        PublishedCache { ttl, entry: None }
    }

    pub async fn get(
        &mut self,
        client: &HubClient,
        repo: &str,
    ) -> Result<&[LessonSummary], HubError> {
        let fresh = self
            .entry
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < self.ttl);
        if !fresh {
            self.entry = Some((Instant::now(), published(client, repo).await?));
        }
        Ok(self
            .entry
            .as_ref()
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[]))
    }

    /// Forgets the answer (after this process published).
    pub fn invalidate(&mut self) {
        self.entry = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_into_lessons() {
        let text = r#"{"lesson_id":"a","source_video":"a.mp4","source_sha256":"11"}
{"lesson_id":"a","source_video":"a.mp4","source_sha256":"11"}

{"lesson_id":"b","source_video":"b.mp4","source_sha256":"22"}
not json
"#;
        let l = from_jsonl(text);
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].lesson_id.as_str(), l[0].items), ("a", 2));
        assert_eq!(l[1].source_sha256, "22");
    }
}
