//! Probing: what a lesson file contains, checked by decoding its first video frame.

use std::path::Path;

use ff::media::Type;
use ffmpeg_next as ff;

use super::{init, ts_to_secs, MediaError};

/// What a video file holds. Serialised as the lesson's `probe.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    /// Container format as FFmpeg names it, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format: String,
    /// Container duration in seconds.
    pub duration: f64,
    pub size_bytes: u64,
    pub video: VideoInfo,
    pub audio: Option<AudioInfo>,
}

/// The video stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VideoInfo {
    pub index: usize,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub pixel_format: String,
    /// Frames per second (average frame rate, else the stream's base rate).
    pub fps: f64,
    pub fps_num: i32,
    pub fps_den: i32,
    pub time_base_num: i32,
    pub time_base_den: i32,
    /// Presentation time of the first frame, in seconds. Frame times are measured from here.
    pub start_time: f64,
    /// Duration of the video stream in seconds.
    pub duration: f64,
    /// Frame count when the container records it.
    pub frames: Option<u64>,
}

/// The audio stream, when present.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AudioInfo {
    pub index: usize,
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub start_time: f64,
    pub duration: f64,
}

/// Demuxers that read single images; such files are refused as lessons.
fn is_image_format(name: &str) -> bool {
    name == "image2" || name.ends_with("_pipe") || name == "gif" || name == "webp"
}

fn rate_of(stream: &ff::format::stream::Stream) -> Option<ff::Rational> {
    [stream.avg_frame_rate(), stream.rate()]
        .into_iter()
        .find(|r| {
            r.numerator() > 0
                && r.denominator() > 0
                && f64::from(*r) >= 1.0
                && f64::from(*r) <= 1000.0
        })
}

/// Probes `path`: container, streams, and a test decode of the first video frame.
pub fn probe(path: &Path) -> Result<Probe, MediaError> {
    init();
    let meta = std::fs::metadata(path).map_err(|e| MediaError::Missing {
        file: path.into(),
        detail: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => e.to_string(),
        },
    })?;
    if meta.is_dir() {
        return Err(MediaError::Missing {
            file: path.into(),
            detail: "is a folder, not a video file".into(),
        });
    }
    if meta.len() == 0 {
        return Err(MediaError::Empty { file: path.into() });
    }
    let mut input = super::open_input(path)?;
    let format = input.format().name().to_owned();
    let duration = if input.duration() > 0 {
        input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE)
    } else {
        0.0
    };

    let Some(vstream) = input.streams().best(Type::Video) else {
        return Err(MediaError::NoVideoStream { file: path.into() });
    };
    if is_image_format(&format) {
        return Err(MediaError::StillImage {
            file: path.into(),
            format,
        });
    }
    let params = vstream.parameters();
    let vindex = vstream.index();
    let tb = vstream.time_base();
    let rate = rate_of(&vstream).ok_or_else(|| MediaError::Corrupt {
        file: path.into(),
        detail: "the video stream declares no usable frame rate".into(),
    })?;
    let start_time = if vstream.start_time() == ff::ffi::AV_NOPTS_VALUE {
        0.0
    } else {
        ts_to_secs(vstream.start_time(), tb)
    };
    let vduration = if vstream.duration() > 0 {
        ts_to_secs(vstream.duration(), tb)
    } else {
        duration - start_time
    };
    let frames = u64::try_from(vstream.frames()).ok().filter(|f| *f > 0);
    if frames == Some(1) || vduration <= 0.0 {
        return Err(MediaError::StillImage {
            file: path.into(),
            format,
        });
    }

    let audio = input.streams().best(Type::Audio).and_then(|a| {
        let ctx = ff::codec::Context::from_parameters(a.parameters()).ok()?;
        let dec = ctx.decoder().audio().ok()?;
        let atb = a.time_base();
        Some(AudioInfo {
            index: a.index(),
            codec: dec.id().name().to_owned(),
            sample_rate: dec.rate(),
            channels: dec.channels(),
            start_time: if a.start_time() == ff::ffi::AV_NOPTS_VALUE {
                0.0
            } else {
                ts_to_secs(a.start_time(), atb)
            },
            duration: if a.duration() > 0 {
                ts_to_secs(a.duration(), atb)
            } else {
                duration
            },
        })
    });

    let decoder_ctx =
        ff::codec::Context::from_parameters(params).map_err(|e| MediaError::Corrupt {
            file: path.into(),
            detail: e.to_string(),
        })?;
    let mut decoder = decoder_ctx
        .decoder()
        .video()
        .map_err(|e| MediaError::Corrupt {
            file: path.into(),
            detail: format!("no decoder for the video codec: {e}"),
        })?;
    let codec = decoder.id().name().to_owned();
    let first =
        first_frame(&mut input, &mut decoder, vindex).map_err(|detail| MediaError::Corrupt {
            file: path.into(),
            detail,
        })?;

    Ok(Probe {
        format,
        duration,
        size_bytes: meta.len(),
        video: VideoInfo {
            index: vindex,
            codec,
            width: first.width(),
            height: first.height(),
            pixel_format: format!("{:?}", first.format()).to_lowercase(),
            fps: f64::from(rate),
            fps_num: rate.numerator(),
            fps_den: rate.denominator(),
            time_base_num: tb.numerator(),
            time_base_den: tb.denominator(),
            start_time,
            duration: vduration,
            frames,
        },
        audio,
    })
}

/// Decodes the first video frame, proving the stream is decodable.
fn first_frame(
    input: &mut ff::format::context::Input,
    decoder: &mut ff::decoder::Video,
    vindex: usize,
) -> Result<ff::frame::Video, String> {
    let mut frame = ff::frame::Video::empty();
    let mut fed = 0usize;
    loop {
        match super::read_packet(input) {
            Ok(super::Demuxed::Packet(packet)) => {
                if packet.stream() != vindex {
                    continue;
                }
                fed += 1;
                // Corrupt packets are skipped by the decoder; keep feeding.
                let _ = decoder.send_packet(&packet);
            }
            Ok(super::Demuxed::Eof) => {
                let _ = decoder.send_eof();
                return match decoder.receive_frame(&mut frame) {
                    Ok(()) => Ok(frame),
                    Err(_) if fed == 0 => Err("the file holds no video data".into()),
                    Err(e) => Err(format!("no frame could be decoded: {e}")),
                };
            }
            Err(e) => return Err(e.to_string()),
        }
        if decoder.receive_frame(&mut frame).is_ok() {
            return Ok(frame);
        }
        if fed > 600 {
            return Err("no frame decoded from the first 600 packets".into());
        }
    }
}
