//! Suggesting a pattern for a region from its transcript: transparent keyword rules over the
//! sheet's pattern names, descriptions and keywords, in English and Russian.
//!
//! Words are lower-cased and cut to a short prefix stem (5 letters), which folds most English
//! and Russian inflections together (`questions`/`questioning`, `вопрос`/`вопросы`/`вопросов`).
//! Each pattern gets terms with weights: a keyword or key phrase found in the text 3, a word
//! of the pattern's name 2, a word of its description 1. Short and common words are ignored.
//! A question mark in the text counts as the term "question" (`вопрос`). The region's score is
//! `s / (s + 3)` for the best pattern's weight sum `s`, so one name word gives 0.4 and strong
//! evidence approaches 1. With no evidence the first label is suggested with score 0.05.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::PatternCatalog;

/// Bumped whenever the rules change, so LS sees a new model version.
pub const RULES_VERSION: u32 = 1;

const STEM: usize = 5;

/// Words too common to be evidence (en/ru), compared by stem.
const STOP: &[&str] = &[
    "about",
    "after",
    "again",
    "also",
    "because",
    "before",
    "being",
    "could",
    "every",
    "from",
    "have",
    "into",
    "other",
    "should",
    "some",
    "such",
    "than",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "very",
    "what",
    "when",
    "where",
    "which",
    "while",
    "with",
    "would",
    "your",
    "teacher",
    "student",
    "students",
    "class",
    "lesson",
    "если",
    "когда",
    "чтобы",
    "который",
    "которые",
    "этот",
    "этого",
    "только",
    "также",
    "потому",
    "после",
    "через",
    "очень",
    "учитель",
    "ученик",
    "ученики",
    "урок",
    "класс",
];

fn stem(word: &str) -> String {
    word.chars().take(STEM).collect()
}

/// The stems of `text`'s words of four letters or more, stop words removed.
pub fn stems(text: &str) -> Vec<String> {
    let stop: BTreeSet<String> = STOP.iter().map(|w| stem(w)).collect();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(|w| stem(&w.to_lowercase()))
        .filter(|s| !stop.contains(s))
        .collect()
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub label: String,
    pub score: f64,
}

struct Terms {
    label: String,
    /// stem → weight.
    words: BTreeMap<String, f64>,
    /// Lower-cased key phrases (several words), matched as substrings.
    phrases: Vec<String>,
}

/// Scores transcripts against a project's labels.
pub struct Suggester {
    terms: Vec<Terms>,
}

impl Suggester {
    /// `labels` are the project's timeline labels (in order); the sheet, when given, adds
    /// descriptions and keywords for the labels it knows.
    pub fn new(labels: &[String], sheet: Option<&PatternCatalog>) -> Self {
        let terms = labels
            .iter()
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
                Terms {
                    label: label.clone(),
                    words,
                    phrases,
                }
            })
            .collect();
        Suggester { terms }
    }

    /// The best label for `text`, with its score in [0, 1].
    pub fn suggest(&self, text: &str) -> Option<Suggestion> {
        let first = self.terms.first()?;
        let lower = text.to_lowercase();
        let mut found: BTreeSet<String> = stems(text).into_iter().collect();
        if text.contains('?') {
            found.insert(stem("question"));
            found.insert(stem("вопрос"));
        }
        let best = self
            .terms
            .iter()
            .map(|t| {
                let words: f64 = t
                    .words
                    .iter()
                    .filter(|(s, _)| found.contains(*s))
                    .map(|(_, w)| w)
                    .sum();
                let phrases = t.phrases.iter().filter(|p| lower.contains(*p)).count() as f64;
                (t, words + 3.0 * phrases)
            })
            // The first of equals wins (sheet order).
            .fold(None::<(&Terms, f64)>, |best, (t, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((t, s)),
            });
        Some(match best {
            Some((t, s)) if s > 0.0 => Suggestion {
                label: t.label.clone(),
                score: round3(s / (s + 3.0)),
            },
            _ => Suggestion {
                label: first.label.clone(),
                score: 0.05,
            },
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Pattern;

    fn sheet() -> PatternCatalog {
        PatternCatalog::new(vec![
            Pattern {
                name: "Lecture".into(),
                description: "The teacher explains new material to the whole class.".into(),
                keywords: vec!["explain".into(), "объясняю".into()],
            },
            Pattern {
                name: "Questioning".into(),
                description: "The teacher asks questions and students answer. Вопросы учителя."
                    .into(),
                keywords: vec!["who knows".into(), "кто знает".into()],
            },
            Pattern {
                name: "Group work".into(),
                description: "Students work together in small groups; работа в группах.".into(),
                keywords: vec![],
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
        let s = Suggester::new(&labels(), Some(&sheet));
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
            assert!(got.score > 0.3 && got.score < 1.0, "{text}: {got:?}");
        }
    }

    #[test]
    fn no_evidence_falls_back_to_the_first_label_with_a_low_score() {
        let s = Suggester::new(&labels(), None);
        let got = s.suggest("Hmm.").unwrap();
        assert_eq!(
            got,
            Suggestion {
                label: "Lecture".into(),
                score: 0.05
            }
        );
        assert!(Suggester::new(&[], None).suggest("x").is_none());
    }
}
