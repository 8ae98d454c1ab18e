//! Key-frame scoring (pure): features of small grayscale samples of an interval — sharpness
//! (variance of the Laplacian), exposure (mean luma, clipped share), contrast, motion — each
//! normalised *within the interval* (a board full of text is "sharp"; nothing is compared with
//! an absolute threshold), combined by weights, with a small pull toward the middle so a flat
//! interval keeps its middle frame. Scorers are [`FrameTerm`]s, so new ones (faces) add a term.

/// A grayscale image, one byte per pixel, rows packed.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// What was measured on one sample.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Features {
    /// Variance of the 4-neighbour Laplacian (luma 0–255).
    pub sharpness: f64,
    /// Mean luma, 0–1.
    pub luma: f64,
    /// Share of pixels at the ends of the range (≤ 4 or ≥ 251).
    pub clipped: f64,
    /// Standard deviation of luma, 0–1.
    pub contrast: f64,
    /// Mean absolute difference from the previous sample, 0–1.
    pub motion: f64,
    /// Extra terms (faces…), already in 0–1.
    pub extra: f64,
}

/// One sample of an interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub time: f64,
    pub features: Features,
}

/// How the terms add up. Positive terms reward, negative ones penalise.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    pub sharpness: f64,
    pub contrast: f64,
    /// Penalty on the distance of mean luma from mid-grey.
    pub exposure: f64,
    pub clipped: f64,
    pub motion: f64,
    pub extra: f64,
    /// Pull toward the interval's middle (the tie-break).
    pub middle: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            sharpness: 1.0,
            contrast: 0.5,
            exposure: 0.6,
            clipped: 0.8,
            motion: 0.3,
            extra: 1.0,
            middle: 0.05,
        }
    }
}

/// A score this much better than the middle sample's is needed to move away from the middle.
pub const MOVE_MARGIN: f64 = 0.05;

/// A term computed on a few frames (the best by the cheap score) and added as `extra`.
pub trait FrameTerm: Send + Sync {
    fn name(&self) -> &'static str;
    /// 0–1 for one frame.
    fn measure(&self, frame: &Gray) -> f64;
}

/// A half-size copy (2×2 means).
pub fn half(g: &Gray) -> Gray {
    let (w, h) = (g.width / 2, g.height / 2);
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        let (a, b) = (&g.data[2 * y * g.width..], &g.data[(2 * y + 1) * g.width..]);
        for x in 0..w {
            let s = a[2 * x] as u16 + a[2 * x + 1] as u16 + b[2 * x] as u16 + b[2 * x + 1] as u16;
            data.push(((s + 2) / 4) as u8);
        }
    }
    Gray {
        width: w,
        height: h,
        data,
    }
}

/// The cheap features of `frame`, with `prev` the previous sample (for motion).
pub fn features(frame: &Gray, prev: Option<&Gray>) -> Features {
    let (w, h) = (frame.width, frame.height);
    let px = &frame.data;
    let n = px.len().max(1) as f64;
    let (mut sum, mut sq, mut clipped) = (0f64, 0f64, 0usize);
    for &p in px {
        let v = p as f64;
        sum += v;
        sq += v * v;
        if !(5..=250).contains(&p) {
            clipped += 1;
        }
    }
    let mean = sum / n;
    let var = (sq / n - mean * mean).max(0.0);
    let (mut ls, mut lsq, mut ln) = (0f64, 0f64, 0f64);
    for y in 1..h.saturating_sub(1) {
        let row = y * w;
        for x in 1..w.saturating_sub(1) {
            let i = row + x;
            let l = px[i - 1] as f64 + px[i + 1] as f64 + px[i - w] as f64 + px[i + w] as f64
                - 4.0 * px[i] as f64;
            ls += l;
            lsq += l * l;
            ln += 1.0;
        }
    }
    let sharpness = if ln > 0.0 {
        (lsq / ln - (ls / ln).powi(2)).max(0.0)
    } else {
        0.0
    };
    let motion = prev
        .filter(|p| p.data.len() == px.len())
        .map(|p| {
            p.data
                .iter()
                .zip(px)
                .map(|(a, b)| a.abs_diff(*b) as f64)
                .sum::<f64>()
                / n
                / 255.0
        })
        .unwrap_or(0.0);
    Features {
        sharpness,
        luma: mean / 255.0,
        clipped: clipped as f64 / n,
        contrast: var.sqrt() / 255.0,
        motion,
        extra: 0.0,
    }
}

