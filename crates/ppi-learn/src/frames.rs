//! The learned key-frame scorer (pure): the weights of the scorer's terms fitted by logistic
//! regression on pairs — the frame a reviewer kept against each other candidate of the same
//! interval (a Bradley–Terry ranking model, no intercept) — pulled toward the rules' weights
//! (an L2 prior), so a few examples move them a little and many move them more. The middle
//! pull stays the rules' tie-break.

use ppi_media::scoring::{Terms, Weights};

/// One reviewed interval: its candidates' terms and the one the reviewer kept.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameExample {
    pub candidates: Vec<Terms>,
    pub picked: usize,
}

impl FrameExample {
    /// Usable for training: at least two candidates, the pick among them.
    pub fn usable(&self) -> bool {
        self.candidates.len() >= 2 && self.picked < self.candidates.len()
    }
}

/// Strength of the pull toward the rules' weights.
const PRIOR: f64 = 0.05;
const STEPS: usize = 400;
/// The middle pull is not learned.
const FIXED: usize = 6;

/// Fits weights on `examples`, starting from and pulled toward `rules`.
pub fn fit(examples: &[FrameExample], rules: &Weights) -> Weights {
    let start = rules.vector();
    let pairs: Vec<[f64; 7]> = examples
        .iter()
        .filter(|e| e.usable())
        .flat_map(|e| {
            let kept = e.candidates[e.picked].vector();
            e.candidates
                .iter()
                .enumerate()
                .filter(move |(k, _)| *k != e.picked)
                .map(move |(_, c)| {
                    let other = c.vector();
                    std::array::from_fn(|i| kept[i] - other[i])
                })
        })
        .collect();
    if pairs.is_empty() {
        return *rules;
    }
    let mut w = start;
    let n = pairs.len() as f64;
    let rate = 1.0;
    for _ in 0..STEPS {
        let mut grad = [0.0; 7];
        for d in &pairs {
            let z: f64 = w.iter().zip(d).map(|(a, b)| a * b).sum();
            // d/dw of log(1 + exp(-z)).
            let g = -1.0 / (1.0 + z.exp());
            for i in 0..7 {
                grad[i] += g * d[i] / n;
            }
        }
        for i in 0..7 {
            if i == FIXED {
                continue;
            }
            grad[i] += PRIOR * (w[i] - start[i]);
            w[i] -= rate * grad[i];
        }
    }
    Weights::from_vector(w)
}

/// How often `weights` rank the kept frame first (ties count against).
pub fn top1(examples: &[FrameExample], weights: &Weights) -> (usize, usize) {
    let usable: Vec<&FrameExample> = examples.iter().filter(|e| e.usable()).collect();
    let right = usable
        .iter()
        .filter(|e| {
            let kept = weights.score(&e.candidates[e.picked]);
            e.candidates
                .iter()
                .enumerate()
                .all(|(k, c)| k == e.picked || weights.score(c) < kept)
        })
        .count();
    (right, usable.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sharpness: f64, exposure: f64, extra: f64) -> Terms {
        Terms {
            sharpness,
            exposure,
            extra,
            ..Terms::default()
        }
    }

    #[test]
    fn reviewers_who_prefer_exposure_over_sharpness_are_learned() {
        // The rules prefer the sharper frame; reviewers keep the better exposed one.
        let examples: Vec<FrameExample> = (0..40)
            .map(|i| {
                let s = 0.5 + (i % 5) as f64 / 10.0;
                FrameExample {
                    candidates: vec![t(s, 0.6, 0.0), t(s - 0.5, 0.1, 0.0), t(0.0, 1.0, 0.0)],
                    picked: 1,
                }
            })
            .collect();
        let rules = Weights::default();
        assert_eq!(top1(&examples, &rules).0, 0);
        let learned = fit(&examples, &rules);
        assert_eq!(top1(&examples, &learned), (40, 40));
        assert_eq!(learned.middle, rules.middle);
        assert!(learned.exposure > rules.exposure);
        assert_eq!(fit(&[], &rules), rules);
    }
}
