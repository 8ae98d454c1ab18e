//! The voice's pitch, a second cue for telling speakers apart: a fundamental-frequency track
//! over the speech (YIN at 4 kHz), the median pitch of each clustering window, the distance in
//! octaves that clustering adds to the embeddings', and the windows where the pitch says
//! several voices talk at once.
//!
//! GE2E was trained on adult voices; it can hear a low adult voice and a child's as close
//! (cosine 0.8 between espeak-ng's Russian `m1` and `klatt`). Pitch tells adults and children
//! apart: a teacher speaks around 85-220 Hz, a child around 250-350 Hz. One speaker's window
//! medians stay within about 0.1 octave of each other, so the term counts only past a dead
//! zone, and is capped so that an octave error cannot split a voice on its own.
//!
//! YIN is written here (about 30 lines) rather than taken from `pitch-detection` 0.3: that
//! crate's McLeod detector, on these low voices in classroom noise, gave clarities under 0.7
//! and harmonics (480 Hz for a 110-Hz voice), and its YIN has no bounds on the period.

const RATE: f64 = 16_000.0;
/// The voice is looked for at 4 kHz, below a 1-kHz low-pass.
const DECIMATE: usize = 4;
const LOW_RATE: f64 = RATE / DECIMATE as f64;
const CUTOFF: f64 = 1000.0;
const TAPS: usize = 63;
/// 40 ms compared with itself up to one period of the lowest pitch later.
const FRAME: usize = 160;
/// 20 ms between frames.
const HOP: usize = 80;
/// Speaking pitch only: 60-500 Hz.
const MAX_LAG: usize = 67;
const MIN_LAG: usize = 8;
/// YIN's normalised difference at the period: above it a frame is not voiced.
const APERIODIC: f32 = 0.3;
/// Frames quieter than this RMS (about −50 dBFS) are not looked at.
const FLOOR_RMS: f32 = 0.003;
/// A window needs this many voiced frames (of 80 in 1.6 s) to have a pitch …
const MIN_VOICED: usize = 8;
/// … and their middle half within this many octaves: a window where two voices take turns or
/// talk at once spreads over an octave, one voice rarely over 0.3.
const SPREAD: f32 = 0.35;
/// Spread windows in a row (0.5 s apart) that make several voices at once: 3.6 s.
const SEVERAL_RUN: usize = 5;
/// Distance added per octave between two windows' pitches, past the dead zone, up to the cap.
pub const WEIGHT: f32 = 0.5;
pub const DEAD_ZONE: f32 = 0.1;
pub const CAP: f32 = 0.6;

/// The pitch track: (frame centre in seconds, log2 of the pitch in Hz) for each voiced frame
/// inside `speech`, in time order. Each region is low-passed and decimated to 4 kHz first, so
/// that fricatives and the room's hiss do not blur the voice's periodicity.
pub fn track(pcm: &[f32], speech: &[(f64, f64)]) -> Vec<(f64, f32)> {
    let taps = lowpass_taps();
    let mut diff = vec![0f32; MAX_LAG + 1];
    let mut out = Vec::new();
    for &(s, e) in speech {
        let (s, e) = (
            ((s * RATE) as usize).min(pcm.len()),
            ((e * RATE) as usize).min(pcm.len()),
        );
        let low = decimate(&pcm[s..e], &taps);
        let mut at = 0;
        while at + FRAME + MAX_LAG <= low.len() {
            let frame = &low[at..at + FRAME + MAX_LAG];
            let power: f32 = frame[..FRAME].iter().map(|v| v * v).sum();
            if (power / FRAME as f32).sqrt() >= FLOOR_RMS {
                if let Some((lag, aperiodicity)) = yin(frame, &mut diff) {
                    if aperiodicity <= APERIODIC {
                        let centre = s as f64 / RATE + (at + FRAME / 2) as f64 / LOW_RATE;
                        out.push((centre, (LOW_RATE as f32 / lag).log2()));
                    }
                }
            }
            at += HOP;
        }
    }
    out
}

