//! Where everything lives in a dataset folder.
//!
//! ```text
//! videos/<id>.mp4  images/<id>.jpg  images_cropped/<id>.jpg  audio/<id>.wav  transcripts/<id>.*
//! metadata.csv  metadata.jsonl  README.md
//! .ppi/manifest.json            reuse and exclusion state (hidden: ignored by datasets and the Hub)
//! .ppi/lessons/<lesson>/        per-lesson cache: 16 kHz audio, probe, lesson transcript
//! ```

use std::io;
use std::path::{Path, PathBuf};

use crate::domain::ItemId;

pub const VIDEOS: &str = "videos";
pub const IMAGES: &str = "images";
pub const IMAGES_CROPPED: &str = "images_cropped";
pub const AUDIO: &str = "audio";
pub const TRANSCRIPTS: &str = "transcripts";
pub const STATE: &str = ".ppi";
pub const METADATA_CSV: &str = "metadata.csv";
pub const METADATA_JSONL: &str = "metadata.jsonl";
pub const CARD: &str = "README.md";

/// The media folders, in the order the card lists them.
pub const MEDIA_DIRS: [&str; 5] = [VIDEOS, IMAGES, IMAGES_CROPPED, AUDIO, TRANSCRIPTS];

/// A dataset folder.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the folders.
    pub fn create(&self) -> io::Result<()> {
        for d in MEDIA_DIRS {
            std::fs::create_dir_all(self.root.join(d))?;
        }
        std::fs::create_dir_all(self.root.join(STATE).join("lessons"))
    }

    /// Removes leftovers of interrupted writes in every folder PPI writes to.
    pub fn clean_stale_parts(&self) -> io::Result<usize> {
        let mut n = crate::atomic::clean_stale_parts(&self.root)?;
        for d in MEDIA_DIRS {
            n += crate::atomic::clean_stale_parts(&self.root.join(d))?;
        }
        n += crate::atomic::clean_stale_parts(&self.root.join(STATE))?;
        Ok(n)
    }

    /// Resolves a dataset-relative path (as stored in metadata).
    pub fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn manifest(&self) -> PathBuf {
        self.root.join(STATE).join("manifest.json")
    }

    /// The cache folder of one lesson.
    pub fn lesson_dir(&self, lesson_slug: &str) -> PathBuf {
        self.root.join(STATE).join("lessons").join(lesson_slug)
    }

    /// The lesson's audio at 16 kHz mono, sample 0 at the video's first frame.
    pub fn lesson_audio(&self, lesson_slug: &str) -> PathBuf {
        self.lesson_dir(lesson_slug).join("audio16k.wav")
    }
}

/// Dataset-relative file names of one item.
pub fn video_rel(id: &ItemId) -> String {
    format!("{VIDEOS}/{id}.mp4")
}

pub fn image_rel(id: &ItemId) -> String {
    format!("{IMAGES}/{id}.jpg")
}

pub fn cropped_rel(id: &ItemId) -> String {
    format!("{IMAGES_CROPPED}/{id}.jpg")
}

pub fn audio_rel(id: &ItemId) -> String {
    format!("{AUDIO}/{id}.wav")
}

/// Transcript files of an item: `.txt`, `.json`, `.vtt`.
pub fn transcript_rel(id: &ItemId, ext: &str) -> String {
    format!("{TRANSCRIPTS}/{id}.{ext}")
}

/// A lesson's transcript: `transcripts/lessons/<lesson>.{json,vtt}`.
pub fn lesson_transcript_rel(lesson_slug: &str, ext: &str) -> String {
    format!("{TRANSCRIPTS}/lessons/{lesson_slug}.{ext}")
}
