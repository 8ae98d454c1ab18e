//! Suggesting a pattern for a region from its transcript: transparent keyword rules over the
//! sheet's pattern names, descriptions and keywords, in English and Russian.
//!
//! Words are lower-cased and cut to a short prefix stem (5 letters), which folds most English
//! and Russian inflections together (`questions`/`questioning`, `вопрос`/`вопросы`/`вопросов`).
//! Each pattern gets terms with weights: a keyword or key phrase found in the text 3, a word
//! of the pattern's name 2, a word of its description 1. Short and common words are ignored.
//! A question mark in the text counts as the term "question" (`вопрос`). The region's score is
//! `s / (s + 3)` for the best pattern's weight sum `s`, so one name word gives 0.4 and strong
//! evidence approaches 1 (docs/suggestions.md measures how often each band is right).
//!
//! The lesson's structure adds *cues* (`cue:group`, `cue:question-answer`…, found by
//! `ppi-activity` from the turns and questions): each cue stands for a few words in English
//! and Russian ([`CUES`]), and a pattern whose name, description or keywords hold one of them
//! gains [`CUE_WEIGHT`], as much as a keyword found in the text.
//!
//! Speech without evidence gets no pattern guess: the sheet's explicit fallback pattern when
//! it marks one (score [`FALLBACK_SCORE`]), else the neutral label (e.g. "Speech", generated
//! into the annotation config; not a pattern, so it never becomes a dataset item), with no
//! score. A guess dressed as a label is worse than no label.

use std::collections::{BTreeMap, BTreeSet};

use ppi_core::catalog::PatternCatalog;

use crate::tokens::{stem, stems};

/// Bumped whenever the rules change, so LS sees a new model version. 2: no guess without
/// evidence (neutral label or the sheet's fallback). 3: the lesson's cues.
pub const RULES_VERSION: u32 = 3;

/// What each cue stands for: words in English and Russian, compared by stem with a pattern's
/// terms.
pub const CUES: &[(&str, &str)] = &[
    (
        "cue:monologue",
        "lecture explain explanation lecturing instruction объяснение объясняет лекция рассказ",
    ),
    (
        "cue:question-answer",
        "question questions questioning asks answers вопрос вопросы спрашивает ответы",
    ),
    (
        "cue:discussion",
        "discussion discuss debate conversation обсуждение дискуссия беседа",
    ),
    (
        "cue:group",
        "group groups groupwork together pairs collaborative группа группах вместе парах",
    ),
    (
        "cue:student-talk",
        "presentation presents report students выступление доклад",
    ),
    (
        "cue:quiet",
        "independent individual silent seatwork quiet самостоятельная индивидуальная тихо",
    ),
];

/// A cue that supports a pattern counts as much as a keyword found in the text.
pub const CUE_WEIGHT: f64 = 3.0;

/// The score of the sheet's fallback pattern, suggested without evidence.
pub const FALLBACK_SCORE: f64 = 0.1;

/// One suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub label: String,
    /// How sure the rules are, in [0, 1]; `None` for the neutral label, which claims nothing.
    pub score: Option<f64>,
}

#[derive(Clone)]
struct Terms {
    label: String,
    /// stem → weight.
    words: BTreeMap<String, f64>,
    /// Lower-cased key phrases (several words), matched as substrings.
    phrases: Vec<String>,
    /// The cues that support this pattern.
    cues: BTreeSet<&'static str>,
}

/// Scores transcripts against a project's labels.
#[derive(Clone)]
pub struct Suggester {
    terms: Vec<Terms>,
    /// What speech without evidence gets.
    otherwise: Option<Suggestion>,
    /// A learned model answering first, when sure enough (posterior ≥ the threshold) and its
    /// label is one of the project's patterns; the rules answer otherwise.
    learned: Option<(std::sync::Arc<crate::text::TextModel>, f64)>,
}

