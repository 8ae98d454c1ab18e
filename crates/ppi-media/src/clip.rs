//! Frame-exact clips without re-encoding.
//!
//! **Accurate mode** copies whole GOPs (from the keyframe at or before the interval) and lets
//! the MP4 edit list trim presentation to exactly the interval's frames: packets are shifted so
//! that the interval's first frame is at time 0, the muxer writes an edit list that starts
//! there, and the edit's duration is then patched to the interval's length
//! ([`super::mp4_edit`]). Decoders that honour edit lists (FFmpeg, and so `datasets` and
//! torchcodec; browsers) present exactly the requested frames; the extra frames are decoded
//! as references and discarded.
//!
//! **Copy mode** starts at the keyframe and records the real start and end, with no edit list
//! trimming. `--reencode` (see [`super::reencode`]) is for consumers that ignore edit lists.

use std::path::Path;

use ffmpeg_next as ff;

use super::mp4_edit;
use super::source::{Read, Source};
use super::{utf8_path, MediaError};
use ppi_core::atomic::PartFile;

/// How clips are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipMode {
    /// Stream copy trimmed by an edit list to the exact frames (the default).
    Accurate,
    /// Stream copy from the keyframe at or before the start; real bounds are recorded.
    Copy,
    /// Full re-encode of exactly the interval's frames (H.264 + AAC).
    Reencode,
}

impl std::fmt::Display for ClipMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClipMode::Accurate => "accurate",
            ClipMode::Copy => "copy",
            ClipMode::Reencode => "reencode",
        })
    }
}

/// One clip to cut: `[start, end)` seconds from the video's first frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipRequest {
    pub start: f64,
    pub end: f64,
    /// One frame's duration; frame boundaries are matched within half of it.
    pub frame_duration: f64,
    pub mode: ClipMode,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClipOutcome {
    /// Presented start, seconds from the video's first frame.
    pub start: f64,
    /// Presented end (end of the last frame), seconds.
    pub end: f64,
    /// Frames presented by a decoder that honours edit lists.
    pub frames: u64,
    pub bytes: u64,
}

/// Bounds of a request in video timestamps, by presentation timestamps (exact for variable
/// frame rates too).
struct Bounds {
    /// The first frame is the one on screen at the start: the last with `pts <= start`
    /// (else, before the video's first frame, the earliest after it).
    start: i64,
    /// Frames with `pts < end` (starting before the interval's end) belong to the clip.
    end: i64,
}

impl Source {
    fn bounds(&self, req: &ClipRequest) -> Bounds {
        let tol = super::on_screen_tolerance(req.frame_duration);
        Bounds {
            start: self.video.ts(req.start + tol),
            end: self.video.ts(req.end - tol),
        }
    }

    /// Cuts `req` into an MP4 at `out` (written atomically).
    pub fn cut_clip(&mut self, req: &ClipRequest, out: &Path) -> Result<ClipOutcome, MediaError> {
        if req.mode == ClipMode::Reencode {
            return self.reencode_clip(req, out);
        }
        let part = PartFile::new(out);
        let outcome = self.remux(req, part.path())?;
        part.commit().map_err(|e| MediaError::Write {
            file: out.into(),
            detail: e.to_string(),
        })?;
        Ok(outcome)
    }