/// The smallest spread of a feature that scales to the full 0–1 (see [`normalised`]).
#[derive(Clone, Copy)]
enum Floor {
    /// A share of the largest value.
    Relative(f64),
    Absolute(f64),
}

/// Sharpness varies by a quarter of its value before it counts fully (a board full of text is
/// sharp whatever its absolute level); the others in their own units: 2 % of the pixels
/// clipped, 0.05 of luma, 0.03 of contrast, 0.02 of mean difference.
const SHARPNESS_FLOOR: Floor = Floor::Relative(0.25);
const CLIPPED_FLOOR: Floor = Floor::Absolute(0.02);
const EXPOSURE_FLOOR: Floor = Floor::Absolute(0.05);
const CONTRAST_FLOOR: Floor = Floor::Absolute(0.03);
const MOTION_FLOOR: Floor = Floor::Absolute(0.02);

/// Min–max scaling within the interval (`values`, with `reference` values widening the
/// range). A spread below the feature's floor scales as the floor, so differences at the
/// level of coding noise count little; a feature that does not vary scales to 0 everywhere.
fn normalised(values: &[f64], reference: &[f64], floor: Floor) -> Vec<f64> {
    let all = || values.iter().chain(reference).copied();
    let lo = all().fold(f64::INFINITY, f64::min);
    let hi = all().fold(f64::NEG_INFINITY, f64::max);
    let min_range = match floor {
        Floor::Relative(r) => r * hi.abs(),
        Floor::Absolute(a) => a,
    };
    let range = (hi - lo).max(min_range);
    if !range.is_finite() || hi - lo <= 1e-6 * hi.abs().max(1e-3) {
        return vec![0.0; values.len()];
    }
    values.iter().map(|v| (v - lo) / range).collect()
}

/// One sample's terms as the weights see them: each feature scaled within the interval
/// (0–1), `extra` as measured, `middle` the closeness to the interval's middle (1 at it).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Terms {
    pub sharpness: f64,
    pub contrast: f64,
    /// Distance of mean luma from mid-grey (scaled).
    pub exposure: f64,
    pub clipped: f64,
    pub motion: f64,
    pub extra: f64,
    pub middle: f64,
}

impl Terms {
    /// The terms in [`Weights::vector`]'s order.
    pub fn vector(&self) -> [f64; 7] {
        [
            self.sharpness,
            self.contrast,
            self.exposure,
            self.clipped,
            self.motion,
            self.extra,
            self.middle,
        ]
    }
}

impl Weights {
    /// Signed weights in [`Terms::vector`]'s order (penalties negative).
    pub fn vector(&self) -> [f64; 7] {
        [
            self.sharpness,
            self.contrast,
            -self.exposure,
            -self.clipped,
            -self.motion,
            self.extra,
            self.middle,
        ]
    }

    /// The inverse of [`Weights::vector`].
    pub fn from_vector(v: [f64; 7]) -> Weights {
        Weights {
            sharpness: v[0],
            contrast: v[1],
            exposure: -v[2],
            clipped: -v[3],
            motion: -v[4],
            extra: v[5],
            middle: v[6],
        }
    }

    pub fn score(&self, t: &Terms) -> f64 {
        self.vector()
            .iter()
            .zip(t.vector())
            .map(|(w, x)| w * x)
            .sum()
    }
}

/// Each sample's terms; `middle` and `half` place the interval (seconds).
pub fn terms(samples: &[Sample], middle: f64, half: f64) -> Vec<Terms> {
    terms_within(samples, &[], middle, half)
}

