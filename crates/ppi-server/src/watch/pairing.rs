//! Which files of a source make a lesson: a video and its Label Studio export by name
//! (`03.mp4` + `03.json`, or any `{stem}` pattern), plus an optional patterns sheet per folder.
//! Pure: works on a listing, touches nothing.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::source::Entry;

/// How files pair up.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pairing {
    /// Video file extensions, case-insensitive.
    pub video_extensions: Vec<String>,
    /// The export's name for a video `{stem}.<ext>`: `{stem}.json` by default.
    pub export_pattern: String,
    /// File names of a folder's own patterns sheet, first found wins.
    pub sheet_names: Vec<String>,
}

impl Default for Pairing {
    fn default() -> Self {
        Pairing {
            video_extensions: ["mp4", "mov", "mkv", "webm", "avi", "m4v"]
                .map(String::from)
                .to_vec(),
            export_pattern: "{stem}.json".into(),
            sheet_names: ["patterns.xlsx", "patterns.ods", "patterns.csv"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// A lesson found in a source: its id is the video's key without the extension.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub id: String,
    pub video: Entry,
    pub export: Option<Entry>,
    pub sheet: Option<Entry>,
}

impl Pair {
    /// Complete when the export is there.
    pub fn complete(&self) -> bool {
        self.export.is_some()
    }

    /// Changes whenever any of its files changes (key, size, time or ETag).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for e in [Some(&self.video), self.export.as_ref(), self.sheet.as_ref()] {
            match e {
                Some(e) => h.update(format!(
                    "{}\0{}\0{}\0{}\n",
                    e.key,
                    e.size,
                    e.mtime_ms,
                    e.etag.as_deref().unwrap_or("")
                )),
                None => h.update(b"-\n"),
            }
        }
        hex::encode(&h.finalize()[..12])
    }

    /// The newest modification time of its files.
    pub fn newest_ms(&self) -> i64 {
        [Some(&self.video), self.export.as_ref(), self.sheet.as_ref()]
            .into_iter()
            .flatten()
            .map(|e| e.mtime_ms)
            .max()
            .unwrap_or(0)
    }
}

fn split(key: &str) -> (&str, &str) {
    match key.rfind('/') {
        Some(i) => (&key[..=i], &key[i + 1..]),
        None => ("", key),
    }
}

impl Pairing {
    fn video_stem<'a>(&self, name: &'a str) -> Option<&'a str> {
        let (stem, ext) = name.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        (!stem.is_empty()
            && self
                .video_extensions
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&ext)))
        .then_some(stem)
    }

    /// The lessons in a listing, by id. A video without its export is listed, incomplete.
    pub fn pairs(&self, entries: &BTreeMap<String, Entry>) -> BTreeMap<String, Pair> {
        let mut out = BTreeMap::new();
        for (key, video) in entries {
            let (dir, name) = split(key);
            let Some(stem) = self.video_stem(name) else {
                continue;
            };
            let export_key = format!("{dir}{}", self.export_pattern.replace("{stem}", stem));
            let sheet = self
                .sheet_names
                .iter()
                .find_map(|n| entries.get(&format!("{dir}{n}")))
                .cloned();
            let id = format!("{dir}{stem}");
            out.insert(
                id.clone(),
                Pair {
                    id,
                    video: video.clone(),
                    export: entries.get(&export_key).cloned(),
                    sheet,
                },
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(keys: &[&str]) -> BTreeMap<String, Entry> {
        keys.iter()
            .map(|k| {
                (
                    k.to_string(),
                    Entry {
                        key: k.to_string(),
                        size: 1,
                        mtime_ms: 1,
                        etag: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn videos_pair_with_their_exports_and_the_folder_sheet() {
        let l = listing(&[
            "03.mp4",
            "03.json",
            "04.MOV",
            "notes.json",
            "a/b/05.mkv",
            "a/b/05.json",
            "a/b/patterns.xlsx",
            "a/06.mp4",
        ]);
        let p = Pairing::default().pairs(&l);
        assert_eq!(p.keys().collect::<Vec<_>>(), ["03", "04", "a/06", "a/b/05"]);
        assert!(p["03"].complete() && p["03"].sheet.is_none());
        assert!(!p["04"].complete());
        assert_eq!(p["a/b/05"].sheet.as_ref().unwrap().key, "a/b/patterns.xlsx");
        assert!(!p["a/06"].complete() && p["a/06"].sheet.is_none());
    }

    #[test]
    fn export_pattern_is_configurable_and_fingerprints_follow_every_file() {
        let pairing = Pairing {
            export_pattern: "{stem}_ls.json".into(),
            ..Pairing::default()
        };
        let mut l = listing(&["x/7.mp4", "x/7_ls.json", "x/7.json"]);
        let p = pairing.pairs(&l);
        assert_eq!(p["x/7"].export.as_ref().unwrap().key, "x/7_ls.json");
        let before = p["x/7"].fingerprint();
        l.get_mut("x/7_ls.json").unwrap().size = 2;
        assert_ne!(pairing.pairs(&l)["x/7"].fingerprint(), before);
        l.get_mut("x/7.json").unwrap().size = 5;
        l.get_mut("x/7_ls.json").unwrap().size = 1;
        assert_eq!(pairing.pairs(&l)["x/7"].fingerprint(), before);
    }
}
