//! `ppi draft TRANSCRIPT.json`: the pre-annotation PPI would push to Label Studio for a
//! transcript (from `ppi transcribe --format json`), offline: its regions (one per stretch of
//! one activity where the speakers are known, else one per sentence), each with its suggested
//! pattern, score, cues and evidence.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::Failure;
use ppi_agreement::analytics::mmss;
use ppi_learn::suggest::Suggester;
use ppi_server::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    /// A lesson transcript as `ppi transcribe --format json` writes it (with `--speakers` for
    /// regions by activity).
    pub transcript: PathBuf,
    /// The patterns sheet (.xlsx or .csv) [default: PPI_PATTERNS].
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// One region per sentence and the words alone, as PPI drafted before it read the
    /// lesson's structure (for comparison).
    #[arg(long)]
    pub by_sentence: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(a: DraftArgs, settings: &Settings) -> Result<(), Failure> {
    let path = a
        .patterns
        .as_ref()
        .or(settings.label_studio.patterns.as_ref())
        .ok_or_else(|| {
            Failure::input(
                "invalid-argument",
                "no patterns sheet: give --patterns or set PPI_PATTERNS".into(),
            )
        })?;
    let sheet = ppi_core::catalog::sheet::load(path)?;
    let transcript = super::activity::read_transcript(&a.transcript)?;
    let neutral = settings.label_studio.neutral();
    let mut labels: Vec<String> = sheet.patterns().iter().map(|p| p.name.clone()).collect();
    if let Some(n) = neutral {
        labels.push(n.to_owned());
    }
    let suggester = Suggester::new(&labels, Some(&sheet), neutral);
    let mut rules = settings.label_studio.regions;
    rules.by_activity = !a.by_sentence;
    let regions = ppi_label_studio::evidence::regions(&transcript, &rules, &suggester);
    let mut out = Vec::new();
    for r in &regions {
        let Some(s) = r.suggest(&suggester) else {
            continue;
        };
        out.push(
            json!({"start": r.start, "end": r.end, "label": s.label, "score": s.score,
                        "cues": r.cues, "why": r.why, "text": r.text}),
        );
    }
    let by = if rules.by_activity
        && out
            .iter()
            .any(|r| !r["cues"].as_array().is_none_or(Vec::is_empty))
    {
        "activity"
    } else {
        "sentence"
    };
    match a.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json!({"by": by, "regions": out})).unwrap_or_default()
        ),
        Format::Text => {
            outln!("{} region(s), one per {by}", out.len());
            for r in &out {
                let (s, e) = (
                    r["start"].as_f64().unwrap_or(0.0),
                    r["end"].as_f64().unwrap_or(0.0),
                );
                let why: Vec<&str> = r["why"]
                    .as_array()
                    .map(|w| w.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                outln!(
                    "{}–{}  {} ({}){}",
                    mmss(s),
                    mmss(e),
                    r["label"].as_str().unwrap_or(""),
                    r["score"]
                        .as_f64()
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_else(|| "no score".into()),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", why.join("; "))
                    }
                );
            }
        }
    }
    Ok(())
}
