//! Object keys, built only from validated ids:
//! `lessons/<owner>/<lesson>/source.<ext>`, `audio.wav`, `probe.json`, `clips/<item>/…`.

use std::fmt;

use ppi_core::domain::{EntityId, Username};

/// A storage key: `/`-separated segments of `A-Z a-z 0-9 . _ -`, none empty, none starting
/// with a dot. It is safe as a relative path and inside a URL without escaping.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Checks a key read from a URL or the database.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 512
            && s.split('/').all(|seg| {
                !seg.is_empty()
                    && !seg.starts_with('.')
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        ok.then(|| ObjectKey(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key under this one's folder: `lessons/u/l/source.mp4` → `lessons/u/l/<name>`.
    pub fn sibling(&self, name: &str) -> Option<ObjectKey> {
        let dir = self.0.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        ObjectKey::parse(&format!("{dir}/{name}"))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Container extensions a lesson's source may be stored under, chosen from the probed format
/// (never from the uploaded file name).
pub fn ext_for_format(format: &str) -> &'static str {
    let f = format.split(',').next().unwrap_or("");
    match f {
        "mov" => "mp4",
        "matroska" => {
            if format.contains("webm") {
                "webm"
            } else {
                "mkv"
            }
        }
        "avi" => "avi",
        "mpegts" => "ts",
        "mpeg" => "mpg",
        "flv" => "flv",
        "asf" => "wmv",
        _ => "bin",
    }
}

/// The folder of one lesson.
fn lesson_dir(owner: &Username, lesson: &EntityId) -> String {
    format!("lessons/{owner}/{lesson}")
}

/// `lessons/<owner>/<lesson>/source.<ext>`.
pub fn lesson_source(owner: &Username, lesson: &EntityId, ext: &str) -> Option<ObjectKey> {
    ObjectKey::parse(&format!("{}/source.{ext}", lesson_dir(owner, lesson)))
}

/// A fixed file of a lesson: `audio.wav`, `probe.json`.
pub fn lesson_file(owner: &Username, lesson: &EntityId, name: &'static str) -> Option<ObjectKey> {
    ObjectKey::parse(&format!("{}/{name}", lesson_dir(owner, lesson)))
}

/// A presigned upload waiting to be completed: `uploads/<owner>/<upload>/source.bin`.
pub fn pending_upload(owner: &Username, upload: &EntityId) -> Option<ObjectKey> {
    ObjectKey::parse(&format!("uploads/{owner}/{upload}/source.bin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_refuse_traversal_and_odd_characters() {
        for bad in [
            "",
            "/a",
            "a//b",
            "../a",
            "a/../b",
            "a/.hidden",
            "a b",
            "a\\b",
            "a/%2e%2e",
            "a?x",
        ] {
            assert!(ObjectKey::parse(bad).is_none(), "{bad}");
        }
        let k = ObjectKey::parse("lessons/ann/01hx/source.mp4").unwrap();
        assert_eq!(
            k.sibling("audio.wav").unwrap().as_str(),
            "lessons/ann/01hx/audio.wav"
        );
    }

    #[test]
    fn lesson_keys_follow_the_layout() {
        let owner = Username::parse("ann").unwrap();
        let id = EntityId::new();
        let k = lesson_source(&owner, &id, ext_for_format("mov,mp4,m4a,3gp,3g2,mj2")).unwrap();
        assert_eq!(k.as_str(), format!("lessons/ann/{id}/source.mp4"));
        assert_eq!(ext_for_format("matroska,webm"), "webm");
        assert!(lesson_file(&owner, &id, "audio.wav")
            .unwrap()
            .as_str()
            .ends_with("/audio.wav"));
    }
}
