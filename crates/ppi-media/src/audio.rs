//! The lesson's audio track decoded once to 16 kHz mono 16-bit PCM (what Whisper takes).
//! Per-clip WAVs are then sample-exact slices of this file, with no further decoding.

use std::path::Path;

use ffmpeg_next as ff;

use super::wav::{WavWriter, SAMPLE_RATE};
use super::{init, ts_to_secs, MediaError, Probe};
use ppi_core::progress::Progress;

/// What [`extract_lesson_audio`] wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LessonAudio {
    /// Samples at 16 kHz; sample 0 is at the video's first frame.
    pub samples: u64,
}

impl LessonAudio {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.samples as f64 / f64::from(SAMPLE_RATE)
    }
}

/// The sample index at `seconds` from the video's first frame.
pub fn sample_at(seconds: f64) -> u64 {
    (seconds.max(0.0) * f64::from(SAMPLE_RATE)).round() as u64
}

/// Decodes the audio of `video` to a 16 kHz mono WAV at `out` (atomically). Sample 0 is aligned
/// with the video's first frame: leading audio is dropped and a late start is padded.
/// Returns `Ok(None)` when the file has no audio stream.
pub fn extract_lesson_audio(
    video: &Path,
    probe: &Probe,
    out: &Path,
) -> Result<Option<LessonAudio>, MediaError> {
    extract_lesson_audio_with(video, probe, out, &ppi_core::progress::Silent)
}