    fn remux(&mut self, req: &ClipRequest, out: &Path) -> Result<ClipOutcome, MediaError> {
        let b = self.bounds(req);
        let v = self.video;
        let mut pending_start = self.seek_keyframe(b.start)?;

        // Phase 1: find the timestamp that becomes 0 in the clip. In accurate mode it is the
        // frame on screen at the start: the latest with pts <= the start bound, final once a
        // packet's dts passes the bound (later packets have pts >= dts); failing that, the
        // earliest frame after it, final once a dts reaches it.
        let keyframe_pts = pending_start
            .last()
            .and_then(|p| p.pts())
            .ok_or_else(|| self.corrupt("keyframe without a timestamp"))?;
        let mut zero = match req.mode {
            ClipMode::Copy => Some(keyframe_pts),
            _ => None,
        };
        // (latest pts <= start bound, earliest pts in (start bound, end bound))
        let mut best: (Option<i64>, Option<i64>) = (None, None);
        let mut eof = false;
        let consider = |p: &ff::Packet, best: &mut (Option<i64>, Option<i64>)| {
            if let Some(pts) = p.pts() {
                if pts <= b.start {
                    if best.0.is_none_or(|x| pts > x) {
                        best.0 = Some(pts);
                    }
                } else if pts < b.end && best.1.is_none_or(|x| pts < x) {
                    best.1 = Some(pts);
                }
            }
        };
        let pick = |best: (Option<i64>, Option<i64>)| best.0.or(best.1);
        for p in pending_start.iter().filter(|p| p.stream() == v.index) {
            consider(p, &mut best);
        }
        while zero.is_none() {
            let resolved = pending_start
                .iter()
                .rev()
                .find(|p| p.stream() == v.index)
                .and_then(|p| p.dts().or(p.pts()))
                .is_some_and(|dts| match best {
                    (Some(_), _) => dts > b.start,
                    (None, Some(x)) => dts >= x,
                    (None, None) => false,
                });
            if resolved {
                zero = pick(best);
                break;
            }
            match self.read()? {
                Read::Packet(p) => {
                    if p.stream() == v.index {
                        consider(&p, &mut best);
                        if p.dts().or(p.pts()).is_some_and(|d| d >= b.end) {
                            pending_start.push(p);
                            zero = pick(best);
                            break;
                        }
                    }
                    pending_start.push(p);
                }
                Read::Eof => {
                    eof = true;
                    zero = pick(best);
                    break;
                }
            }
        }
        let zero = zero.ok_or_else(|| MediaError::OutOfRange {
            file: self.path.clone(),
            detail: format!(
                "no video frame between {:.3} s and {:.3} s",
                req.start, req.end
            ),
        })?;
        let zero_secs = v.secs(zero);

        // Phase 2: mux.
        let mut octx =
            ff::format::output_as(utf8_path(out)?, "mp4").map_err(|e| self.write_err(out, e))?;
        let ivstream = self
            .input
            .stream(v.index)
            .ok_or_else(|| self.corrupt("video stream vanished"))?;
        // (input tb, output index) per output slot: 0 is video, 1 audio.
        let mut map: Vec<(ff::Rational, usize)> = Vec::new();
        {
            let mut ost = octx
                .add_stream(ff::encoder::find(ff::codec::Id::None))
                .map_err(|e| self.write_err(out, e))?;
            ost.set_parameters(ivstream.parameters());
            ost.set_time_base(v.tb);
            // SAFETY: the parameters belong to the stream just added; a zero tag lets the muxer
            // choose the MP4 tag for the codec.
            unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
            map.push((v.tb, ost.index()));
        }
        if let Some(a) = self.audio {
            if let Some(iastream) = self.input.stream(a.index) {
                let mut ost = octx
                    .add_stream(ff::encoder::find(ff::codec::Id::None))
                    .map_err(|e| self.write_err(out, e))?;
                ost.set_parameters(iastream.parameters());
                ost.set_time_base(a.tb);
                unsafe { (*ost.parameters().as_mut_ptr()).codec_tag = 0 };
                map.push((a.tb, ost.index()));
            }
        }
        octx.write_header().map_err(|e| self.write_err(out, e))?;
        let out_tbs: Vec<ff::Rational> = map
            .iter()
            .map(|(_, o)| {
                octx.stream(*o)
                    .map(|s| s.time_base())
                    .unwrap_or(ff::Rational(1, 90000))
            })
            .collect();

        // The clip's audio covers the same presented span as its video.
        let audio = self.audio.filter(|_| map.len() > 1);
        let audio_zero = audio.map(|a| a.ts(zero_secs));
        // Copy mode runs to the next keyframe, so its audio runs on until video is done.
        let mut audio_end = audio.map(|a| match req.mode {
            ClipMode::Copy => i64::MAX,
            _ => a.ts(req.end),
        });
        let mut video_done = false;
        let mut audio_done = audio.is_none();
        let mut held: Vec<ff::Packet> = Vec::new(); // video packets presented after the end
        let mut last_pts: Option<i64> = None;
        let mut last_dur: i64 = 0;
        let mut max_end: i64 = zero;
        let mut bytes: u64 = 0;
        let mut frames: u64 = 0; // presented in [zero, end)
        let mut written_video: u64 = 0;
        let mut prev_audio: Option<ff::Packet> = None;

        let mut write = |octx: &mut ff::format::context::Output,
                         mut p: ff::Packet,
                         slot: usize,
                         shift: i64|
         -> Result<(), ff::Error> {
            let (itb, oidx) = map[slot];
            p.set_pts(p.pts().map(|t| t - shift));
            p.set_dts(p.dts().map(|t| t - shift));
            p.rescale_ts(itb, out_tbs[slot]);
            p.set_position(-1);
            p.set_stream(oidx);
            bytes += p.size() as u64;
            p.write_interleaved(octx)
        };

        let mut queue = std::mem::take(&mut pending_start).into_iter();
        loop {
            if video_done && audio_done {
                break;
            }
            let p = match queue.next() {
                Some(p) => p,
                None if eof => break,
                None => match self.read()? {
                    Read::Packet(p) => p,
                    Read::Eof => break,
                },
            };
            if p.stream() == v.index {
                if video_done {
                    continue;
                }
                let dts = p.dts().or(p.pts()).unwrap_or(i64::MIN);
                let pts = p.pts().unwrap_or(dts);
                // Accurate mode stops once no later packet can be presented inside the clip
                // (pts >= dts). Copy mode ends on a GOP boundary: the next keyframe after the
                // interval, so every copied frame is decodable and presented without gaps.
                let past_end = match req.mode {
                    ClipMode::Copy => p.is_key() && pts >= b.end,
                    _ => dts >= b.end,
                };
                if past_end {
                    video_done = true;
                    if let (Some(a), ClipMode::Copy) = (audio, req.mode) {
                        audio_end = Some(a.ts(v.secs(max_end)));
                    }
                    continue;
                }
                if pts < b.end || req.mode == ClipMode::Copy {
                    for h in held.drain(..) {
                        let hp = h.pts().unwrap_or(0);
                        max_end = max_end.max(hp + h.duration());
                        written_video += 1;
                        write(&mut octx, h, 0, zero).map_err(|e| self.write_err(out, e))?;
                    }
                    if pts >= zero && pts < b.end {
                        frames += 1;
                        if last_pts.is_none_or(|l| pts > l) {
                            last_pts = Some(pts);
                            last_dur = p.duration();
                        }
                    }
                    max_end = max_end.max(pts + p.duration());
                    written_video += 1;
                    write(&mut octx, p, 0, zero).map_err(|e| self.write_err(out, e))?;
                } else {
                    // Needed only if a later packet (a B-frame) presented in range refers to it.
                    held.push(p);
                }
            } else if let (Some(az), Some(ae)) = (audio_zero, audio_end) {
                if audio_done {
                    continue;
                }
                let pts = p.pts().or(p.dts()).unwrap_or(i64::MIN);
                if pts >= ae {
                    audio_done = true;
                    continue;
                }
                if pts + p.duration() <= az {
                    // Before the clip; keep the latest one as decoder pre-roll.
                    prev_audio = Some(p);
                    continue;
                }
                if let Some(pre) = prev_audio.take() {
                    write(&mut octx, pre, 1, az).map_err(|e| self.write_err(out, e))?;
                }
                write(&mut octx, p, 1, az).map_err(|e| self.write_err(out, e))?;
            }
        }
        octx.write_trailer().map_err(|e| self.write_err(out, e))?;
        drop(octx);

        let last = last_pts.ok_or_else(|| MediaError::OutOfRange {
            file: self.path.clone(),
            detail: format!(
                "no video frame between {:.3} s and {:.3} s",
                req.start, req.end
            ),
        })?;
        let frame_ticks = if last_dur > 0 {
            last_dur
        } else {
            super::secs_to_ts(req.frame_duration, v.tb).max(1)
        };
        let presented_end = match req.mode {
            ClipMode::Copy => max_end.max(last + frame_ticks),
            _ => last + frame_ticks,
        };
        let end_secs = v.secs(presented_end);
        // EOF before the interval's last frame: the file is shorter than its header says.
        if end_secs + req.frame_duration * 1.5 < req.end {
            return Err(MediaError::Corrupt {
                file: self.path.clone(),
                detail: format!(
                    "video data ends at {end_secs:.3} s, before the interval's end {:.3} s (truncated file?)",
                    req.end
                ),
            });
        }
        if req.mode == ClipMode::Accurate {
            let duration = super::ts_to_secs(presented_end - zero, v.tb);
            mp4_edit::set_presentation_duration(out, duration).map_err(|e| MediaError::Write {
                file: out.into(),
                detail: format!("edit list: {e}"),
            })?;
        }
        if req.mode == ClipMode::Copy {
            frames = written_video;
        }
        debug_assert!(written_video >= frames);
        Ok(ClipOutcome {
            start: zero_secs,
            end: end_secs,
            frames,
            bytes,
        })
    }

    fn write_err(&self, out: &Path, e: ff::Error) -> MediaError {
        MediaError::Write {
            file: out.into(),
            detail: e.to_string(),
        }
    }
}
