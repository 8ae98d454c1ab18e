//! The best key frame of an interval: decode the interval once at a low sample rate (about
//! 4 fps, non-reference frames skipped by the decoder), as small grayscale images, score them
//! ([`super::scoring`]), optionally add a term (faces) on the best few, and return the time to
//! decode exactly. The still itself is then decoded from the source at that time, as before.

use ffmpeg_next as ff;

use super::scoring::{self, Choice, FrameTerm, Gray, Sample, Weights};
use super::source::{Packets, Source};
use super::MediaError;

/// How the key frame of an interval is chosen.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum KeyFrameMode {
    /// The sharpest, best-exposed, stillest frame (faces preferred when a detector is on).
    #[default]
    Best,
    /// The frame on screen at the middle of the interval.
    Middle,
}

impl KeyFrameMode {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFrameMode::Best => "best",
            KeyFrameMode::Middle => "middle",
        }
    }
}

/// Sampling and scoring settings.
#[derive(Clone, Copy)]
pub struct Sampling<'a> {
    /// Samples per second.
    pub rate: f64,
    /// Width of the samples in pixels.
    pub width: usize,
    pub weights: Weights,
    /// A term measured on the best `top` samples by the cheap score, and on the best sample of
    /// every `span` seconds (so a short window with a face is not missed), on half-size copies
    /// except for the final best `full` (the detector costs four times as much there).
    pub term: Option<&'a dyn FrameTerm>,
    pub top: usize,
    pub full: usize,
    pub span: f64,
}

impl Default for Sampling<'_> {
    fn default() -> Self {
        Sampling {
            rate: 4.0,
            // Wide enough for a teacher's face at the back of a 720p shot to reach the
            // detector's 20 px.
            width: 640,
            weights: Weights::default(),
            term: None,
            top: 3,
            full: 1,
            span: 2.0,
        }
    }
}

/// The margin skipped at both ends: a tenth of the interval, at most half a second.
pub fn margin(start: f64, end: f64) -> f64 {
    ((end - start) / 10.0).clamp(0.0, 0.5)
}

impl Source {
    /// Grayscale samples of `[start, end]`, at most `rate` per second, `width` pixels wide,
    /// from the I- and P-frames.
    pub fn samples(
        &mut self,
        start: f64,
        end: f64,
        rate: f64,
        width: usize,
    ) -> Result<Vec<(f64, Gray)>, MediaError> {
        // B-frames are referenced by other B-frames only (x264's pyramid): skipping them all
        // leaves the I- and P-frames, plenty for a few samples a second, for a fraction of the
        // decoding.
        self.decode_samples(start, end, rate, width, ff::Discard::Bidirectional)
    }

    /// The keyframes of `[start, end]` (nothing else is decoded).
    pub fn keyframes(
        &mut self,
        start: f64,
        end: f64,
        width: usize,
    ) -> Result<Vec<(f64, Gray)>, MediaError> {
        self.decode_samples(start, end, 1000.0, width, ff::Discard::NonKey)
    }

