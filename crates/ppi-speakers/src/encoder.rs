//! Speaker embeddings with Resemblyzer's GE2E voice encoder: three LSTM layers (256 units) over
//! 40 mel bands, the last hidden state through a linear layer, ReLU and L2 normalisation, as
//! `VoiceEncoder.forward` computes them.
//!
//! Windows run in batches: each layer's input projection for every frame of a batch is one
//! matrix product, and each time step's recurrent product covers the whole batch. Windows of
//! different lengths share a batch; each one's embedding is read at its own last frame.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::linalg::{add_rows, lstm_cell, matmul_wt, normalize};
use crate::mel::MELS;
use crate::models::{Weights, RESEMBLYZER};
use crate::SpeakersError;

pub const EMBED: usize = 256;
const HIDDEN: usize = 256;
const LAYERS: usize = 3;
/// Windows per batch: large enough for efficient products, small enough for the cache.
const BATCH: usize = 64;

struct Layer {
    w_ih: Vec<f32>,
    w_hh: Vec<f32>,
    bias: Vec<f32>,
    input: usize,
}

pub struct Encoder {
    layers: Vec<Layer>,
    lin_w: Vec<f32>,
    lin_b: Vec<f32>,
}

impl Encoder {
    pub fn load(dir: &Path) -> Result<Encoder, SpeakersError> {
        let mut w = Weights::load(dir, &RESEMBLYZER)?;
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let input = if l == 0 { MELS } else { HIDDEN };
            let b_ih = w.take(&format!("lstm.bias_ih_l{l}"), &[4 * HIDDEN])?;
            let b_hh = w.take(&format!("lstm.bias_hh_l{l}"), &[4 * HIDDEN])?;
            layers.push(Layer {
                w_ih: w.take(&format!("lstm.weight_ih_l{l}"), &[4 * HIDDEN, input])?,
                w_hh: w.take(&format!("lstm.weight_hh_l{l}"), &[4 * HIDDEN, HIDDEN])?,
                bias: b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect(),
                input,
            });
        }
        Ok(Encoder {
            layers,
            lin_w: w.take("linear.weight", &[EMBED, HIDDEN])?,
            lin_b: w.take("linear.bias", &[EMBED])?,
        })
    }

    /// One unit-length embedding (EMBED values) per window; a window is its mel frames
    /// (frames × MELS, at least one frame). Batches are spread over `threads` threads.
    pub fn embed(&self, windows: &[&[f32]], threads: usize) -> Vec<Vec<f32>> {
        let batches: Vec<&[&[f32]]> = windows.chunks(BATCH).collect();
        let next = AtomicUsize::new(0);
        let mut results: Vec<(usize, Vec<Vec<f32>>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads.clamp(1, batches.len().max(1)))
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(batch) = batches.get(i) else { break };
                            done.push((i, self.embed_batch(batch)));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().flat_map(|(_, e)| e).collect()
    }

    fn embed_batch(&self, windows: &[&[f32]]) -> Vec<Vec<f32>> {
        let b = windows.len();
        let lens: Vec<usize> = windows.iter().map(|w| (w.len() / MELS).max(1)).collect();
        let t_max = lens.iter().copied().max().unwrap_or(1);
        // Time-major input: frame t of every window, then frame t + 1.
        let mut x = vec![0f32; t_max * b * MELS];
        for (j, w) in windows.iter().enumerate() {
            for (t, frame) in w.chunks_exact(MELS).enumerate() {
                x[(t * b + j) * MELS..][..MELS].copy_from_slice(frame);
            }
        }
        let mut last = vec![0f32; b * HIDDEN];
        let mut xp = vec![0f32; t_max * b * 4 * HIDDEN];
        let mut h = vec![0f32; b * HIDDEN];
        let mut c = vec![0f32; b * HIDDEN];
        for (l, layer) in self.layers.iter().enumerate() {
            let top = l + 1 == self.layers.len();
            matmul_wt(
                &x,
                &layer.w_ih,
                t_max * b,
                layer.input,
                4 * HIDDEN,
                &mut xp,
                0.0,
            );
            add_rows(&mut xp, &layer.bias);
            h.fill(0.0);
            c.fill(0.0);
            let mut out = if top {
                Vec::new()
            } else {
                vec![0f32; t_max * b * HIDDEN]
            };
            for t in 0..t_max {
                let gates = &mut xp[t * b * 4 * HIDDEN..][..b * 4 * HIDDEN];
                matmul_wt(&h, &layer.w_hh, b, HIDDEN, 4 * HIDDEN, gates, 1.0);
                lstm_cell(gates, &mut c, &mut h, HIDDEN);
                if top {
                    for (j, len) in lens.iter().enumerate() {
                        if *len == t + 1 {
                            last[j * HIDDEN..][..HIDDEN]
                                .copy_from_slice(&h[j * HIDDEN..][..HIDDEN]);
                        }
                    }
                } else {
                    out[t * b * HIDDEN..][..b * HIDDEN].copy_from_slice(&h);
                }
            }
            if !top {
                x = out;
            }
        }
        let mut e = vec![0f32; b * EMBED];
        matmul_wt(&last, &self.lin_w, b, HIDDEN, EMBED, &mut e, 0.0);
        add_rows(&mut e, &self.lin_b);
        e.chunks_exact(EMBED)
            .map(|r| {
                let mut v: Vec<f32> = r.iter().map(|x| x.max(0.0)).collect();
                normalize(&mut v);
                v
            })
            .collect()
    }
}
