//! What the watcher remembers across restarts: each source's last listing and, per lesson, the
//! fingerprint it was last processed at. Saved atomically after every change, so a restart
//! rescans cheaply (names, sizes, times) and processes nothing twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::source::Entry;
use super::WatchError;

/// The whole state file.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceState>,
}

/// One source's memory.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceState {
    #[serde(default)]
    pub files: BTreeMap<String, Entry>,
    #[serde(default)]
    pub lessons: BTreeMap<String, Done>,
}

/// How a lesson was last handled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Done {
    pub fingerprint: String,
    /// `built`, `published`, `skipped` (already published) or `failed`.
    pub status: String,
    pub at_ms: i64,
    #[serde(default)]
    pub detail: String,
}

/// A file change between two listings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "change", content = "key")]
pub enum Change {
    New(String),
    Changed(String),
    Removed(String),
}

/// What changed from `old` to `new`, in key order.
pub fn diff(old: &BTreeMap<String, Entry>, new: &BTreeMap<String, Entry>) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, e) in new {
        match old.get(k) {
            None => out.push(Change::New(k.clone())),
            Some(o) if o != e => out.push(Change::Changed(k.clone())),
            Some(_) => {}
        }
    }
    out.extend(
        old.keys()
            .filter(|k| !new.contains_key(*k))
            .map(|k| Change::Removed(k.clone())),
    );
    out
}

impl State {
    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<State, WatchError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| WatchError::State {
                path: path.to_owned(),
                detail: format!("{e} (delete it to start afresh)"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                version: 1,
                ..State::default()
            }),
            Err(e) => Err(io(path, e)),
        }
    }

    /// Writes the state file atomically.
    pub fn save(&self, path: &Path) -> Result<(), WatchError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| WatchError::State {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        ppi_core::atomic::write(path, &bytes).map_err(|e| io(path, e))
    }
}

fn io(path: &Path, e: std::io::Error) -> WatchError {
    WatchError::Io {
        path: PathBuf::from(path),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(key: &str, size: u64) -> (String, Entry) {
        (
            key.into(),
            Entry {
                key: key.into(),
                size,
                mtime_ms: 0,
                etag: None,
            },
        )
    }

    #[test]
    fn diff_names_new_changed_and_removed_files() {
        let old = BTreeMap::from([e("a.mp4", 1), e("a.json", 1), e("b.mp4", 1)]);
        let new = BTreeMap::from([e("a.mp4", 1), e("a.json", 2), e("c.mp4", 1)]);
        assert_eq!(
            diff(&old, &new),
            [
                Change::Changed("a.json".into()),
                Change::New("c.mp4".into()),
                Change::Removed("b.mp4".into()),
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn state_round_trips_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w/state.json");
        assert!(State::load(&p).unwrap().sources.is_empty());
        let mut s = State::load(&p).unwrap();
        s.sources
            .entry("/x".into())
            .or_default()
            .files
            .extend([e("a.mp4", 3)]);
        s.save(&p).unwrap();
        assert_eq!(State::load(&p).unwrap(), s);
        std::fs::write(&p, "{").unwrap();
        let err = State::load(&p).unwrap_err().to_string();
        assert!(err.contains("state.json"), "{err}");
    }
}