    fn decode_samples(
        &mut self,
        start: f64,
        end: f64,
        rate: f64,
        width: usize,
        skip: ff::Discard,
    ) -> Result<Vec<(f64, Gray)>, MediaError> {
        let v = self.video;
        let stream = self
            .input
            .stream(v.index)
            .ok_or_else(|| self.corrupt("video stream vanished"))?;
        let mut ctx = ff::codec::Context::from_parameters(stream.parameters())
            .map_err(|e| self.corrupt(e.to_string()))?;
        ctx.set_threading(ff::codec::threading::Config::count(1));
        let mut decoder = ctx
            .decoder()
            .video()
            .map_err(|e| self.corrupt(e.to_string()))?;
        decoder.skip_frame(skip);
        // The samples are scored small (640 px, then halved): deblocking changes nothing there
        // that matters, and skipping it cuts a large share of the decoding.
        decoder.skip_loop_filter(ff::Discard::All);
        let packets = self.seek_keyframe(v.ts(start))?;
        let step = 1.0 / rate.max(0.1);
        let mut next = start;
        let mut out = Vec::new();
        let mut scaler: Option<(ff::format::Pixel, u32, u32, ff::software::scaling::Context)> =
            None;
        let mut frame = ff::frame::Video::empty();
        let mut queue = Packets::new(packets);
        'read: loop {
            let packet = queue.next(self)?;
            match &packet {
                Some(p) if p.stream() == v.index => {
                    let _ = decoder.send_packet(p);
                }
                Some(_) => continue,
                None => {
                    let _ = decoder.send_eof();
                }
            }
            while decoder.receive_frame(&mut frame).is_ok() {
                let t = v.secs(frame.timestamp().or(frame.pts()).unwrap_or(i64::MIN));
                if t > end {
                    break 'read;
                }
                if t + 1e-6 < next {
                    continue;
                }
                next = t + step;
                let g = self.gray(&frame, width, &mut scaler)?;
                out.push((t, g));
            }
            if packet.is_none() {
                break;
            }
        }
        Ok(out)
    }

    fn gray(
        &self,
        frame: &ff::frame::Video,
        width: usize,
        scaler: &mut Option<(ff::format::Pixel, u32, u32, ff::software::scaling::Context)>,
    ) -> Result<Gray, MediaError> {
        let (fmt, w, h) = (frame.format(), frame.width(), frame.height());
        let tw = (width as u32).clamp(16, w.max(16)) & !1;
        let th = ((h as u64 * tw as u64 / w.max(1) as u64) as u32).max(2) & !1;
        if scaler
            .as_ref()
            .is_none_or(|(f, sw, sh, _)| (*f, *sw, *sh) != (fmt, w, h))
        {
            let ctx = ff::software::scaling::Context::get(
                fmt,
                w,
                h,
                ff::format::Pixel::GRAY8,
                tw,
                th,
                ff::software::scaling::Flags::AREA,
            )
            .map_err(|e| self.corrupt(format!("cannot scale {fmt:?} frames: {e}")))?;
            *scaler = Some((fmt, w, h, ctx));
        }
        let Some((_, _, _, ctx)) = scaler.as_mut() else {
            return Err(self.corrupt("scaler"));
        };
        let mut out = ff::frame::Video::empty();
        ctx.run(frame, &mut out)
            .map_err(|e| self.corrupt(format!("frame scaling failed: {e}")))?;
        let stride = out.stride(0);
        let plane = out.data(0);
        let (ow, oh) = (out.width() as usize, out.height() as usize);
        let mut data = Vec::with_capacity(ow * oh);
        for y in 0..oh {
            data.extend_from_slice(&plane[y * stride..y * stride + ow]);
        }
        Ok(Gray {
            width: ow,
            height: oh,
            data,
        })
    }

    /// Chooses the key frame time of `[start, end]` (seconds); `middle` is the middle frame's
    /// time, kept for flat intervals.
    ///
    /// Coarse to fine when the interval spans at least [`COARSE_MIN_KEYS`] keyframes: the
    /// keyframes alone are scored among themselves, then the group of pictures of the best and
    /// the middle's (up to the middle) are sampled and scored among themselves (so I- and
    /// P-frames sampled at different rates are never compared). Otherwise the whole interval is sampled.
    pub fn best_time(
        &mut self,
        start: f64,
        end: f64,
        middle: f64,
        s: &Sampling<'_>,
    ) -> Result<Choice, MediaError> {
        let m = margin(start, end);
        let (a, b) = (start + m, end - m);
        let half = ((end - start) / 2.0).max(1e-3);
        let mut faces = TermCache::default();
        let keys = self.keyframes(a, b, s.width)?;
        let mut coarse = Vec::new();
        let frames = if keys.len() >= COARSE_MIN_KEYS {
            let (samples, _, scores) = score(
                &keys,
                &[],
                (middle, half),
                s,
                &mut faces,
                2.0 / s.rate,
                Pass::Coarse,
            );
            let mut order: Vec<usize> = (0..keys.len()).collect();
            order.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]));
            let mid = keys.iter().rposition(|(t, _)| *t <= middle).unwrap_or(0);
            let best = order.first().copied().unwrap_or(mid);
            let mut groups = vec![best, mid];
            groups.sort_unstable();
            groups.dedup();
            let mut frames = Vec::new();
            for i in groups {
                let from = samples[i].time;
                let mut to = keys.get(i + 1).map_or(b, |(t, _)| t - 1e-3);
                if i != best {
                    // The middle's group only as far as the sample nearest the middle.
                    to = to.min(middle + 1.0 / s.rate);
                }
                frames.extend(self.samples(from, to, s.rate, s.width)?);
            }
            coarse = samples;
            frames
        } else {
            self.samples(a, b, s.rate, s.width)?
        };
        let (samples, terms, scores) = score(
            &frames,
            &coarse,
            (middle, half),
            s,
            &mut faces,
            1.5 / s.rate,
            if coarse.is_empty() {
                Pass::Coarse
            } else {
                Pass::Fine
            },
        );
        Ok(scoring::choose_with(
            &samples, &terms, &scores, middle, half, s.top,
        ))
    }
}

