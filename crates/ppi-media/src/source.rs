//! An opened lesson video that one worker seeks within, interval after interval.

use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::{init, secs_to_ts, MediaError, Probe};

/// A stream's index, time base and the video's time origin expressed in this stream's units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamClock {
    pub index: usize,
    pub tb: ff::Rational,
    /// Presentation timestamp of the video's first frame, in this stream's time base. All
    /// interval times are measured from it, as a player shows them.
    pub origin: i64,
}

impl StreamClock {
    /// Seconds from the video origin to a timestamp in this stream.
    pub fn ts(&self, seconds: f64) -> i64 {
        self.origin + secs_to_ts(seconds, self.tb)
    }

    /// A timestamp in this stream to seconds from the video origin.
    pub fn secs(&self, ts: i64) -> f64 {
        super::ts_to_secs(ts - self.origin, self.tb)
    }
}

/// An opened video. Not shared between threads: each worker opens its own.
pub struct Source {
    pub(crate) path: PathBuf,
    pub(crate) input: ff::format::context::Input,
    pub(crate) video: StreamClock,
    pub(crate) audio: Option<StreamClock>,
    pub(crate) probe: Probe,
    /// Decoder state for key frames, created on first use.
    pub(crate) frames: Option<FrameState>,
}

/// The result of one packet read.
pub(crate) enum Read {
    Packet(ff::Packet),
    Eof,
}

/// The packets a seek already read ([`Source::seek_keyframe`]), then the rest of the file:
/// `None` at the end of the file, and on every call after.
pub(crate) struct Packets {
    queue: std::vec::IntoIter<ff::Packet>,
    eof: bool,
}

impl Packets {
    pub(crate) fn new(read: Vec<ff::Packet>) -> Self {
        Packets {
            queue: read.into_iter(),
            eof: false,
        }
    }

    pub(crate) fn next(&mut self, src: &mut Source) -> Result<Option<ff::Packet>, MediaError> {
        if let Some(p) = self.queue.next() {
            return Ok(Some(p));
        }
        if self.eof {
            return Ok(None);
        }
        match src.read()? {
            Read::Packet(p) => Ok(Some(p)),
            Read::Eof => {
                self.eof = true;
                Ok(None)
            }
        }
    }
}

impl Source {
    /// Opens `path`, whose probe is already known.
    pub fn open(path: &Path, probe: &Probe) -> Result<Self, MediaError> {
        init();
        let input = super::open_input(path)?;
        let vstream = input
            .stream(probe.video.index)
            .ok_or_else(|| MediaError::NoVideoStream { file: path.into() })?;
        let vtb = vstream.time_base();
        let video = StreamClock {
            index: probe.video.index,
            tb: vtb,
            origin: secs_to_ts(probe.video.start_time, vtb),
        };
        let audio = probe.audio.as_ref().and_then(|a| {
            let s = input.stream(a.index)?;
            let atb = s.time_base();
            Some(StreamClock {
                index: a.index,
                tb: atb,
                origin: secs_to_ts(probe.video.start_time, atb),
            })
        });
        Ok(Source {
            path: path.into(),
            input,
            video,
            audio,
            probe: probe.clone(),
            frames: None,
        })
    }

    /// The probe this source was opened with.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn corrupt(&self, detail: impl Into<String>) -> MediaError {
        MediaError::Corrupt {
            file: self.path.clone(),
            detail: detail.into(),
        }
    }

    /// Reads the next packet of the video or audio stream, skipping other streams.
    pub(crate) fn read(&mut self) -> Result<Read, MediaError> {
        loop {
            match super::read_packet(&mut self.input) {
                Ok(super::Demuxed::Packet(packet)) => {
                    let s = packet.stream();
                    if s == self.video.index || self.audio.is_some_and(|a| a.index == s) {
                        return Ok(Read::Packet(packet));
                    }
                }
                Ok(super::Demuxed::Eof) => return Ok(Read::Eof),
                Err(e) => return Err(self.corrupt(format!("read failed: {e}"))),
            }
        }
    }

    /// Positions the demuxer so that the next video packet is a keyframe presented at or
    /// before `target` (video time base). Returns the packets read while checking that,
    /// ending with that keyframe; audio packets met on the way are included.
    ///
    /// MP4 indexes are searched by decode time, and a keyframe's decode time can precede its
    /// presentation time (B-frame reordering). So after each seek the keyframe's *pts* is
    /// checked, and the seek goes further back until it is not after `target`.
    pub(crate) fn seek_keyframe(&mut self, target: i64) -> Result<Vec<ff::Packet>, MediaError> {
        let one_second = secs_to_ts(1.0, self.video.tb).max(1);
        let mut ts = target;
        for attempt in 0..12 {
            // SAFETY: the context is a valid, open input owned by `self`.
            let ret = unsafe {
                ff::ffi::av_seek_frame(
                    self.input.as_mut_ptr(),
                    self.video.index as i32,
                    ts,
                    ff::ffi::AVSEEK_FLAG_BACKWARD,
                )
            };
            if ret < 0 {
                // Before the first keyframe: rewind to the very start instead.
                let ret = unsafe {
                    ff::ffi::av_seek_frame(
                        self.input.as_mut_ptr(),
                        self.video.index as i32,
                        i64::MIN / 2,
                        ff::ffi::AVSEEK_FLAG_BACKWARD,
                    )
                };
                if ret < 0 {
                    unsafe {
                        ff::ffi::avformat_seek_file(self.input.as_mut_ptr(), -1, i64::MIN, 0, 0, 0);
                    }
                }
            }
            let mut buffered = Vec::new();
            loop {
                match self.read()? {
                    Read::Eof => return Err(self.corrupt("no video data at the seek position")),
                    Read::Packet(p) if p.stream() == self.video.index => {
                        if !p.is_key() {
                            // Some demuxers land on a non-key packet; skip to the next keyframe.
                            continue;
                        }
                        let pts = p.pts().or(p.dts()).unwrap_or(i64::MIN);
                        let at_start = ts <= self.video.origin - one_second;
                        if pts <= target || at_start || attempt == 11 {
                            buffered.push(p);
                            return Ok(buffered);
                        }
                        ts = ts.min(pts) - one_second * (attempt + 1);
                        break;
                    }
                    Read::Packet(p) => buffered.push(p),
                }
            }
        }
        Err(self.corrupt("could not find a keyframe before the interval"))
    }
}

/// Decoder and converter state kept by a [`Source`] between key frames.
pub(crate) struct FrameState {
    pub(crate) decoder: ff::decoder::Video,
    pub(crate) scaler: Option<(ff::format::Pixel, u32, u32, ff::software::scaling::Context)>,
}

impl Source {
    pub(crate) fn frame_state(&mut self) -> Result<&mut FrameState, MediaError> {
        if self.frames.is_none() {
            let stream = self
                .input
                .stream(self.video.index)
                .ok_or_else(|| self.corrupt("video stream vanished"))?;
            let mut ctx = ff::codec::Context::from_parameters(stream.parameters())
                .map_err(|e| self.corrupt(e.to_string()))?;
            // One thread per decoder: workers already run intervals in parallel, and frame
            // threading would only add latency to reach one frame.
            ctx.set_threading(ff::codec::threading::Config::count(1));
            let decoder = ctx
                .decoder()
                .video()
                .map_err(|e| self.corrupt(e.to_string()))?;
            self.frames = Some(FrameState {
                decoder,
                scaler: None,
            });
        }
        let path = self.path.clone();
        self.frames.as_mut().ok_or(MediaError::Corrupt {
            file: path,
            detail: "decoder state missing".into(),
        })
    }
}
