//! `ppi dataset publish [DIR]`: the old upload_to_hf.py (same `.env` keys: HF_USERNAME,
//! HF_TOKEN, DATASET_NAME, LOCAL_DATASET_PATH), through the same publisher as the service.

use std::path::PathBuf;

use clap::Args;

use super::{Failure, Ui};
use ppi_core::error::ErrorKind;
use ppi_dataset::hub::{publish, PublishOptions};
use ppi_server::config::Settings;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The dataset folder [default: LOCAL_DATASET_PATH or huggingface_dataset].
    pub dir: Option<PathBuf>,
    /// `owner/name` [default: HF_USERNAME/DATASET_NAME].
    #[arg(long)]
    pub repo: Option<String>,
    /// Create the repository private (PPI_HF_PRIVATE).
    #[arg(long)]
    pub private: bool,
    /// Commit message.
    #[arg(long, default_value = "Publish dataset with PPI")]
    pub message: String,
}

pub fn run_publish(a: PublishArgs, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    let dir = a.dir.unwrap_or_else(|| settings.dataset.path.clone());
    let (repo, client) = super::hub::target(a.repo, settings)?;
    let opts = PublishOptions {
        repo,
        private: a.private || settings.hub.private,
        message: a.message,
    };
    let report = super::runtime()?.block_on(publish(&client, &dir, &opts))?;
    if !ui.quiet {
        errln!(
            "{}: {} file(s), {} unchanged, {} sent ({} LFS bytes, {} inline bytes), {} deleted, {} commit(s){}",
            report.repo,
            report.files,
            report.unchanged,
            report.changed,
            report.lfs_bytes,
            report.inline_bytes,
            report.deleted,
            report.commits,
            if report.created { ", repository created" } else { "" }
        );
    }
    outln!("{}/datasets/{}", settings.hub.endpoint, report.repo);
    Ok(())
}

/// `ppi dataset assemble`: the approved clips of every lesson into the service's dataset
/// folder (`<data dir>/dataset`), then a publish when HF_TOKEN and the repository are set.
pub fn run_assemble(settings: Settings, ui: &Ui) -> Result<(), Failure> {
    super::runtime()?.block_on(async {
        let app = ppi_server::app::App::open(settings).await?;
        let report = ppi_jobs::assemble::assemble(&app.jobs)
            .await
            .map_err(|e| Failure {
                code: e.code(),
                kind: match e {
                    ppi_jobs::JobError::Transient { .. } => ErrorKind::External,
                    _ => ErrorKind::Input,
                },
                message: e.to_string(),
            })?;
        if !ui.quiet {
            errln!(
                "{} item(s), {} copied, {} removed{}",
                report.items,
                report.copied,
                report.removed,
                match &report.published {
                    Some(p) => format!(", published to {} ({} file(s) sent)", p.repo, p.changed),
                    None => String::new(),
                }
            );
        }
        outln!(
            "{}",
            ppi_jobs::stage::dataset_layout(&app.jobs.settings.server.data_dir)
                .root()
                .display()
        );
        Ok(())
    })
}
