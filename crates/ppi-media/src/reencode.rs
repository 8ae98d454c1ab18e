//! `--reencode`: a clip re-encoded from exactly its frames (H.264 + AAC), for consumers that
//! ignore MP4 edit lists. Slower than the default edit-list cut, but plays the same everywhere.

use std::path::Path;

use ffmpeg_next as ff;

use super::clip::{ClipOutcome, ClipRequest};
use super::source::{Packets, Source};
use super::{utf8_path, MediaError};
use ppi_core::atomic::PartFile;

/// Samples of encoder input collected until a full AAC frame is available.
struct AudioFifo {
    planes: Vec<Vec<f32>>,
    next_pts: i64,
}

struct AudioOut {
    decoder: ff::decoder::Audio,
    resampler: Option<ff::software::resampling::Context>,
    encoder: ff::encoder::Audio,
    fifo: AudioFifo,
    in_tb: ff::Rational,
    out_index: usize,
    /// Input samples before this time (seconds from origin) are dropped.
    start: f64,
    end: f64,
}

impl Source {
    pub(crate) fn reencode_clip(
        &mut self,
        req: &ClipRequest,
        out: &Path,
    ) -> Result<ClipOutcome, MediaError> {
        let part = PartFile::new(out);
        let outcome = self.reencode_into(req, part.path())?;
        part.commit().map_err(|e| MediaError::Write {
            file: out.into(),
            detail: e.to_string(),
        })?;
        Ok(outcome)
    }

