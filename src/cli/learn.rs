//! `ppi learn`: fits the learned models on the service's reviewed items (plus an optional
//! corpus of labelled transcripts) and prints the report; a model is deployed only when it
//! beats the rules on held-out examples.

use std::path::PathBuf;

use super::service::io_failure;
use super::{Failure, Ui};
use ppi_core::error::ErrorKind;
use ppi_server::app::App;
use ppi_server::config::Settings;

#[derive(Debug, clap::Args)]
pub struct LearnArgs {
    /// More labelled transcripts: JSON lines `{"text": ..., "label": ...}`.
    #[arg(long, value_name = "FILE")]
    pub corpus: Option<PathBuf>,
    /// The patterns sheet whose keywords the rules use (default `[label_studio] patterns`).
    #[arg(long, value_name = "FILE")]
    pub patterns: Option<PathBuf>,
    /// Examples each model needs before it is fitted (default `[learn] min_examples`).
    #[arg(long, value_name = "N")]
    pub min_examples: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: LearnArgs, mut settings: Settings, ui: &Ui) -> Result<(), Failure> {
    if let Some(n) = a.min_examples {
        settings.learn.min_examples = n;
    }
    let extra = match &a.corpus {
        Some(p) => {
            ppi_learn::fit::read_corpus(p).map_err(|m| Failure::input("corpus-invalid", m))?
        }
        None => Vec::new(),
    };
    let sheet = match a
        .patterns
        .as_ref()
        .or(settings.label_studio.patterns.as_ref())
    {
        Some(p) => Some(ppi_core::catalog::sheet::load(p)?),
        None => None,
    };
    let rt = super::runtime()?;
    let report = rt.block_on(async {
        let db = App::database(&settings).await?;
        ppi_jobs::learn::fit(
            &db,
            &settings.server.data_dir,
            &settings.learn,
            settings.label_studio.neutral(),
            sheet.as_ref(),
            extra,
        )
        .await
        .map_err(|e| Failure {
            code: e.code(),
            kind: ErrorKind::Internal,
            message: e.to_string(),
        })
    })?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(io_failure)?
        );
    } else if !ui.quiet {
        for (name, m) in [
            ("suggestions", &report.text),
            ("key frames", &report.frames),
        ] {
            let acc = match (m.rules_accuracy, m.learned_accuracy) {
                (Some(r), Some(l)) => format!(", held-out accuracy rules {r} / learned {l}"),
                _ => String::new(),
            };
            outln!(
                "{name}: {} example(s){acc}; {}; in use: {}",
                m.examples,
                m.reason,
                m.in_use
            );
        }
        match report.fit {
            Some(n) => outln!("fit {n} kept in {}", report.models),
            None => outln!("nothing fitted"),
        }
    }
    Ok(())
}
