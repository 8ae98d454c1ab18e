//! The media core over FFmpeg's libraries (ffmpeg-next): probe, frame-exact clips, key frames
//! and 16 kHz mono audio. Nothing here starts the `ffmpeg` program.
//!
//! Each worker thread opens its own [`Source`] once and seeks within it for every interval,
//! so the file's index is read once per worker rather than once per clip.

pub mod audio;
pub mod clip;
pub mod frame;
pub mod mp4_edit;
pub mod probe;
pub mod reencode;
pub mod source;
pub mod wav;

use std::path::{Path, PathBuf};
use std::sync::Once;

pub use clip::{ClipMode, ClipOutcome, ClipRequest};
pub use probe::{probe, AudioInfo, Probe, VideoInfo};
pub use source::Source;

use crate::error::{Coded, ErrorKind};

/// Errors from media work. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{file}: the file is empty (0 bytes)")]
    Empty { file: PathBuf },
    #[error("{file}: not a readable video: {detail}")]
    Unreadable { file: PathBuf, detail: String },
    #[error("{file}: has no video stream (an audio-only file?); a lesson video is needed")]
    NoVideoStream { file: PathBuf },
    #[error("{file}: is a still image ({format}), not a video")]
    StillImage { file: PathBuf, format: String },
    #[error("{file}: the video is corrupt or truncated: {detail}")]
    Corrupt { file: PathBuf, detail: String },
    #[error("{file}: {detail}")]
    OutOfRange { file: PathBuf, detail: String },
    #[error("{file}: the path is not valid UTF-8, which FFmpeg needs")]
    NonUtf8Path { file: PathBuf },
    #[error("{file}: cannot write: {detail}")]
    Write { file: PathBuf, detail: String },
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
}

impl Coded for MediaError {
    fn code(&self) -> &'static str {
        match self {
            MediaError::Empty { .. } => "media-empty",
            MediaError::Unreadable { .. } => "media-unreadable",
            MediaError::NoVideoStream { .. } => "media-no-video-stream",
            MediaError::StillImage { .. } => "media-not-a-video",
            MediaError::Corrupt { .. } => "media-corrupt",
            MediaError::OutOfRange { .. } => "interval-outside-video",
            MediaError::NonUtf8Path { .. } => "path-not-utf8",
            MediaError::Write { .. } => "media-write-failed",
            MediaError::Io { .. } => "io-error",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            MediaError::Write { .. } | MediaError::Io { .. } => ErrorKind::Internal,
            _ => ErrorKind::Input,
        }
    }
}

/// Initialises FFmpeg once per process and silences its own logging: PPI reports errors itself,
/// with the file named.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Registration is a no-op on FFmpeg ≥ 4 and cannot fail there.
        let _ = ffmpeg_next::init();
        ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Quiet);
    });
}

/// FFmpeg takes paths as C strings; refuse non-UTF-8 paths instead of letting it panic.
pub(crate) fn utf8_path(path: &Path) -> Result<&str, MediaError> {
    path.to_str()
        .ok_or_else(|| MediaError::NonUtf8Path { file: path.into() })
}

/// Seconds to a timestamp in `tb` units, rounded to the nearest tick.
pub(crate) fn secs_to_ts(seconds: f64, tb: ffmpeg_next::Rational) -> i64 {
    (seconds * f64::from(tb.denominator()) / f64::from(tb.numerator())).round() as i64
}

/// A timestamp in `tb` units to seconds.
pub(crate) fn ts_to_secs(ts: i64, tb: ffmpeg_next::Rational) -> f64 {
    ts as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator())
}
