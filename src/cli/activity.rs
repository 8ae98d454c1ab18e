//! `ppi activity TRANSCRIPT.json`: what happens in a transcribed lesson (from `ppi transcribe
//! --speakers … --format json`, or a transcript edited by hand): the teacher's questions and
//! their type, Rowe's wait times, and the activity of each 2-minute bin.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Failure;
use ppi_agreement::analytics::mmss;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// A lesson transcript with its speakers, as `ppi transcribe --speakers auto --format
    /// json` writes it.
    pub transcript: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Reads a transcript JSON, naming the file and the place of a problem.
pub(crate) fn read_transcript(path: &std::path::Path) -> Result<ppi_asr::Transcript, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::input("io-error", format!("{}: cannot read: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::input(
            "transcript-invalid",
            format!(
                "{}: not a transcript (line {}, column {}): {e}",
                path.display(),
                e.line(),
                e.column()
            ),
        )
    })
}

pub fn run(a: ActivityArgs) -> Result<(), Failure> {
    let t = read_transcript(&a.transcript)?;
    let e = ppi_activity::analyse(&t).ok_or_else(|| {
        Failure::input(
            "transcript-no-speakers",
            format!(
                "{}: the transcript has no speaker turns; transcribe it with --speakers auto",
                a.transcript.display()
            ),
        )
    })?;
    match a.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&e).unwrap_or_default()),
        Format::Text => {
            let s = ppi_agreement::analytics::activity::summarise(&e.for_analytics(), t.duration);
            out!("{}", ppi_agreement::analytics::activity::markdown(&s));
            if s.list.is_empty() {
                outln!("no teacher question found ({} long)", mmss(t.duration));
            }
        }
    }
    Ok(())
}
