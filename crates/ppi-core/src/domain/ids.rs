//! Identifiers and the file-name slugs derived from them.
//!
//! Metadata keeps the user's own lesson ids and labels verbatim (Cyrillic, spaces and all).
//! File names use an ASCII slug instead, for two reasons: they end up in URLs and on the Hub,
//! and `datasets` infers splits from file names. A name such as `lesson_test_01.mp4` silently
//! becomes a `test` split and drops `metadata.csv`, so split words are rewritten in slugs.

use std::fmt;

use super::frames::FrameRange;

/// Words that `datasets` treats as split names when delimited by `-._ ` or digits
/// (`datasets/data_files.py`, `SPLIT_KEYWORDS`), with the spelling PPI uses instead.
const SPLIT_WORDS: &[(&str, &str)] = &[
    ("train", "trn"),
    ("training", "trng"),
    ("validation", "vldtn"),
    ("valid", "vld"),
    ("dev", "dv"),
    ("val", "vl"),
    ("test", "tst"),
    ("testing", "tstng"),
    ("eval", "evl"),
    ("evaluation", "evltn"),
];

const MAX_SLUG_LEN: usize = 48;

/// Transliterates one Cyrillic letter (lower case) to Latin, after ISO 9 / GOST 7.79 system B,
/// simplified to plain ASCII.
fn translit(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "j",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shh",
        'ъ' => "",
        'ы' => "y",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'і' => "i",
        'ї' => "yi",
        'є' => "ye",
        'ґ' => "g",
        _ => return None,
    })
}

/// An ASCII file-name slug: lower case `[a-z0-9-]`, Cyrillic transliterated, split words
/// rewritten, at most 48 characters. Returns `fallback` when nothing usable remains.
pub fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if let Some(t) = translit(c) {
            out.push_str(t);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = guard_split_words(out.trim_matches('-'));
    let mut out: String = out.chars().take(MAX_SLUG_LEN).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out
    }
}

/// Rewrites every letter run that is a split word (`test` → `tst`), leaving the rest intact.
pub fn guard_split_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let lower = run.to_ascii_lowercase();
        match SPLIT_WORDS.iter().find(|(w, _)| *w == lower) {
            Some((_, safe)) => out.push_str(safe),
            None => out.push_str(run),
        }
        run.clear();
    };
    for c in name.chars() {
        if c.is_alphabetic() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// True when `name` contains a split word that `datasets` would act on.
pub fn has_split_word(name: &str) -> bool {
    guard_split_words(name) != name
}

/// The id of one dataset item: `<lesson-slug>_<start>-<end>` in Label Studio frames, plus a
/// suffix when several items share the same range. Stable across re-runs on the same input,
/// so finished items are found again.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// Builds the id; `suffix` disambiguates items with the same frame range.
    pub fn new(lesson_slug: &str, range: FrameRange, suffix: Option<&str>) -> Self {
        let mut id = format!("{lesson_slug}_{:06}-{:06}", range.start(), range.end());
        if let Some(s) = suffix {
            id.push('_');
            id.push_str(&slug(s, "x"));
        }
        ItemId(id)
    }

    /// Accepts an id read back from a manifest, refusing anything unsafe as a file name.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && !s.starts_with(['.', '-'])
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        ok.then(|| ItemId(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
