//! The learned pattern suggester (pure): multinomial naive Bayes over word stems and pairs of
//! neighbouring stems, in English and Russian (the rules' own stemming, so both read a text
//! the same way), with add-one smoothing. Transparent: a label's evidence is its term counts,
//! and [`TextModel::top_terms`] lists them.

use std::collections::BTreeMap;

use crate::tokens::stems;

/// One training text with its label.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TextExample {
    pub text: String,
    pub label: String,
    /// What the lesson's structure said beside the words (`cue:…`, see
    /// [`crate::suggest::CUES`]); empty for text alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<String>,
}

/// The fitted model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TextModel {
    pub labels: Vec<String>,
    /// Training texts per label.
    pub docs: Vec<u32>,
    /// Term → occurrences per label.
    pub counts: BTreeMap<String, Vec<u32>>,
    /// Occurrences of all terms per label.
    pub totals: Vec<u64>,
}

/// A text's terms: stems, neighbouring stem pairs, and `?` for a question mark.
pub fn terms(text: &str) -> Vec<String> {
    let s = stems(text);
    let mut out: Vec<String> = s.windows(2).map(|w| format!("{} {}", w[0], w[1])).collect();
    out.extend(s);
    if text.contains('?') {
        out.push("?".into());
    }
    out
}

impl TextModel {
    /// Fits on `examples` (labels in first-seen order).
    pub fn fit(examples: &[TextExample]) -> TextModel {
        let mut m = TextModel {
            labels: Vec::new(),
            docs: Vec::new(),
            counts: BTreeMap::new(),
            totals: Vec::new(),
        };
        for e in examples {
            let k = match m.labels.iter().position(|l| *l == e.label) {
                Some(k) => k,
                None => {
                    m.labels.push(e.label.clone());
                    m.docs.push(0);
                    m.totals.push(0);
                    for c in m.counts.values_mut() {
                        c.push(0);
                    }
                    m.labels.len() - 1
                }
            };
            m.docs[k] += 1;
            let n = m.labels.len();
            for t in terms(&e.text).into_iter().chain(e.cues.iter().cloned()) {
                let c = m.counts.entry(t).or_insert_with(|| vec![0; n]);
                c[k] += 1;
                m.totals[k] += 1;
            }
        }
        m
    }

    /// The most probable label and its posterior probability; `None` when the text has no
    /// term the model has seen (no evidence) or the model has no labels.
    pub fn predict(&self, text: &str) -> Option<(String, f64)> {
        self.predict_with(text, &[])
    }

    /// [`TextModel::predict`] with the lesson's cues as terms beside the words.
    pub fn predict_with(&self, text: &str, cues: &[String]) -> Option<(String, f64)> {
        let known: Vec<&Vec<u32>> = terms(text)
            .iter()
            .chain(cues)
            .filter_map(|t| self.counts.get(t))
            .collect();
        if known.is_empty() || self.labels.is_empty() {
            return None;
        }
        let docs: u32 = self.docs.iter().sum();
        let vocab = self.counts.len() as f64;
        let logp: Vec<f64> = (0..self.labels.len())
            .map(|k| {
                let prior = (self.docs[k] as f64 + 1.0) / (docs as f64 + self.labels.len() as f64);
                let denom = self.totals[k] as f64 + vocab;
                prior.ln()
                    + known
                        .iter()
                        .map(|c| ((c[k] as f64 + 1.0) / denom).ln())
                        .sum::<f64>()
            })
            .collect();
        let top = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logp.iter().map(|l| (l - top).exp()).sum();
        let (k, _) = logp.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some((self.labels[k].clone(), 1.0 / z))
    }

    /// A label's `n` strongest terms (by how much more often they occur with it than
    /// elsewhere), for the report.
    pub fn top_terms(&self, label: &str, n: usize) -> Vec<String> {
        let Some(k) = self.labels.iter().position(|l| l == label) else {
            return Vec::new();
        };
        let total: u64 = self.totals.iter().sum();
        let mut scored: Vec<(f64, &String)> = self
            .counts
            .iter()
            .filter(|(_, c)| c[k] >= 2)
            .map(|(t, c)| {
                let inside = (c[k] as f64 + 1.0) / (self.totals[k] as f64 + 1.0);
                let all: u32 = c.iter().sum();
                let outside =
                    (all as f64 - c[k] as f64 + 1.0) / ((total - self.totals[k]) as f64 + 1.0);
                ((inside / outside).ln(), t)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(n).map(|(_, t)| t.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, label: &str) -> TextExample {
        TextExample {
            text: text.into(),
            label: label.into(),
            cues: Vec::new(),
        }
    }

    #[test]
    fn it_learns_words_of_both_languages() {
        let m = TextModel::fit(&[
            ex("Work in your groups and discuss the poster", "Group work"),
            ex("Работайте в группах, обсудите задачу", "Group work"),
            ex("Watch how I heat the flask", "Demonstration"),
            ex("Смотрите, как я нагреваю колбу", "Demonstration"),
        ]);
        assert_eq!(m.predict("discuss it in groups").unwrap().0, "Group work");
        assert_eq!(m.predict("обсудите в группах").unwrap().0, "Group work");
        assert_eq!(m.predict("I heat the flask").unwrap().0, "Demonstration");
        let (_, p) = m.predict("нагреваю колбу").unwrap();
        assert!(p > 0.5 && p <= 1.0, "{p}");
        assert!(m.predict("zzzz").is_none());
        assert!(TextModel::fit(&[]).predict("groups").is_none());
        assert!(m.top_terms("Group work", 3).len() <= 3);
    }

    #[test]
    fn cues_are_learned_beside_the_words() {
        let cue = |text: &str, label: &str, c: &str| TextExample {
            cues: vec![c.into()],
            ..ex(text, label)
        };
        let m = TextModel::fit(&[
            cue("Three quarters.", "Questioning", "cue:question-answer"),
            cue("Yes. Very good.", "Questioning", "cue:question-answer"),
            cue("It is a part of a whole.", "Group work", "cue:group"),
            cue("Four quarters make one whole.", "Group work", "cue:group"),
        ]);
        // The same words, told apart by the cue alone.
        let q = m
            .predict_with("a whole", &["cue:question-answer".into()])
            .unwrap();
        assert_eq!(q.0, "Questioning");
        let g = m.predict_with("a whole", &["cue:group".into()]).unwrap();
        assert_eq!(g.0, "Group work");
        assert!(m.predict_with("zzzz", &["cue:group".into()]).is_some());
    }
}
