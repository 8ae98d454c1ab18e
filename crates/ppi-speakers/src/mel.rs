//! The GE2E encoder's input: a 40-band mel power spectrogram at 16 kHz (25-ms Hann window,
//! 10-ms hop), as `librosa.feature.melspectrogram` computes it with its defaults (centred frames,
//! zero padding, Slaney mel scale and normalisation). Not a log spectrogram: Resemblyzer feeds
//! the power itself.
//!
//! The DFT of every frame runs as one matrix product against a cosine and sine basis with the
//! window folded in (201 bins of a 400-point transform), so it needs no FFT library.

use crate::linalg::matmul_wt;

pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const MELS: usize = 40;
const BINS: usize = N_FFT / 2 + 1;
const RATE: f64 = 16_000.0;

pub struct MelBank {
    /// 2·BINS × N_FFT: windowed cosines, then windowed sines.
    basis: Vec<f32>,
    /// MELS × BINS.
    filters: Vec<f32>,
}

impl Default for MelBank {
    fn default() -> Self {
        Self::new()
    }
}

impl MelBank {
    pub fn new() -> MelBank {
        let mut basis = vec![0f32; 2 * BINS * N_FFT];
        for n in 0..N_FFT {
            // scipy's periodic Hann window, as librosa uses it.
            let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos();
            for k in 0..BINS {
                let phase = 2.0 * std::f64::consts::PI * ((k * n) % N_FFT) as f64 / N_FFT as f64;
                basis[k * N_FFT + n] = (w * phase.cos()) as f32;
                basis[(BINS + k) * N_FFT + n] = (w * phase.sin()) as f32;
            }
        }
        MelBank {
            basis,
            filters: slaney_filters(),
        }
    }

    /// Frames of `pcm` (`1 + len / HOP` of them, centred), each MELS power values.
    pub fn spectrogram(&self, pcm: &[f32]) -> Vec<f32> {
        let n_frames = 1 + pcm.len() / HOP;
        let half = (N_FFT / 2) as isize;
        let mut frames = vec![0f32; n_frames * N_FFT];
        for (t, frame) in frames.chunks_exact_mut(N_FFT).enumerate() {
            let start = (t * HOP) as isize - half;
            for (j, v) in frame.iter_mut().enumerate() {
                let i = start + j as isize;
                if i >= 0 && (i as usize) < pcm.len() {
                    *v = pcm[i as usize];
                }
            }
        }
        let mut spec = vec![0f32; n_frames * 2 * BINS];
        matmul_wt(
            &frames,
            &self.basis,
            n_frames,
            N_FFT,
            2 * BINS,
            &mut spec,
            0.0,
        );
        let power: Vec<f32> = spec
            .chunks_exact(2 * BINS)
            .flat_map(|r| (0..BINS).map(move |b| r[b] * r[b] + r[BINS + b] * r[BINS + b]))
            .collect();
        let mut mel = vec![0f32; n_frames * MELS];
        matmul_wt(&power, &self.filters, n_frames, BINS, MELS, &mut mel, 0.0);
        mel
    }
}

fn hz_to_mel(f: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel) = (200.0 / 3.0, 1000.0, 15.0);
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

fn mel_to_hz(m: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel) = (200.0 / 3.0, 1000.0, 15.0);
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)`: triangles on the Slaney scale from
/// 0 to 8 kHz, each scaled to unit area (`norm="slaney"`).
fn slaney_filters() -> Vec<f32> {
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(RATE / 2.0));
    let mel_f: Vec<f64> = (0..MELS + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (MELS + 1) as f64))
        .collect();
    let fft_f: Vec<f64> = (0..BINS)
        .map(|k| k as f64 * (RATE / 2.0) / (BINS - 1) as f64)
        .collect();
    let mut w = vec![0f32; MELS * BINS];
    for i in 0..MELS {
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (k, f) in fft_f.iter().enumerate() {
            let lower = (f - mel_f[i]) / (mel_f[i + 1] - mel_f[i]);
            let upper = (mel_f[i + 2] - f) / (mel_f[i + 2] - mel_f[i + 1]);
            w[i * BINS + k] = (lower.min(upper).max(0.0) * enorm) as f32;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lands_in_its_band() {
        // 1 kHz sine, amplitude 1: its power is in the band around 1 kHz, and the frame count
        // follows librosa's centred framing.
        let pcm: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let mel = MelBank::new().spectrogram(&pcm);
        assert_eq!(mel.len(), 101 * MELS);
        let frame = &mel[50 * MELS..51 * MELS];
        let peak = (0..MELS)
            .max_by(|&a, &b| frame[a].total_cmp(&frame[b]))
            .unwrap();
        let centre = |i: usize| {
            let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(8000.0));
            mel_to_hz(lo + (hi - lo) * (i + 1) as f64 / 41.0)
        };
        assert!((centre(peak) - 1000.0).abs() < 120.0, "peak band {peak}");
    }

    #[test]
    fn the_slaney_scale_round_trips() {
        for f in [0.0, 440.0, 1000.0, 3000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(f)) - f).abs() < 1e-6);
        }
    }
}