/// YIN (de Cheveigné and Kawahara 2002, steps 2-5) on one frame of [`FRAME`] + [`MAX_LAG`]
/// samples: the period in samples (interpolated) and its cumulative-mean-normalised
/// difference, for the first dip below [`APERIODIC`] between the highest and the lowest pitch
/// looked for, or else the deepest dip there.
fn yin(x: &[f32], d: &mut [f32]) -> Option<(f32, f32)> {
    d[0] = 1.0;
    let mut running = 0f32;
    for tau in 1..=MAX_LAG {
        let sq: f32 = x[..FRAME]
            .iter()
            .zip(&x[tau..tau + FRAME])
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        running += sq;
        d[tau] = if running > 0.0 {
            sq * tau as f32 / running
        } else {
            1.0
        };
    }
    let mut tau = (MIN_LAG..=MAX_LAG)
        .find(|&t| d[t] < APERIODIC)
        .or_else(|| (MIN_LAG..=MAX_LAG).min_by(|&a, &b| d[a].total_cmp(&d[b])))?;
    while tau < MAX_LAG && d[tau + 1] < d[tau] {
        tau += 1;
    }
    // Parabolic interpolation of the dip.
    let (a, b, c) = (d[tau - 1], d[tau], *d.get(tau + 1).unwrap_or(&d[tau]));
    let den = a - 2.0 * b + c;
    let shift = if tau < MAX_LAG && den > 0.0 {
        (0.5 * (a - c) / den).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some((tau as f32 + shift, b))
}

/// A windowed-sinc low-pass at [`CUTOFF`] Hz (Hamming window), unit gain at 0 Hz.
fn lowpass_taps() -> Vec<f32> {
    let m = TAPS as f64 - 1.0;
    let fc = CUTOFF / RATE;
    let mut taps: Vec<f64> = (0..TAPS)
        .map(|i| {
            let x = i as f64 - m / 2.0;
            let sinc = if x == 0.0 {
                2.0 * fc
            } else {
                (2.0 * std::f64::consts::PI * fc * x).sin() / (std::f64::consts::PI * x)
            };
            sinc * (0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / m).cos())
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= sum);
    taps.into_iter().map(|t| t as f32).collect()
}

/// Every [`DECIMATE`]th sample of `x` filtered by `taps` (centred).
fn decimate(x: &[f32], taps: &[f32]) -> Vec<f32> {
    let half = taps.len() / 2;
    (0..x.len())
        .step_by(DECIMATE)
        .map(|i| {
            taps.iter()
                .enumerate()
                .filter_map(|(k, t)| {
                    (i + k)
                        .checked_sub(half)
                        .and_then(|j| x.get(j))
                        .map(|v| v * t)
                })
                .sum()
        })
        .collect()
}

/// What a window's voiced frames say.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WindowPitch {
    /// Their median log2 pitch, when there are enough of them and they agree.
    pub pitch: Option<f32>,
    /// Enough of them, and they disagree: two voices or more.
    pub spread: bool,
}

/// The median log2 pitch of each window's (start, end) voiced frames, or their disagreement.
pub fn of_windows(track: &[(f64, f32)], windows: &[(f64, f64)]) -> Vec<WindowPitch> {
    windows
        .iter()
        .map(|&(start, end)| {
            let from = track.partition_point(|(t, _)| *t < start);
            let to = track.partition_point(|(t, _)| *t <= end);
            let mut voiced: Vec<f32> = track[from..to.max(from)].iter().map(|p| p.1).collect();
            if voiced.len() < MIN_VOICED {
                return WindowPitch::default();
            }
            voiced.sort_by(f32::total_cmp);
            let n = voiced.len();
            let spread = voiced[3 * n / 4] - voiced[n / 4] > SPREAD;
            WindowPitch {
                pitch: (!spread).then(|| median(voiced)),
                spread,
            }
        })
        .collect()
}