/// Each sample's terms, the ranges also spanning `reference` samples of the same interval
/// (its keyframes, when only parts of it were sampled); motion is scaled among `samples` only
/// (the reference's is measured over other distances).
pub fn terms_within(
    samples: &[Sample],
    reference: &[Sample],
    middle: f64,
    half: f64,
) -> Vec<Terms> {
    let col = |f: fn(&Features) -> f64, with_reference: bool, floor: Floor| -> Vec<f64> {
        let v: Vec<f64> = samples.iter().map(|s| f(&s.features)).collect();
        let r: Vec<f64> = if with_reference {
            reference.iter().map(|s| f(&s.features)).collect()
        } else {
            Vec::new()
        };
        normalised(&v, &r, floor)
    };
    let sharp = col(|f| f.sharpness, true, SHARPNESS_FLOOR);
    let contrast = col(|f| f.contrast, true, CONTRAST_FLOOR);
    let exposure = col(|f| (f.luma - 0.5).abs(), true, EXPOSURE_FLOOR);
    let clipped = col(|f| f.clipped, true, CLIPPED_FLOOR);
    let motion = col(|f| f.motion, false, MOTION_FLOOR);
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| Terms {
            sharpness: sharp[i],
            contrast: contrast[i],
            exposure: exposure[i],
            clipped: clipped[i],
            motion: motion[i],
            extra: s.features.extra,
            middle: 1.0 - ((s.time - middle).abs() / half.max(1e-3)).min(1.0),
        })
        .collect()
}

/// Each sample's score; `middle` and `half` place the interval (seconds).
pub fn scores(samples: &[Sample], middle: f64, half: f64, w: &Weights) -> Vec<f64> {
    terms(samples, middle, half)
        .iter()
        .map(|t| w.score(t))
        .collect()
}

/// A frame a reviewer may pick instead: its time, score and terms (kept for learning).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    pub time: f64,
    pub score: f64,
    pub terms: Terms,
}

/// The choice for an interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The chosen time (the exact middle when nothing beats it by [`MOVE_MARGIN`]).
    pub time: f64,
    pub score: f64,
    /// The score of the sample nearest the middle.
    pub middle_score: f64,
    /// Index of the chosen sample, `None` for the middle.
    pub sample: Option<usize>,
    /// The chosen frame first, then the next best frames at least [`spacing`] apart.
    pub candidates: Vec<Candidate>,
}

/// How far apart candidates must be: a tenth of the interval, at least half a second.
pub fn spacing(half: f64) -> f64 {
    (half / 5.0).max(0.5)
}

/// The best sample by `scores`, unless it does not beat the middle by the margin; with up to
/// `n` candidates (see [`Choice::candidates`]).
pub fn choose_with(
    samples: &[Sample],
    terms: &[Terms],
    scores: &[f64],
    middle: f64,
    half: f64,
    n: usize,
) -> Choice {
    let mut c = choose(samples, scores, middle);
    if samples.is_empty() || n == 0 {
        return c;
    }
    let gap = spacing(half);
    let first = c.sample.unwrap_or_else(|| nearest(samples, middle));
    c.candidates.push(Candidate {
        time: c.time,
        score: c.score,
        terms: terms[first],
    });
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    for i in order {
        if c.candidates.len() >= n {
            break;
        }
        if c.candidates
            .iter()
            .all(|k| (k.time - samples[i].time).abs() >= gap)
        {
            c.candidates.push(Candidate {
                time: samples[i].time,
                score: scores[i],
                terms: terms[i],
            });
        }
    }
    c
}

fn nearest(samples: &[Sample], middle: f64) -> usize {
    (0..samples.len())
        .min_by(|&a, &b| {
            (samples[a].time - middle)
                .abs()
                .total_cmp(&(samples[b].time - middle).abs())
        })
        .unwrap_or(0)
}

/// The best sample by `scores`, unless it does not beat the middle by the margin.
pub fn choose(samples: &[Sample], scores: &[f64], middle: f64) -> Choice {
    if samples.is_empty() {
        return Choice {
            time: middle,
            score: 0.0,
            middle_score: 0.0,
            sample: None,
            candidates: Vec::new(),
        };
    }
    let mid_i = nearest(samples, middle);
    let best = (0..samples.len())
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap_or(mid_i);
    let middle_score = scores[mid_i];
    if scores[best] - middle_score < MOVE_MARGIN {
        return Choice {
            time: middle,
            score: middle_score,
            middle_score,
            sample: None,
            candidates: Vec::new(),
        };
    }
    Choice {
        time: samples[best].time,
        score: scores[best],
        middle_score,
        sample: Some(best),
        candidates: Vec::new(),
    }
}

#[cfg(test)]
#[path = "scoring_tests.rs"]
mod tests;
