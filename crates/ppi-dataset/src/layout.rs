//! Where everything lives in a dataset folder.
//!
//! ```text
//! videos/<id>.mp4  images/<id>.jpg  images_cropped/<id>.jpg  audio/<id>.wav  transcripts/<id>.*
//! metadata.csv  metadata.jsonl  README.md
//! .ppi/manifest.json            reuse and exclusion state (hidden: ignored by datasets and the Hub)
//! .ppi/lessons/<lesson>/        per-lesson cache: 16 kHz audio, probe, lesson transcript
//! .ppi/lock                     one writer at a time (a file lock, held across processes)
//! ```

use std::io;
use std::path::{Path, PathBuf};

use ppi_core::domain::ItemId;

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

    /// The writer's lock: `ppi dataset build | prepare | assemble` and the service's jobs all
    /// take it before reading the manifest, so two writers never lose each other's items.
    /// With `wait`, blocks until the other writer is done; otherwise a busy folder is an error.
    pub fn lock(&self, wait: bool) -> Result<std::fs::File, LockError> {
        let path = self.root.join(STATE).join("lock");
        let io = |source| LockError::Io {
            folder: self.root.clone(),
            source,
        };
        std::fs::create_dir_all(self.root.join(STATE)).map_err(io)?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) if wait => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    folder: self.root.clone(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        tracing::warn!(folder = %self.root.display(), "another ppi is writing this dataset folder; waiting for it");
        f.lock().map_err(io)?;
        Ok(f)
    }

    /// Removes media files that no item lists: what a kill between an item's rename and its
    /// listing left behind (at most one item), so the folder holds listed items only.
    pub fn remove_unlisted(&self, listed: &dyn Fn(&str) -> bool) -> io::Result<usize> {
        let mut removed = 0;
        for d in [VIDEOS, IMAGES, IMAGES_CROPPED, AUDIO] {
            let entries = match std::fs::read_dir(self.root.join(d)) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || !entry.file_type()?.is_file() {
                    continue;
                }
                if !listed(&format!("{d}/{name}")) {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Removes leftovers of interrupted writes in every folder PPI writes to.
    pub fn clean_stale_parts(&self) -> io::Result<usize> {
        let mut n = ppi_core::atomic::clean_stale_parts(&self.root)?;
        for d in MEDIA_DIRS {
            n += ppi_core::atomic::clean_stale_parts(&self.root.join(d))?;
        }
        n += ppi_core::atomic::clean_stale_parts(&self.root.join(STATE))?;
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

/// A dataset folder's writer lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{folder}: another ppi is writing this dataset folder (run again when it is done, or without --no-wait to wait for it)")]
    Busy { folder: PathBuf },
    #[error("{folder}: cannot lock the dataset folder: {source}")]
    Io { folder: PathBuf, source: io::Error },
}

impl ppi_core::error::Coded for LockError {
    fn code(&self) -> &'static str {
        match self {
            LockError::Busy { .. } => "dataset-busy",
            LockError::Io { .. } => "io-error",
        }
    }

    fn kind(&self) -> ppi_core::error::ErrorKind {
        match self {
            LockError::Busy { .. } => ppi_core::error::ErrorKind::External,
            LockError::Io { .. } => ppi_core::error::ErrorKind::Internal,
        }
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
