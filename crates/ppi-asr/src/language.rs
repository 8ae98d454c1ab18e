//! Language selection for transcription: automatic detection per speech chunk, or forced.

use std::fmt;
use std::str::FromStr;

/// Which language to transcribe in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LanguageChoice {
    /// Detect per speech chunk (lessons switch languages), optionally among `candidates` only.
    #[default]
    Auto,
    /// Detect per chunk, choosing only among these codes (e.g. `en,ru`).
    AutoAmong(Vec<String>),
    /// Always this language.
    Forced(String),
}

/// A code Whisper does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Whisper language code (use auto, a code such as en or ru, or a list such as en,ru)")]
pub struct UnsupportedLanguage(pub String);

/// True when Whisper has a token for `code`.
pub fn is_supported(code: &str) -> bool {
    whisper_rs::get_lang_id(code).is_some()
}

impl FromStr for LanguageChoice {
    type Err = UnsupportedLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s == "auto" {
            return Ok(LanguageChoice::Auto);
        }
        let codes: Vec<String> = s
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = codes.iter().find(|c| !is_supported(c)) {
            return Err(UnsupportedLanguage(bad.clone()));
        }
        match codes.as_slice() {
            [one] => Ok(LanguageChoice::Forced(one.clone())),
            _ => Ok(LanguageChoice::AutoAmong(codes)),
        }
    }
}

impl fmt::Display for LanguageChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LanguageChoice::Auto => f.write_str("auto"),
            LanguageChoice::AutoAmong(c) => f.write_str(&c.join(",")),
            LanguageChoice::Forced(c) => f.write_str(c),
        }
    }
}

#[cfg(test)]
#[path = "language_tests.rs"]
mod tests;