/// Windows inside a run of at least [`SEVERAL_RUN`] windows in a row (each starting at most
/// `hop` seconds after the one before) whose pitch is spread: several voices at once for
/// seconds on end (a group at work), not the change from one speaker to the next, which
/// spreads the two or three windows that straddle it.
pub fn several_voices(pitches: &[WindowPitch], starts: &[f64], hop: f64) -> Vec<bool> {
    let mut out = vec![false; pitches.len()];
    let mut i = 0;
    while i < pitches.len() {
        if !pitches[i].spread {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < pitches.len()
            && pitches[j].spread
            && starts
                .get(j)
                .zip(starts.get(j - 1))
                .is_some_and(|(b, a)| b - a <= hop + 1e-6)
        {
            j += 1;
        }
        if j - i >= SEVERAL_RUN {
            out[i..j].iter_mut().for_each(|x| *x = true);
        }
        i = j;
    }
    out
}

/// The median of some pitches; `None` when there are none.
pub fn median_of(pitches: impl Iterator<Item = f32>) -> Option<f32> {
    let v: Vec<f32> = pitches.collect();
    (!v.is_empty()).then(|| median(v))
}

fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What two pitches (log2 Hz) add to a cosine distance; nothing when either is unknown.
pub fn distance(a: Option<f32>, b: Option<f32>) -> f32 {
    match (a, b) {
        (Some(a), Some(b)) => WEIGHT * ((a - b).abs() - DEAD_ZONE).clamp(0.0, CAP - DEAD_ZONE),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, secs: f64) -> Vec<f32> {
        (0..(secs * RATE) as usize)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                // A voice-like tone: the fundamental and two harmonics.
                let w = 2.0 * std::f32::consts::PI * hz * t;
                0.3 * w.sin() + 0.15 * (2.0 * w).sin() + 0.1 * (3.0 * w).sin()
            })
            .collect()
    }

    #[test]
    fn a_tone_has_its_pitch_and_silence_none() {
        let mut pcm = tone(110.0, 2.0);
        pcm.extend(vec![0.0; 16_000]);
        pcm.extend(tone(300.0, 2.0));
        let tr = track(&pcm, &[(0.0, 5.0)]);
        let w = [(0.2, 1.8), (2.1, 2.9), (3.2, 4.8)];
        let p: Vec<Option<f32>> = of_windows(&tr, &w).iter().map(|p| p.pitch).collect();
        assert!((p[0].unwrap() - 110f32.log2()).abs() < 0.02, "{p:?}");
        assert_eq!(p[1], None);
        assert!((p[2].unwrap() - 300f32.log2()).abs() < 0.02, "{p:?}");
    }

    #[test]
    fn several_voices_are_long_runs_of_spread_windows() {
        let starts: Vec<f64> = (0..12).map(|i| i as f64 * 0.5).collect();
        // Three spread windows (a change of speaker), then six (a group).
        let spread = [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1];
        let p: Vec<WindowPitch> = spread
            .iter()
            .map(|&s| WindowPitch {
                pitch: (s == 0).then_some(7.0),
                spread: s == 1,
            })
            .collect();
        let several = several_voices(&p, &starts, 0.5);
        assert_eq!(several.iter().filter(|x| **x).count(), 6);
        assert!(several[6..].iter().all(|x| *x));
        // A gap between windows breaks a run.
        let mut apart = starts.clone();
        for s in &mut apart[9..] {
            *s += 5.0;
        }
        assert!(several_voices(&p, &apart, 0.5).iter().all(|x| !*x));
    }

    #[test]
    fn the_distance_has_a_dead_zone_and_a_cap() {
        assert_eq!(distance(Some(7.0), None), 0.0);
        assert_eq!(distance(Some(7.0), Some(7.05)), 0.0);
        assert!((distance(Some(7.0), Some(7.5)) - WEIGHT * 0.4).abs() < 1e-6);
        assert!((distance(Some(7.0), Some(9.0)) - WEIGHT * (CAP - DEAD_ZONE)).abs() < 1e-6);
    }
}
