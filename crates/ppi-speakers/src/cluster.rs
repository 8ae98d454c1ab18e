//! Windows over speech, and their grouping into speakers: average-linkage agglomerative
//! clustering of the windows' voice embeddings on cosine distance plus a pitch term
//! ([`crate::pitch`]) (`kodama`), cut at a distance (speakers found) or at a count (speakers
//! given), then a few rounds of reassignment to the nearest centroid and median pitch.

use crate::encoder::EMBED;
use crate::linalg::{dot, normalize};
use crate::pitch;
use crate::SpeakerCount;

/// GE2E's partial utterance: 160 frames of 10 ms.
pub const WINDOW: f64 = 1.6;
/// Step between windows over longer speech.
pub const HOP: f64 = 0.5;
/// Shorter speech is not embedded (Silero's shortest region is 0.25 s).
const MIN_WINDOW: f64 = 0.25;
/// Clusters merge while their average cosine distance is below this (speakers found).
pub const CUT: f32 = 0.35;
const ROUNDS: usize = 3;

/// A stretch of audio whose voice is embedded, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

impl Window {
    pub fn centre(&self) -> f64 {
        (self.start + self.end) / 2.0
    }
}

/// Windows covering each speech region: the region itself when it is at most a window long,
/// else windows every HOP seconds, the last one ending with the region.
pub fn windows(speech: &[(f64, f64)]) -> Vec<Window> {
    let mut out = Vec::new();
    for &(s, e) in speech {
        let len = e - s;
        if len < MIN_WINDOW {
            continue;
        }
        if len <= WINDOW {
            out.push(Window { start: s, end: e });
            continue;
        }
        let mut t = s;
        while t + WINDOW < e {
            out.push(Window {
                start: t,
                end: t + WINDOW,
            });
            t += HOP;
        }
        out.push(Window {
            start: e - WINDOW,
            end: e,
        });
    }
    out
}

/// The normalised mean of unit vectors.
pub fn mean<'a>(vs: impl Iterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut m = vec![0f32; EMBED];
    for v in vs {
        m.iter_mut().zip(v).for_each(|(a, b)| *a += b);
    }
    normalize(&mut m);
    m
}

/// A speaker label (0, 1, …) for each embedding; `pitches` holds each window's median log2
/// pitch where it is known (empty: not used).
pub fn cluster(
    embeddings: &[Vec<f32>],
    pitches: &[Option<f32>],
    count: SpeakerCount,
) -> Vec<usize> {
    let n = embeddings.len();
    if n < 2 {
        return vec![0; n];
    }
    let pitch_of = |i: usize| pitches.get(i).copied().flatten();
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            condensed.push(
                (1.0 - dot(&embeddings[i], &embeddings[j])).max(0.0)
                    + pitch::distance(pitch_of(i), pitch_of(j)),
            );
        }
    }
    let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Average);
    let merges = match count {
        SpeakerCount::Exactly(k) => n.saturating_sub(k.max(1)),
        SpeakerCount::Auto => dendrogram
            .steps()
            .iter()
            .take_while(|s| s.dissimilarity < CUT)
            .count(),
    };
    // Union-find over the first `merges` steps; kodama names the cluster of step i `n + i`.
    let mut parent: Vec<usize> = (0..n + merges).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (i, step) in dendrogram.steps().iter().take(merges).enumerate() {
        let (a, b) = (
            root(&mut parent, step.cluster1),
            root(&mut parent, step.cluster2),
        );
        parent[a] = n + i;
        parent[b] = n + i;
    }
    let mut ids = std::collections::HashMap::new();
    let mut labels: Vec<usize> = (0..n)
        .map(|i| {
            let r = root(&mut parent, i);
            let next = ids.len();
            *ids.entry(r).or_insert(next)
        })
        .collect();
    refine(embeddings, pitches, &mut labels);
    labels
}

/// Reassigns each window to its nearest speaker (centroid and median pitch), a few rounds;
/// labels are renumbered so that no number is unused.
fn refine(embeddings: &[Vec<f32>], pitches: &[Option<f32>], labels: &mut [usize]) {
    let pitch_of = |i: usize| pitches.get(i).copied().flatten();
    for _ in 0..ROUNDS {
        let cents = centroids(embeddings, labels);
        let voices: Vec<Option<f32>> = (0..cents.len())
            .map(|c| {
                pitch::median_of(
                    (0..labels.len())
                        .filter(|&i| labels[i] == c)
                        .filter_map(pitch_of),
                )
            })
            .collect();
        let mut changed = false;
        for (i, (e, l)) in embeddings.iter().zip(labels.iter_mut()).enumerate() {
            let best = cents
                .iter()
                .zip(&voices)
                .map(|(c, &v)| 1.0 - dot(e, c) + pitch::distance(pitch_of(i), v))
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(0, |b| b.0);
            if best != *l {
                *l = best;
                changed = true;
            }
        }
        renumber(labels);
        if !changed {
            break;
        }
    }
}

fn renumber(labels: &mut [usize]) {
    let mut ids = std::collections::HashMap::new();
    for l in labels.iter_mut() {
        let next = ids.len();
        *l = *ids.entry(*l).or_insert(next);
    }
}

/// The centroid of each label (labels 0..k; an empty one is all zeros).
pub fn centroids(embeddings: &[Vec<f32>], labels: &[usize]) -> Vec<Vec<f32>> {
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    (0..k)
        .map(|c| {
            mean(
                embeddings
                    .iter()
                    .zip(labels)
                    .filter(|(_, l)| **l == c)
                    .map(|(e, _)| e.as_slice()),
            )
        })
        .collect()
}

/// The index of the most similar centroid and the similarity.
pub fn nearest(e: &[f32], cents: &[Vec<f32>]) -> (usize, f32) {
    cents
        .iter()
        .enumerate()
        .map(|(i, c)| (i, dot(e, c)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(i: usize, noise: f32) -> Vec<f32> {
        let mut v = vec![noise; EMBED];
        v[i] = 1.0;
        normalize(&mut v);
        v
    }

    #[test]
    fn windows_cover_each_region() {
        let w = windows(&[(0.0, 0.2), (1.0, 2.0), (3.0, 6.0)]);
        assert_eq!(
            w[0],
            Window {
                start: 1.0,
                end: 2.0
            }
        );
        assert_eq!(w.last().unwrap().end, 6.0);
        assert!(w[1..]
            .iter()
            .all(|w| (w.end - w.start - WINDOW).abs() < 1e-9));
    }

    #[test]
    fn clusters_are_found_or_counted() {
        let e: Vec<Vec<f32>> = (0..9).map(|i| unit(i % 3, 0.01 * i as f32)).collect();
        let auto = cluster(&e, &[], SpeakerCount::Auto);
        assert_eq!(auto.iter().max(), Some(&2));
        assert_eq!(auto[0], auto[3]);
        assert_ne!(auto[0], auto[1]);
        let two = cluster(&e, &[], SpeakerCount::Exactly(2));
        assert_eq!(two.iter().max(), Some(&1));
    }
}
