//! Voice activity detection by short-time energy, and grouping of speech into chunks for Whisper.
//!
//! whisper.cpp's own VAD needs a separate Silero model; this detector needs nothing. Classroom
//! recordings have long quiet stretches, and decoding them wastes time and invites hallucinated
//! text, so only speech chunks reach the model. The threshold adapts to the recording's noise
//! floor (the 10th percentile of frame energies), stays within 15 dB of the loud level (so
//! continuous talk is not mistaken for noise) and never goes below an absolute level, so digital
//! silence and a quiet room both read as silence.

/// Analysis frame: 20 ms at 16 kHz.
const FRAME: usize = 320;
const RATE: f64 = 16_000.0;

/// Tuning of the detector. Durations in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadParams {
    /// Speech must be this many dB above the noise floor.
    pub margin_db: f64,
    /// ... and above this absolute level (dBFS).
    pub min_level_db: f64,
    /// Frames within this many dB of the loud level (95th percentile) always count as speech:
    /// in continuous talk the quietest frames are speech too, not a noise floor.
    pub peak_margin_db: f64,
    /// Shorter bursts are dropped (clicks, chair scrapes).
    pub min_speech: f64,
    /// Pauses shorter than this do not end a speech region.
    pub hangover: f64,
    /// Padding added around each region so word onsets are kept.
    pub pad: f64,
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams {
            margin_db: 12.0,
            min_level_db: -50.0,
            peak_margin_db: 15.0,
            min_speech: 0.15,
            hangover: 0.3,
            pad: 0.2,
        }
    }
}

/// A time span in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start: f64,
    pub end: f64,
}

impl Span {
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

fn frame_db(frame: &[f32]) -> f64 {
    let e: f64 = frame
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        / frame.len().max(1) as f64;
    10.0 * (e + 1e-12).log10()
}

/// Frame levels (dBFS per 20 ms frame), computed incrementally so a long lesson can be
/// streamed from disk.
#[derive(Debug, Default, Clone)]
pub struct FrameLevels {
    levels: Vec<f64>,
    partial: Vec<f32>,
    samples: u64,
}

impl FrameLevels {
    /// Adds samples.
    pub fn push(&mut self, mut samples: &[f32]) {
        self.samples += samples.len() as u64;
        if !self.partial.is_empty() {
            let need = FRAME - self.partial.len();
            let take = need.min(samples.len());
            self.partial.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.partial.len() == FRAME {
                self.levels.push(frame_db(&self.partial));
                self.partial.clear();
            }
        }
        let mut frames = samples.chunks_exact(FRAME);
        for f in frames.by_ref() {
            self.levels.push(frame_db(f));
        }
        self.partial.extend_from_slice(frames.remainder());
    }

    /// Speech regions found so far (call after the last push).
    pub fn regions(&self, p: &VadParams) -> Vec<Span> {
        regions_from_levels(&self.levels, self.samples as f64 / RATE, p)
    }
}

/// Speech regions of `samples` (16 kHz mono, -1..1), in seconds, sorted and disjoint.
pub fn speech_regions(samples: &[f32], p: &VadParams) -> Vec<Span> {
    let mut l = FrameLevels::default();
    l.push(samples);
    l.regions(p)
}

fn regions_from_levels(db: &[f64], total: f64, p: &VadParams) -> Vec<Span> {
    if db.is_empty() {
        return Vec::new();
    }
    let mut sorted = db.to_vec();
    sorted.sort_by(f64::total_cmp);
    let floor = sorted[sorted.len() / 10];
    let peak = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let threshold = (floor + p.margin_db)
        .min(peak - p.peak_margin_db)
        .max(p.min_level_db);
    let frame_s = FRAME as f64 / RATE;
    let hang = (p.hangover / frame_s).ceil() as usize;

    let mut regions: Vec<Span> = Vec::new();
    let mut start: Option<usize> = None;
    let mut voiced = 0usize;
    let mut quiet = 0usize;
    let close = |s: usize, end: usize, voiced: usize, regions: &mut Vec<Span>| {
        if voiced as f64 * frame_s >= p.min_speech {
            regions.push(Span {
                start: s as f64 * frame_s,
                end: end as f64 * frame_s,
            });
        }
    };
    for (i, &d) in db.iter().enumerate() {
        let loud = d > threshold;
        match (start, loud) {
            (None, true) => {
                start = Some(i);
                voiced = 1;
                quiet = 0;
            }
            (Some(_), true) => {
                voiced += 1;
                quiet = 0;
            }
            (Some(s), false) => {
                quiet += 1;
                if quiet > hang {
                    close(s, i + 1 - quiet, voiced, &mut regions);
                    start = None;
                }
            }
            (None, false) => {}
        }
    }
    if let Some(s) = start {
        close(s, db.len() - quiet, voiced, &mut regions);
    }
    pad_and_merge(regions, p.pad, total)
}

fn pad_and_merge(regions: Vec<Span>, pad: f64, total: f64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(regions.len());
    for r in regions {
        let r = Span {
            start: (r.start - pad).max(0.0),
            end: (r.end + pad).min(total),
        };
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Groups speech regions into chunks for the model: a chunk is contiguous audio of at most
/// `max_len` seconds, and a pause of `max_gap` or more starts a new chunk (so a language switch
/// between phrases gets its own detection). Regions longer than `max_len` are split.
pub fn chunks(regions: &[Span], max_len: f64, max_gap: f64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for r in regions {
        let mut start = r.start;
        while r.end - start > max_len {
            out.push(Span {
                start,
                end: start + max_len,
            });
            start += max_len;
        }
        let piece = Span { start, end: r.end };
        match out.last_mut() {
            Some(last) if piece.start - last.end < max_gap && piece.end - last.start <= max_len => {
                last.end = piece.end
            }
            _ => out.push(piece),
        }
    }
    out
}

/// Restricts `regions` to the union of `within` (e.g. the clips of a lesson).
pub fn intersect(regions: &[Span], within: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for r in regions {
        for w in within {
            let s = r.start.max(w.start);
            let e = r.end.min(w.end);
            if e > s {
                out.push(Span { start: s, end: e });
            }
        }
    }
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut merged: Vec<Span> = Vec::with_capacity(out.len());
    for s in out {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    merged
}

#[cfg(test)]
#[path = "vad_tests.rs"]
mod tests;