impl Suggester {
    /// `labels` are the project's timeline labels (in order); the sheet, when given, adds
    /// descriptions, keywords and the fallback for the labels it knows. `neutral` is the
    /// neutral label's name: it is never a candidate pattern, and speech without evidence gets
    /// it when the sheet has no fallback (and the project has it).
    pub fn new(labels: &[String], sheet: Option<&PatternCatalog>, neutral: Option<&str>) -> Self {
        let is_neutral = |l: &str| {
            neutral
                .is_some_and(|n| ppi_core::catalog::match_key(n) == ppi_core::catalog::match_key(l))
        };
        let terms = labels
            .iter()
            .filter(|l| !is_neutral(l))
            .map(|label| {
                let mut words = BTreeMap::new();
                let mut phrases = Vec::new();
                let mut add = |text: &str, w: f64| {
                    for s in stems(text) {
                        let e = words.entry(s).or_insert(0.0);
                        *e = f64::max(*e, w);
                    }
                };
                add(label, 2.0);
                if let Some(p) = sheet.and_then(|c| c.lookup(label)) {
                    add(&p.description, 1.0);
                    for k in &p.keywords {
                        if k.split_whitespace().count() > 1 {
                            phrases.push(k.to_lowercase());
                        } else {
                            add(k, 3.0);
                        }
                    }
                }
                let cues = CUES
                    .iter()
                    .filter(|(_, w)| stems(w).iter().any(|s| words.contains_key(s)))
                    .map(|(c, _)| *c)
                    .collect();
                Terms {
                    label: label.clone(),
                    words,
                    phrases,
                    cues,
                }
            })
            .collect();
        let fallback = sheet
            .and_then(PatternCatalog::fallback)
            .and_then(|f| {
                labels
                    .iter()
                    .find(|l| sheet.and_then(|c| c.lookup(l)) == Some(f))
            })
            .map(|l| Suggestion {
                label: l.clone(),
                score: Some(FALLBACK_SCORE),
            });
        let neutral = labels.iter().find(|l| is_neutral(l)).map(|l| Suggestion {
            label: l.clone(),
            score: None,
        });
        Suggester {
            learned: None,
            terms,
            otherwise: fallback.or(neutral),
        }
    }

    /// The best label for `text`: a pattern backed by evidence, else the fallback or the
    /// neutral label; `None` when the project has neither (the region is left out).
    pub fn suggest(&self, text: &str) -> Option<Suggestion> {
        self.suggest_with(text, &[])
    }

    /// [`Suggester::suggest`] with the lesson's cues for the region beside its words.
    pub fn suggest_with(&self, text: &str, cues: &[String]) -> Option<Suggestion> {
        self.suggest_parts(&[text], cues)
    }

    /// The suggestion for a region made of several sentences (a stretch of one activity): the
    /// learned model reads their words together; the rules take each pattern's evidence as
    /// twice the mean over the sentences, so that a long stretch is not won by a word here and
    /// there, and add the cues.
    pub fn suggest_parts(&self, parts: &[&str], cues: &[String]) -> Option<Suggestion> {
        if let Some((model, min)) = &self.learned {
            let text = parts.join(" ");
            if let Some((label, p)) = model.predict_with(&text, cues) {
                if p >= *min && self.terms.iter().any(|t| t.label == label) {
                    return Some(Suggestion {
                        label,
                        score: Some(round3(p)),
                    });
                }
            }
        }
        self.rules_parts(parts, cues)
    }

    /// With a learned model answering first when its posterior is at least `min_confidence`.
    pub fn with_learned(
        mut self,
        model: std::sync::Arc<crate::text::TextModel>,
        min_confidence: f64,
    ) -> Self {
        self.learned = Some((model, min_confidence));
        self
    }

    /// The rules' answer alone.
    pub fn rules(&self, text: &str) -> Option<Suggestion> {
        self.rules_with(text, &[])
    }

    /// The rules' answer from the words and the cues.
    pub fn rules_with(&self, text: &str, cues: &[String]) -> Option<Suggestion> {
        self.rules_parts(&[text], cues)
    }

    /// Each pattern's evidence in one text: its words and key phrases found.
    fn word_scores(&self, text: &str) -> Vec<f64> {
        let lower = text.to_lowercase();
        let mut found: BTreeSet<String> = stems(text).into_iter().collect();
        if text.contains('?') {
            found.insert(stem("question"));
            found.insert(stem("вопрос"));
        }
        self.terms
            .iter()
            .map(|t| {
                let words: f64 = t
                    .words
                    .iter()
                    .filter(|(s, _)| found.contains(*s))
                    .map(|(_, w)| w)
                    .sum();
                let phrases = t.phrases.iter().filter(|p| lower.contains(*p)).count() as f64;
                words + 3.0 * phrases
            })
            .collect()
    }

