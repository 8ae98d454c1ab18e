//! `ppi ls`: Label Studio label configs, one-command wiring, and pre-annotation on demand.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::{Failure, Ui};
use ppi_core::catalog::sheet;
use ppi_core::error::ErrorKind;
use ppi_label_studio::client::LsClient;
use ppi_label_studio::config::{annotation_config, review_config};
use ppi_label_studio::model::TaskRecord;
use ppi_label_studio::webhook::LsEvent;
use ppi_server::app::App;
use ppi_server::config::Settings;
use ppi_server::ls_sync::bootstrap::{bootstrap, BootstrapOptions};

/// What the generated configs contain.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The patterns sheet (.xlsx or .csv): one timeline label per pattern [default: PPI_PATTERNS].
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// Speaker choices per region, comma-separated (e.g. teacher,student).
    #[arg(long, value_delimiter = ',')]
    pub speakers: Vec<String>,
    /// Add a crop box tool on the review project's key frame.
    #[arg(long)]
    pub crop: bool,
}

#[derive(Debug, Subcommand)]
pub enum LsCommand {
    /// Write annotation.xml and review.xml generated from the patterns sheet.
    Config {
        #[command(flatten)]
        config: ConfigArgs,
        /// Folder for the two files.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
    /// Create or update the projects, attach PPI as the ML backend, register the webhooks,
    /// import lessons uploaded earlier (idempotent; reports what it did). Needs
    /// LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY, `ppi serve` reachable from Label Studio, and
    /// the same config and data dir as `ppi serve` (`--config`, PPI_DATA_DIR). `ppi serve`
    /// runs the same pass at start when PPI_PATTERNS is set.
    Bootstrap {
        #[command(flatten)]
        config: ConfigArgs,
        /// Connect PPI's S3 bucket to the annotation project (presigned URLs) [default: on when
        /// PPI_STORAGE=s3].
        #[arg(long)]
        s3: bool,
        /// How Label Studio reaches PPI's ML backend [default: PPI_ML_URL, else PPI_PUBLIC_URL/ml,
        /// else http://<server.bind>/ml, as `ppi serve` derives it].
        #[arg(long)]
        ml_url: Option<String>,
        /// Annotators per task (LS's maximum_annotations); with two or more, a task's
        /// agreement is measured and its gated consensus goes to review [default:
        /// PPI_LS_ANNOTATORS].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=50))]
        annotators: Option<u32>,
    },
    /// Queue pre-annotation for every task of a project (a running `ppi serve` or `ppi worker`
    /// does the work).
    Predict {
        #[arg(long)]
        project: i64,
    },
}

fn client(settings: &Settings) -> Result<LsClient, Failure> {
    LsClient::from_settings(&settings.label_studio)?.ok_or(Failure {
        code: "config-invalid",
        kind: ErrorKind::Input,
        message: "Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY"
            .into(),
    })
}

/// The sheet: `--patterns`, else the configured one.
fn patterns(
    args: &ConfigArgs,
    settings: &Settings,
) -> Result<ppi_core::catalog::PatternCatalog, Failure> {
    let path = args
        .patterns
        .clone()
        .or_else(|| settings.label_studio.patterns.clone())
        .ok_or(Failure {
            code: "config-invalid",
            kind: ErrorKind::Input,
            message: "which patterns sheet? Give --patterns FILE or set PPI_PATTERNS".into(),
        })?;
    Ok(sheet::load(&path)?)
}

pub fn run(cmd: LsCommand, settings: Settings, ui: &Ui) -> Result<(), Failure> {
    match cmd {
        LsCommand::Config { config, out_dir } => {
            let catalog = patterns(&config, &settings)?;
            std::fs::create_dir_all(&out_dir).map_err(|e| io(&out_dir, e))?;
            for (name, xml) in [
                (
                    "annotation.xml",
                    annotation_config(&catalog, &config.speakers, settings.label_studio.neutral()),
                ),
                ("review.xml", review_config(config.crop)),
            ] {
                let path = out_dir.join(name);
                ppi_core::atomic::write(&path, xml.as_bytes()).map_err(|e| io(&path, e))?;
                outln!("{}", path.display());
            }
            Ok(())
        }
        LsCommand::Bootstrap {
            config,
            s3,
            ml_url,
            annotators,
        } => {
            let catalog = patterns(&config, &settings)?;
            client(&settings)?;
            let rt = super::runtime()?;
            rt.block_on(async {
                let app = App::open(settings.clone()).await?;
                let job_settings = settings.job_settings();
                let mut opts = BootstrapOptions::from_settings(
                    &job_settings,
                    &catalog,
                    ppi_server::app::webhook_secret(&settings)?,
                );
                if !config.speakers.is_empty() {
                    opts.speakers = config.speakers.clone();
                }
                opts.crop |= config.crop;
                opts.s3 |= s3;
                if let Some(u) = ml_url {
                    opts.ml_url = u.trim_end_matches('/').to_owned();
                }
                if annotators.is_some() {
                    opts.annotators = annotators;
                }
                let report = bootstrap(&app.jobs, &opts).await?;
                ppi_server::ls_sync::bootstrap::audit_changes(
                    &app.db,
                    &super::cli_actor(),
                    &report,
                )
                .await;
                for done in report {
                    outln!("{:<9} {}", done.outcome, done.what);
                }
                Ok(())
            })
        }
        LsCommand::Predict { project } => {
            let _ = ui;
            let ls = client(&settings)?;
            let rt = super::runtime()?;
            rt.block_on(async {
                let app = Arc::new(App::open(settings).await?);
                let (mut seen, mut queued) = (0usize, 0usize);
                for page in 1.. {
                    let (_, tasks) = match ls.tasks_updated_after(project, None, page, 100).await {
                        Ok(t) => t,
                        Err(e) if e.status() == Some(404) && page > 1 => break,
                        Err(e) => return Err(e.into()),
                    };
                    for t in &tasks {
                        seen += 1;
                        let Some(task) = TaskRecord::from_ls(t) else {
                            continue;
                        };
                        let event = LsEvent::TaskCreated { project, task };
                        queued += usize::from(
                            ppi_server::ls_sync::queue_event(&app.jobs, &event, "PREDICT", "cli", None)
                                .await?,
                        );
                    }
                    if tasks.len() < 100 {
                        break;
                    }
                }
                outln!(
                    "project {project}: {seen} task(s), {queued} queued for pre-annotation, {} already handled",
                    seen - queued
                );
                Ok(())
            })
        }
    }
}

fn io(path: &std::path::Path, e: std::io::Error) -> Failure {
    Failure {
        code: "io-error",
        kind: ErrorKind::Input,
        message: format!("{}: {e}", path.display()),
    }
}