/// Intervals spanning fewer keyframes are sampled whole.
pub const COARSE_MIN_KEYS: usize = 4;

/// A term measured once per frame time and scale (a keyframe is scored in both passes): the
/// value, and whether it was measured on the full-size sample (else on the half-size copy).
#[derive(Default)]
struct TermCache(std::collections::HashMap<i64, (f64, bool)>);

/// Which pass [`score`] serves: where the term is measured, and at what size.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// The keyframes of a long interval, or a short interval sampled whole: the best `full`
    /// at full size, the rest of the best few and the best of every `span` seconds on
    /// half-size copies (a quarter of the detector's work).
    Coarse,
    /// The groups of pictures after a coarse pass: the best `full` at full size (unless the
    /// coarse pass already found a face there), the rest of the best few on half-size copies.
    Fine,
}

/// Features, terms and scores of `frames` (ranges widened by `reference`; the interval placed
/// by its middle and half length; the term measured as `pass` says); motion is measured
/// against the previous frame only when it is at most `gap` seconds earlier (else the next
/// frame's motion is used).
fn score(
    frames: &[(f64, Gray)],
    reference: &[Sample],
    (middle, half): (f64, f64),
    s: &Sampling<'_>,
    cache: &mut TermCache,
    gap: f64,
    pass: Pass,
) -> (Vec<Sample>, Vec<scoring::Terms>, Vec<f64>) {
    // The cheap features on a half-size copy (a quarter of the pixels).
    let small: Vec<Gray> = frames.iter().map(|(_, g)| scoring::half(g)).collect();
    let mut samples: Vec<Sample> = Vec::with_capacity(frames.len());
    let mut no_prev = Vec::new();
    for (i, (t, _)) in frames.iter().enumerate() {
        let prev = i
            .checked_sub(1)
            .filter(|&j| t - frames[j].0 <= gap)
            .map(|j| &small[j]);
        if prev.is_none() {
            no_prev.push(i);
        }
        samples.push(Sample {
            time: *t,
            features: scoring::features(&small[i], prev),
        });
    }
    // A run's first sample has no predecessor: give it its successor's motion.
    for i in no_prev {
        if i + 1 < samples.len() && frames[i + 1].0 - frames[i].0 <= gap {
            samples[i].features.motion = samples[i + 1].features.motion;
        }
    }
    let mut terms = scoring::terms_within(&samples, reference, middle, half);
    let mut scores: Vec<f64> = terms.iter().map(|t| s.weights.score(t)).collect();
    if let Some(term) = s.term {
        let mut order: Vec<usize> = (0..samples.len()).collect();
        order.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]));
        let top: Vec<usize> = order.iter().take(s.top).copied().collect();
        let ms: Vec<i64> = samples
            .iter()
            .map(|x| (x.time * 1000.0).round() as i64)
            .collect();
        // (sample, on the full-size sample?)
        let mut pick: Vec<(usize, bool)> = Vec::new();
        // A face too small for a half-size copy is still found if its frame reaches the best
        // few at full size.
        pick.extend(top.iter().enumerate().map(|(rank, &i)| (i, rank < s.full)));
        if pass != Pass::Fine {
            let mut buckets = std::collections::BTreeSet::new();
            let first = samples.first().map_or(0.0, |x| x.time);
            for &i in &order {
                let bucket = ((samples[i].time - first) / s.span.max(0.1)).floor() as i64;
                if buckets.insert(bucket) && !top.contains(&i) {
                    pick.push((i, false));
                }
            }
        }
        // Frames measured in the coarse pass keep their value.
        pick.extend(
            (0..samples.len())
                .filter(|&i| cache.0.contains_key(&ms[i]))
                .map(|i| (i, false)),
        );
        pick.sort_unstable();
        pick.dedup_by(|b, a| {
            let same = a.0 == b.0;
            a.1 |= same && b.1;
            same
        });
        for &(i, full) in &pick {
            let known = cache.0.get(&ms[i]).copied();
            let x = match known {
                Some((x, was_full)) if was_full || !full || x > 0.0 => x,
                _ => {
                    let img = if full { &frames[i].1 } else { &small[i] };
                    let x = term.measure(img).clamp(0.0, 1.0);
                    cache.0.insert(ms[i], (x, full));
                    x
                }
            };
            samples[i].features.extra = x;
            terms[i].extra = x;
            scores[i] += s.weights.extra * x;
        }
    }
    for (i, x) in samples.iter().enumerate() {
        tracing::trace!(time = x.time, score = scores[i], terms = ?terms[i], "key-frame sample");
    }
    (samples, terms, scores)
}
