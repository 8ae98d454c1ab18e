//! The pattern catalog from `patterns.xlsx`: pattern names, their descriptions and optional
//! keywords. This module is the one place where a Label Studio label is matched to a pattern.
//!
//! Matching is exact first, then case-, space- and punctuation-insensitive
//! (`"group work"` finds `"GroupWork"`). Unknown labels are reported all together, each with
//! the closest names in the sheet.

pub mod palette;
pub mod sheet;

use std::collections::HashMap;
use std::fmt;

/// One pattern from the sheet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pattern {
    /// The name as written in the sheet; Label Studio labels use it verbatim.
    pub name: String,
    /// The description (`comments` column), joined into dataset metadata.
    pub description: String,
    /// Optional keywords and phrases used to suggest this pattern from a transcript.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The sheet's explicit fallback: suggested for speech that carries no evidence for any
    /// pattern (a `fallback` column marked yes). Without one, such speech gets the neutral label.
    #[serde(default)]
    pub fallback: bool,
}

/// The patterns of one sheet, in sheet order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternCatalog {
    patterns: Vec<Pattern>,
    by_key: HashMap<String, usize>,
}

/// Two sheet rows name the same pattern (after normalisation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern {name:?} appears twice (also as {other:?})")]
pub struct DuplicatePattern {
    pub name: String,
    pub other: String,
}

/// Labels that match no pattern, each with the closest pattern names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLabels {
    pub labels: Vec<(String, Vec<String>)>,
}

impl fmt::Display for UnknownLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} label(s) are not in the patterns sheet: ",
            self.labels.len()
        )?;
        for (i, (label, near)) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{label:?}")?;
            if !near.is_empty() {
                let near: Vec<String> = near.iter().map(|n| format!("{n:?}")).collect();
                write!(f, " (closest: {})", near.join(", "))?;
            }
        }
        Ok(())
    }
}

/// Lower case, with runs of spaces, `_`, `-`, `.` and `/` removed: `"Group-Work"` → `"groupwork"`.
pub fn match_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.' | '/' | '\u{a0}')))
        .collect()
}

impl PatternCatalog {
    /// Builds a catalog, refusing two patterns whose names match each other.
    pub fn new(patterns: Vec<Pattern>) -> Result<Self, DuplicatePattern> {
        let mut by_key = HashMap::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            if let Some(prev) = by_key.insert(match_key(&p.name), i) {
                return Err(DuplicatePattern {
                    name: p.name.clone(),
                    other: patterns[prev].name.clone(),
                });
            }
        }
        Ok(PatternCatalog { patterns, by_key })
    }

    /// All patterns in sheet order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when the sheet held no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The sheet's fallback pattern, when a row is marked as one.
    pub fn fallback(&self) -> Option<&Pattern> {
        self.patterns.iter().find(|p| p.fallback)
    }

    /// The pattern a label refers to.
    pub fn lookup(&self, label: &str) -> Option<&Pattern> {
        self.by_key
            .get(&match_key(label))
            .map(|&i| &self.patterns[i])
    }

    /// Up to three pattern names closest to `label`, best first.
    pub fn closest(&self, label: &str) -> Vec<String> {
        let key = match_key(label);
        let mut scored: Vec<(f64, &str)> = self
            .patterns
            .iter()
            .map(|p| {
                let other = match_key(&p.name);
                let mut score = strsim::normalized_levenshtein(&key, &other);
                if !key.is_empty() && (other.contains(&key) || key.contains(&other)) {
                    score = score.max(0.75);
                }
                (score, p.name.as_str())
            })
            .filter(|(s, _)| *s >= 0.4)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(3)
            .map(|(_, n)| n.to_owned())
            .collect()
    }

    /// Checks every label, reporting all unknown ones together.
    pub fn check<'a>(
        &self,
        labels: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UnknownLabels> {
        let mut unknown: Vec<(String, Vec<String>)> = Vec::new();
        for label in labels {
            if self.lookup(label).is_none() && !unknown.iter().any(|(l, _)| l == label) {
                unknown.push((label.to_owned(), self.closest(label)));
            }
        }
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(UnknownLabels { labels: unknown })
        }
    }
}

#[cfg(test)]
mod tests;