/// [`extract_lesson_audio`] reporting progress (milliseconds of audio) and stopping when
/// `progress` says the work was canceled.
pub fn extract_lesson_audio_with(
    video: &Path,
    probe: &Probe,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Option<LessonAudio>, MediaError> {
    init();
    let Some(info) = &probe.audio else {
        return Ok(None);
    };
    let mut input = super::open_input(video)?;
    progress.stage(
        "extracting audio",
        (info.duration.max(probe.duration) * 1000.0) as u64,
    );
    let r = decode_stream(
        &mut input,
        video,
        info.index,
        probe.video.start_time,
        out,
        progress,
    )
    .map(Some);
    progress.finish_stage();
    r
}

/// Decodes the best audio stream of any media file (audio-only files included) to a 16 kHz mono
/// WAV. Sample 0 is the first video frame when there is video, else the audio's own start.
pub fn decode_to_wav(path: &Path, out: &Path) -> Result<LessonAudio, MediaError> {
    init();
    let meta = std::fs::metadata(path).map_err(|source| MediaError::Io {
        file: path.into(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(MediaError::Empty { file: path.into() });
    }
    let mut input = super::open_input(path)?;
    let start_of = |s: &ff::format::stream::Stream| {
        if s.start_time() == ff::ffi::AV_NOPTS_VALUE {
            0.0
        } else {
            ts_to_secs(s.start_time(), s.time_base())
        }
    };
    let (index, audio_start) = input
        .streams()
        .best(ff::media::Type::Audio)
        .map(|s| (s.index(), start_of(&s)))
        .ok_or_else(|| MediaError::NoAudioStream { file: path.into() })?;
    let origin = input
        .streams()
        .best(ff::media::Type::Video)
        .map(|s| start_of(&s))
        .unwrap_or(audio_start);
    decode_stream(
        &mut input,
        path,
        index,
        origin,
        out,
        &ppi_core::progress::Silent,
    )
}

fn decode_stream(
    input: &mut ff::format::context::Input,
    file: &Path,
    index: usize,
    origin: f64,
    out: &Path,
    progress: &dyn Progress,
) -> Result<LessonAudio, MediaError> {
    let corrupt = |detail: String| MediaError::Corrupt {
        file: file.into(),
        detail,
    };
    let write_err = |e: std::io::Error| MediaError::Write {
        file: out.into(),
        detail: e.to_string(),
    };
    let stream = input
        .stream(index)
        .ok_or_else(|| corrupt("audio stream vanished".into()))?;
    let tb = stream.time_base();
    let mut ctx = ff::codec::Context::from_parameters(stream.parameters())
        .map_err(|e| corrupt(e.to_string()))?;
    ctx.set_threading(ff::codec::threading::Config::count(1));
    let mut decoder = ctx
        .decoder()
        .audio()
        .map_err(|e| corrupt(format!("no decoder for the audio codec: {e}")))?;
    let mut writer = WavWriter::create(out, SAMPLE_RATE).map_err(write_err)?;
    let mut resampler: Option<ff::software::resampling::Context> = None;
    let mut decoded = ff::frame::Audio::empty();
    // Samples to drop (negative) or pad (positive) before the first decoded sample, so that
    // sample 0 is at `origin`.
    let mut align: Option<i64> = None;
    let mut reported_ms = 0u64;
    let mut eof = false;
    while !eof {
        match super::read_packet(input) {
            Ok(super::Demuxed::Packet(packet)) if packet.stream() == index => {
                // A corrupt packet is dropped by the decoder; decoding goes on.
                let _ = decoder.send_packet(&packet);
            }
            Ok(super::Demuxed::Packet(_)) => continue,
            Ok(super::Demuxed::Eof) => {
                let _ = decoder.send_eof();
                eof = true;
            }
            Err(e) => return Err(corrupt(format!("audio read failed: {e}"))),
        }
        while decoder.receive_frame(&mut decoded).is_ok() {
            if decoded.channel_layout().is_empty() {
                decoded
                    .set_channel_layout(ff::ChannelLayout::default(i32::from(decoded.channels())));
            }
            if align.is_none() {
                let t = decoded
                    .timestamp()
                    .or(decoded.pts())
                    .map(|ts| ts_to_secs(ts, tb) - origin)
                    .unwrap_or(0.0);
                align = Some((t * f64::from(SAMPLE_RATE)).round() as i64);
            }
            let rs = match resampler.as_mut() {
                Some(r) => r,
                None => resampler.insert(
                    ff::software::resampling::Context::get(
                        decoded.format(),
                        decoded.channel_layout(),
                        decoded.rate(),
                        ff::format::Sample::I16(ff::format::sample::Type::Packed),
                        ff::ChannelLayout::MONO,
                        SAMPLE_RATE,
                    )
                    .map_err(|e| corrupt(format!("cannot resample the audio: {e}")))?,
                ),
            };
            let mut mono = ff::frame::Audio::empty();
            rs.run(&decoded, &mut mono)
                .map_err(|e| corrupt(format!("resampling failed: {e}")))?;
            push(&mut writer, &mono, &mut align).map_err(write_err)?;
            let written_ms = writer.samples() / u64::from(SAMPLE_RATE / 1000);
            if written_ms >= reported_ms + 1000 {
                progress.advance(written_ms - reported_ms);
                reported_ms = written_ms;
                if progress.canceled() {
                    return Err(MediaError::Canceled);
                }
            }
        }
    }
    if let Some(rs) = resampler.as_mut() {
        loop {
            let mut mono = ff::frame::Audio::empty();
            match rs.flush(&mut mono) {
                Ok(_) if mono.samples() > 0 => {
                    push(&mut writer, &mono, &mut align).map_err(write_err)?
                }
                _ => break,
            }
        }
    }
    let samples = writer.finish().map_err(write_err)?;
    Ok(LessonAudio { samples })
}

fn push(
    writer: &mut WavWriter,
    mono: &ff::frame::Audio,
    align: &mut Option<i64>,
) -> std::io::Result<()> {
    let n = mono.samples();
    if n == 0 {
        return Ok(());
    }
    let samples: &[i16] = &mono.plane::<i16>(0)[..n];
    let mut skip = 0usize;
    match align {
        Some(a) if *a > 0 => {
            writer.write_silence(*a as u64)?;
            *align = Some(0);
        }
        Some(a) if *a < 0 => {
            skip = (-*a as usize).min(n);
            *align = Some(*a + skip as i64);
        }
        _ => {}
    }
    writer.write(&samples[skip..])
}