    /// The rules' answer for a region of several sentences: each pattern's word evidence is
    /// twice its mean over the sentences, and the cues add to it.
    pub fn rules_parts(&self, parts: &[&str], cues: &[String]) -> Option<Suggestion> {
        let parts: Vec<&str> = parts
            .iter()
            .copied()
            .filter(|p| !p.trim().is_empty())
            .collect();
        // One sentence: its evidence as it is. Several: the mean over them, doubled (a pattern
        // whose keyword is in every sentence outweighs a cue that fits another).
        let factor = if parts.len() > 1 { 2.0 } else { 1.0 };
        let mut words = vec![0.0; self.terms.len()];
        for p in &parts {
            for (w, s) in words.iter_mut().zip(self.word_scores(p)) {
                *w += factor * s / parts.len() as f64;
            }
        }
        let best = self
            .terms
            .iter()
            .zip(words)
            .map(|(t, words)| {
                let cued = cues.iter().filter(|c| t.cues.contains(c.as_str())).count() as f64;
                (t, words + CUE_WEIGHT * cued)
            })
            // The first of equals wins (sheet order).
            .fold(None::<(&Terms, f64)>, |best, (t, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((t, s)),
            });
        match best {
            Some((t, s)) if s > 0.0 => Some(Suggestion {
                label: t.label.clone(),
                score: Some(round3(s / (s + 3.0))),
            }),
            _ => self.otherwise.clone(),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppi_core::catalog::Pattern;

    fn sheet() -> PatternCatalog {
        PatternCatalog::new(vec![
            Pattern {
                name: "Lecture".into(),
                description: "The teacher explains new material to the whole class.".into(),
                keywords: vec!["explain".into(), "объясняю".into()],
                fallback: false,
            },
            Pattern {
                name: "Questioning".into(),
                description: "The teacher asks questions and students answer. Вопросы учителя."
                    .into(),
                keywords: vec!["who knows".into(), "кто знает".into()],
                fallback: false,
            },
            Pattern {
                name: "Group work".into(),
                description: "Students work together in small groups; работа в группах.".into(),
                keywords: vec![],
                fallback: false,
            },
        ])
        .unwrap()
    }

    fn labels() -> Vec<String> {
        ["Lecture", "Questioning", "Group work"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn english_and_russian_cues_pick_the_pattern() {
        let sheet = sheet();
        let s = Suggester::new(&labels(), Some(&sheet), Some("Speech"));
        let cases = [
            ("Who knows the answer to this?", "Questioning"),
            ("Кто знает ответ на этот вопрос?", "Questioning"),
            ("Let me explain how photosynthesis works.", "Lecture"),
            ("Now work together in your groups.", "Group work"),
            ("Теперь работаем в группах.", "Group work"),
        ];
        for (text, want) in cases {
            let got = s.suggest(text).unwrap();
            assert_eq!(got.label, want, "{text}: {got:?}");
            let score = got.score.unwrap();
            assert!(score > 0.3 && score < 1.0, "{text}: {got:?}");
        }
    }

    #[test]
    fn no_evidence_gets_the_neutral_label_or_the_sheets_fallback() {
        let mut with_neutral = labels();
        with_neutral.push("Speech".into());
        let s = Suggester::new(&with_neutral, Some(&sheet()), Some("Speech"));
        for text in ["Hmm.", "Good morning, everyone.", "Здравствуйте."] {
            assert_eq!(
                s.suggest(text).unwrap(),
                Suggestion {
                    label: "Speech".into(),
                    score: None
                },
                "{text}"
            );
        }
        // The neutral label is never a candidate, even when a transcript says "speech".
        assert_eq!(
            s.suggest("Who knows the answer?").unwrap().label,
            "Questioning"
        );
        assert_eq!(s.suggest("A speech.").unwrap().label, "Speech");
        assert!(s.suggest("A speech.").unwrap().score.is_none());

        let mut patterns = sheet().patterns().to_vec();
        patterns[0].fallback = true;
        let marked = PatternCatalog::new(patterns).unwrap();
        let s = Suggester::new(&with_neutral, Some(&marked), Some("Speech"));
        assert_eq!(
            s.suggest("Hmm.").unwrap(),
            Suggestion {
                label: "Lecture".into(),
                score: Some(FALLBACK_SCORE)
            }
        );
        // No neutral label, no fallback: no guess at all.
        assert!(Suggester::new(&labels(), Some(&sheet()), Some("Speech"))
            .suggest("Hmm.")
            .is_none());
        assert!(Suggester::new(&[], None, None).suggest("x").is_none());
    }
}