    fn reencode_into(&mut self, req: &ClipRequest, out: &Path) -> Result<ClipOutcome, MediaError> {
        let werr = |e: ff::Error| MediaError::Write {
            file: out.into(),
            detail: e.to_string(),
        };
        let v = self.video;
        let half = req.frame_duration / 2.0;
        let (start_b, end_b) = (v.ts(req.start - half), v.ts(req.end - half));
        let packets = self.seek_keyframe(start_b)?;

        let vstream = self
            .input
            .stream(v.index)
            .ok_or_else(|| self.corrupt("video stream vanished"))?;
        let vdec_ctx = ff::codec::Context::from_parameters(vstream.parameters())
            .map_err(|e| self.corrupt(e.to_string()))?;
        let mut vdec = vdec_ctx
            .decoder()
            .video()
            .map_err(|e| self.corrupt(e.to_string()))?;

        let mut octx = ff::format::output_as(utf8_path(out)?, "mp4").map_err(werr)?;
        let global = octx
            .format()
            .flags()
            .contains(ff::format::Flags::GLOBAL_HEADER);
        let h264 = ff::encoder::find_by_name("libx264")
            .or_else(|| ff::encoder::find(ff::codec::Id::H264))
            .ok_or_else(|| MediaError::Write {
                file: out.into(),
                detail: "no H.264 encoder in this FFmpeg build".into(),
            })?;
        let rate = ff::Rational(self.probe.video.fps_num, self.probe.video.fps_den);
        let mut venc = ff::codec::Context::new_with_codec(h264)
            .encoder()
            .video()
            .map_err(werr)?;
        venc.set_width(vdec.width());
        venc.set_height(vdec.height());
        venc.set_format(ff::format::Pixel::YUV420P);
        venc.set_time_base(v.tb);
        venc.set_frame_rate(Some(rate));
        if global {
            venc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = ff::Dictionary::new();
        opts.set("preset", "veryfast");
        opts.set("crf", "18");
        let mut venc = venc.open_as_with(h264, opts).map_err(werr)?;
        let v_out = {
            let mut ost = octx.add_stream(h264).map_err(werr)?;
            ost.set_parameters(&venc);
            ost.set_time_base(v.tb);
            ost.index()
        };

        let mut audio = match self.audio {
            Some(a) => Some(self.audio_out(a, req, &mut octx, global).map_err(werr)?),
            None => None,
        };

        octx.write_header().map_err(werr)?;
        let v_out_tb = octx.stream(v_out).map(|s| s.time_base()).unwrap_or(v.tb);

        let frame_ticks = super::secs_to_ts(req.frame_duration, v.tb).max(1);
        let mut scaler: Option<ff::software::scaling::Context> = None;
        let mut frame = ff::frame::Video::empty();
        let mut zero: Option<i64> = None;
        let mut last_end: Option<i64> = None;
        let mut frames = 0u64;
        let mut bytes = 0u64;
        let mut video_done = false;
        let mut queue = Packets::new(packets);
        while !(video_done && audio.as_ref().is_none_or(|a| a.done())) {
            let packet = queue.next(self)?;
            match &packet {
                Some(p) if p.stream() == v.index => {
                    if video_done {
                        continue;
                    }
                    let _ = vdec.send_packet(p);
                }
                Some(p) => {
                    if let Some(a) = audio.as_mut() {
                        if self.audio.is_some_and(|ac| ac.index == p.stream()) {
                            bytes += a
                                .feed(Some(p), v.secs(zero.unwrap_or(start_b)), &mut octx)
                                .map_err(werr)?;
                        }
                    }
                    continue;
                }
                None => {
                    let _ = vdec.send_eof();
                    if let Some(a) = audio.as_mut() {
                        bytes += a
                            .feed(None, v.secs(zero.unwrap_or(start_b)), &mut octx)
                            .map_err(werr)?;
                    }
                }
            }
            while !video_done && vdec.receive_frame(&mut frame).is_ok() {
                let pts = frame.timestamp().or(frame.pts()).unwrap_or(i64::MIN);
                if pts < start_b {
                    continue;
                }
                if pts >= end_b {
                    video_done = true;
                    break;
                }
                let z = *zero.get_or_insert(pts);
                let mut yuv = if frame.format() == ff::format::Pixel::YUV420P {
                    frame.clone()
                } else {
                    let sc = match scaler.as_mut() {
                        Some(s) => s,
                        None => scaler.insert(
                            ff::software::scaling::Context::get(
                                frame.format(),
                                frame.width(),
                                frame.height(),
                                ff::format::Pixel::YUV420P,
                                frame.width(),
                                frame.height(),
                                ff::software::scaling::Flags::BICUBIC,
                            )
                            .map_err(werr)?,
                        ),
                    };
                    let mut o = ff::frame::Video::empty();
                    sc.run(&frame, &mut o).map_err(werr)?;
                    o
                };
                yuv.set_pts(Some(pts - z));
                venc.send_frame(&yuv).map_err(werr)?;
                bytes += drain_video(&mut venc, &mut octx, frame_ticks, v.tb, v_out_tb, v_out)
                    .map_err(werr)?;
                frames += 1;
                let dur = frame.packet().duration;
                last_end = Some(
                    pts + if dur > 0 {
                        dur
                    } else {
                        super::secs_to_ts(req.frame_duration, v.tb).max(1)
                    },
                );
            }
            if packet.is_none() {
                break;
            }
        }
        venc.send_eof().map_err(werr)?;
        bytes +=
            drain_video(&mut venc, &mut octx, frame_ticks, v.tb, v_out_tb, v_out).map_err(werr)?;
        if let Some(a) = audio.as_mut() {
            bytes += a.finish(&mut octx).map_err(werr)?;
        }
        octx.write_trailer().map_err(werr)?;

        let (Some(z), Some(end)) = (zero, last_end) else {
            return Err(MediaError::OutOfRange {
                file: self.path.clone(),
                detail: format!(
                    "no video frame between {:.3} s and {:.3} s",
                    req.start, req.end
                ),
            });
        };
        Ok(ClipOutcome {
            start: v.secs(z),
            end: v.secs(end),
            frames,
            bytes,
        })
    }

    fn audio_out(
        &mut self,
        a: super::source::StreamClock,
        req: &ClipRequest,
        octx: &mut ff::format::context::Output,
        global: bool,
    ) -> Result<AudioOut, ff::Error> {
        let stream = self
            .input
            .stream(a.index)
            .ok_or(ff::Error::StreamNotFound)?;
        let decoder = ff::codec::Context::from_parameters(stream.parameters())?
            .decoder()
            .audio()?;
        let aac = ff::encoder::find(ff::codec::Id::AAC).ok_or(ff::Error::EncoderNotFound)?;
        let mut enc = ff::codec::Context::new_with_codec(aac).encoder().audio()?;
        let rate = decoder.rate().max(8000);
        let layout = if decoder.channel_layout().is_empty() {
            ff::ChannelLayout::default(i32::from(decoder.channels().max(1)))
        } else {
            decoder.channel_layout()
        };
        enc.set_rate(rate as i32);
        enc.set_channel_layout(layout);
        enc.set_format(ff::format::Sample::F32(ff::format::sample::Type::Planar));
        enc.set_bit_rate(128_000);
        enc.set_time_base(ff::Rational(1, rate as i32));
        if global {
            enc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let encoder = enc.open_as(aac)?;
        let out_index = {
            let mut ost = octx.add_stream(aac)?;
            ost.set_parameters(&encoder);
            ost.set_time_base(ff::Rational(1, rate as i32));
            ost.index()
        };
        let channels = layout.channels().max(1) as usize;
        Ok(AudioOut {
            decoder,
            resampler: None,
            encoder,
            fifo: AudioFifo {
                planes: vec![Vec::new(); channels],
                next_pts: 0,
            },
            in_tb: a.tb,
            out_index,
            start: req.start,
            end: req.end,
        }
        .with_origin(a))
    }
}

impl AudioOut {
    fn with_origin(mut self, a: super::source::StreamClock) -> Self {
        // Times below are seconds from the video origin; shift to the audio stream's clock.
        let origin = super::ts_to_secs(a.origin, a.tb);
        self.start += origin;
        self.end += origin;
        self
    }

    fn done(&self) -> bool {
        self.start >= self.end
    }

    /// Decodes a packet (or flushes on `None`), trims to `[start, end)` and encodes full frames.
    fn feed(
        &mut self,
        packet: Option<&ff::Packet>,
        _video_zero: f64,
        octx: &mut ff::format::context::Output,
    ) -> Result<u64, ff::Error> {
        match packet {
            Some(p) => {
                let _ = self.decoder.send_packet(p);
            }
            None => {
                let _ = self.decoder.send_eof();
            }
        }
        let mut bytes = 0;
        let mut decoded = ff::frame::Audio::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            if decoded.channel_layout().is_empty() {
                decoded
                    .set_channel_layout(ff::ChannelLayout::default(i32::from(decoded.channels())));
            }
            let t0 = super::ts_to_secs(
                decoded.timestamp().or(decoded.pts()).unwrap_or(0),
                self.in_tb,
            );
            let rate = f64::from(decoded.rate());
            let n = decoded.samples();
            let skip = (((self.start - t0) * rate).round().max(0.0) as usize).min(n);
            let keep_end = (((self.end - t0) * rate).round().max(0.0) as usize).min(n);
            if keep_end <= skip {
                if t0 >= self.end {
                    self.start = self.end; // done
                }
                continue;
            }
            let rs = match self.resampler.as_mut() {
                Some(r) => r,
                None => self
                    .resampler
                    .insert(ff::software::resampling::Context::get(
                        decoded.format(),
                        decoded.channel_layout(),
                        decoded.rate(),
                        self.encoder.format(),
                        self.encoder.channel_layout(),
                        self.encoder.rate(),
                    )?),
            };
            let mut planar = ff::frame::Audio::empty();
            rs.run(&decoded, &mut planar)?;
            let got = planar.samples();
            // Same rate, so sample indices carry over.
            let (s, e) = (skip.min(got), keep_end.min(got));
            for (c, plane) in self.fifo.planes.iter_mut().enumerate() {
                plane.extend_from_slice(&planar.plane::<f32>(c)[s..e]);
            }
            bytes += self.encode_ready(octx, false)?;
        }
        Ok(bytes)
    }

    fn encode_ready(
        &mut self,
        octx: &mut ff::format::context::Output,
        flush: bool,
    ) -> Result<u64, ff::Error> {
        let size = (self.encoder.frame_size() as usize).max(1);
        let mut bytes = 0;
        while self.fifo.planes[0].len() >= size || (flush && !self.fifo.planes[0].is_empty()) {
            let n = self.fifo.planes[0].len().min(size);
            let mut frame =
                ff::frame::Audio::new(self.encoder.format(), n, self.encoder.channel_layout());
            frame.set_rate(self.encoder.rate());
            for (c, plane) in self.fifo.planes.iter_mut().enumerate() {
                frame.plane_mut::<f32>(c)[..n].copy_from_slice(&plane[..n]);
                plane.drain(..n);
            }
            frame.set_pts(Some(self.fifo.next_pts));
            self.fifo.next_pts += n as i64;
            self.encoder.send_frame(&frame)?;
            bytes += self.drain(octx)?;
        }
        Ok(bytes)
    }

    fn drain(&mut self, octx: &mut ff::format::context::Output) -> Result<u64, ff::Error> {
        let enc_tb = ff::Rational(1, self.encoder.rate() as i32);
        let out_tb = octx
            .stream(self.out_index)
            .map(|s| s.time_base())
            .unwrap_or(enc_tb);
        let mut bytes = 0;
        let mut packet = ff::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.out_index);
            packet.rescale_ts(enc_tb, out_tb);
            bytes += packet.size() as u64;
            packet.write_interleaved(octx)?;
        }
        Ok(bytes)
    }

    fn finish(&mut self, octx: &mut ff::format::context::Output) -> Result<u64, ff::Error> {
        if self.fifo.next_pts < 0 {
            return Ok(0);
        }
        let mut bytes = self.encode_ready(octx, true)?;
        let _ = self.encoder.send_eof();
        bytes += self.drain(octx)?;
        self.fifo.next_pts = -1;
        self.start = self.end;
        Ok(bytes)
    }
}

/// Writes the encoder's pending packets. Encoders leave packet durations unset, and a zero
/// duration would give a one-frame clip an empty edit list, so each packet gets one frame.
fn drain_video(
    enc: &mut ff::encoder::Video,
    octx: &mut ff::format::context::Output,
    frame_ticks: i64,
    enc_tb: ff::Rational,
    out_tb: ff::Rational,
    index: usize,
) -> Result<u64, ff::Error> {
    let mut bytes = 0;
    let mut packet = ff::Packet::empty();
    while enc.receive_packet(&mut packet).is_ok() {
        if packet.duration() <= 0 {
            packet.set_duration(frame_ticks);
        }
        packet.set_stream(index);
        packet.rescale_ts(enc_tb, out_tb);
        bytes += packet.size() as u64;
        packet.write_interleaved(octx)?;
    }
    Ok(bytes)
}
