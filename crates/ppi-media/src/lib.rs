//! The media core over FFmpeg's libraries (ffmpeg-next): probe, frame-exact clips, key frames
//! and 16 kHz mono audio. Nothing here starts the `ffmpeg` program.
//!
//! Each worker thread opens its own [`Source`] once and seeks within it for every interval,
//! so the file's index is read once per worker rather than once per clip.

pub mod audio;
pub mod clip;
pub mod faces;
pub mod frame;
pub mod keyframe;
pub mod mp4_edit;
pub mod probe;
pub mod reencode;
pub mod scoring;
pub mod source;
pub mod wav;

use std::path::{Path, PathBuf};
use std::sync::Once;

pub use clip::{ClipMode, ClipOutcome, ClipRequest};
pub use probe::{probe, AudioInfo, Probe, VideoInfo};
pub use source::Source;

use ppi_core::error::{Coded, ErrorKind};

/// Errors from media work. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{file}: the file is empty (0 bytes)")]
    Empty { file: PathBuf },
    #[error("{file}: {detail}")]
    Missing { file: PathBuf, detail: String },
    #[error("{file}: not a readable video: {detail}")]
    Unreadable { file: PathBuf, detail: String },
    #[error("{file}: has no video stream (an audio-only file?); a lesson video is needed")]
    NoVideoStream { file: PathBuf },
    #[error("{file}: has no audio stream")]
    NoAudioStream { file: PathBuf },
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
    #[error("canceled")]
    Canceled,
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
            MediaError::Missing { .. } => "file-not-found",
            MediaError::Unreadable { .. } => "media-unreadable",
            MediaError::NoVideoStream { .. } => "media-no-video-stream",
            MediaError::NoAudioStream { .. } => "media-no-audio-stream",
            MediaError::StillImage { .. } => "media-not-a-video",
            MediaError::Corrupt { .. } => "media-corrupt",
            MediaError::OutOfRange { .. } => "interval-outside-video",
            MediaError::NonUtf8Path { .. } => "path-not-utf8",
            MediaError::Write { .. } => "media-write-failed",
            MediaError::Io { .. } => "io-error",
            MediaError::Canceled => "canceled",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            MediaError::Write { .. } | MediaError::Io { .. } => ErrorKind::Internal,
            MediaError::Canceled => ErrorKind::External,
            _ => ErrorKind::Input,
        }
    }
}

/// How far past a time a frame's timestamp may lie and still count as starting at it: time
/// base rounding (half a tick of a millisecond time base, say), never near a real frame gap.
pub fn on_screen_tolerance(frame_duration: f64) -> f64 {
    (frame_duration / 4.0).min(0.002)
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

/// Opens a media file for reading, like `ffmpeg_next::format::input`, but probes streams with
/// single-threaded decoders. The default probe decodes with one frame thread per core, and with
/// several inputs open at once (one per worker) that alone held ~80 MB each for 720p H.264.
pub(crate) fn open_input(path: &Path) -> Result<ffmpeg_next::format::context::Input, MediaError> {
    use ffmpeg_next::ffi;
    use std::ffi::CString;
    use std::ptr;
    let unreadable = |detail: String| MediaError::Unreadable {
        file: path.into(),
        detail,
    };
    let c_path = CString::new(utf8_path(path)?)
        .map_err(|_| unreadable("the path contains a NUL byte".into()))?;
    // SAFETY: plain libavformat calls on a context we own; every error path closes it.
    unsafe {
        let mut ctx = ptr::null_mut();
        let r =
            ffi::avformat_open_input(&mut ctx, c_path.as_ptr(), ptr::null_mut(), ptr::null_mut());
        if r < 0 {
            return Err(unreadable(ffmpeg_next::Error::from(r).to_string()));
        }
        let n = (*ctx).nb_streams as usize;
        let mut options: Vec<*mut ffi::AVDictionary> = vec![ptr::null_mut(); n];
        for d in options.iter_mut() {
            ffi::av_dict_set(d, c"threads".as_ptr(), c"1".as_ptr(), 0);
        }
        let r = ffi::avformat_find_stream_info(
            ctx,
            if n > 0 {
                options.as_mut_ptr()
            } else {
                ptr::null_mut()
            },
        );
        for d in options.iter_mut() {
            ffi::av_dict_free(d);
        }
        if r < 0 {
            ffi::avformat_close_input(&mut ctx);
            return Err(unreadable(ffmpeg_next::Error::from(r).to_string()));
        }
        Ok(ffmpeg_next::format::context::Input::wrap(ctx))
    }
}

/// One read from a demuxer.
pub(crate) enum Demuxed {
    Packet(ffmpeg_next::Packet),
    Eof,
}

/// Reads the next packet into a fresh `Packet`. `av_read_frame` expects a blank packet and
/// overwrites a used one without releasing it, so reusing one packet leaks every read.
/// Invalid data is skipped: the demuxer resynchronises and only that packet is lost.
pub(crate) fn read_packet(
    input: &mut ffmpeg_next::format::context::Input,
) -> Result<Demuxed, ffmpeg_next::Error> {
    loop {
        let mut packet = ffmpeg_next::Packet::empty();
        match packet.read(input) {
            Ok(()) => return Ok(Demuxed::Packet(packet)),
            Err(ffmpeg_next::Error::Eof) => return Ok(Demuxed::Eof),
            Err(ffmpeg_next::Error::InvalidData) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Seconds to a timestamp in `tb` units, rounded to the nearest tick.
pub(crate) fn secs_to_ts(seconds: f64, tb: ffmpeg_next::Rational) -> i64 {
    (seconds * f64::from(tb.denominator()) / f64::from(tb.numerator())).round() as i64
}

/// A timestamp in `tb` units to seconds.
pub(crate) fn ts_to_secs(ts: i64, tb: ffmpeg_next::Rational) -> f64 {
    ts as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator())
}
