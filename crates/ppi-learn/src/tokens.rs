//! How suggestions read a text, in English and Russian: words lower-cased and cut to a short
//! prefix stem (5 letters), which folds most inflections together (`questions`/`questioning`,
//! `вопрос`/`вопросы`/`вопросов`), with short and common words left out. The rules and the
//! learned model read a text the same way.

use std::collections::BTreeSet;

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

/// A word's stem: its first letters.
pub fn stem(word: &str) -> String {
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
