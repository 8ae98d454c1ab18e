//! `ppi hub status`: which lessons a Hub dataset holds (id, video, SHA-256 of the video,
//! items), and which lessons of a local dataset folder are not published yet.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Failure, Ui};
use ppi_core::error::ErrorKind;
use ppi_dataset::hub::published::{self, LessonSummary};
use ppi_dataset::hub::HubClient;
use ppi_dataset::layout::Layout;
use ppi_dataset::manifest::Manifest;
use ppi_server::config::Settings;

#[derive(Debug, Subcommand)]
pub enum HubCommand {
    /// The lessons a Hub dataset holds, and what is local but unpublished.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A local dataset folder to compare [default: LOCAL_DATASET_PATH or huggingface_dataset].
    pub dir: Option<PathBuf>,
    /// `owner/name` [default: HF_USERNAME/DATASET_NAME].
    #[arg(long)]
    pub repo: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The repository and a client for it, from flags and settings (HF_TOKEN required).
pub(super) fn target(
    repo: Option<String>,
    settings: &Settings,
) -> Result<(String, HubClient), Failure> {
    let repo = repo.or_else(|| settings.hub.repo_id()).ok_or(Failure {
        code: "config-invalid",
        kind: ErrorKind::Input,
        message: "which repository? Give --repo owner/name, or set HF_USERNAME and DATASET_NAME"
            .into(),
    })?;
    let token = settings.hub.token.clone().ok_or(Failure {
        code: "config-invalid",
        kind: ErrorKind::Input,
        message: "HF_TOKEN is not set (a token from https://huggingface.co/settings/tokens)".into(),
    })?;
    Ok((repo, HubClient::new(&settings.hub.endpoint, &token)?))
}

/// A local lesson's standing against the published ones.
fn standing(l: &LessonSummary, published: &[LessonSummary]) -> String {
    match published
        .iter()
        .find(|p| !l.source_sha256.is_empty() && p.source_sha256 == l.source_sha256)
    {
        Some(p) if p.lesson_id == l.lesson_id && p.items == l.items => "published".into(),
        Some(p) if p.lesson_id == l.lesson_id => {
            format!("published with {} item(s); {} here", p.items, l.items)
        }
        Some(p) => format!("same video as published lesson {}", p.lesson_id),
        None => "not published".into(),
    }
}

pub fn run(cmd: HubCommand, settings: &Settings, _ui: &Ui) -> Result<(), Failure> {
    let HubCommand::Status(a) = cmd;
    let (repo, client) = target(a.repo, settings)?;
    let dir = a.dir.unwrap_or_else(|| settings.dataset.path.clone());
    let published = super::runtime()?.block_on(published::published(&client, &repo))?;
    let local = if dir.is_dir() {
        published::local(&Manifest::load(&Layout::new(&dir).manifest())?)
    } else {
        Vec::new()
    };
    if a.json {
        let local: Vec<_> = local
            .iter()
            .map(|l| {
                let mut v = serde_json::to_value(l).unwrap_or_default();
                v["status"] = standing(l, &published).into();
                v
            })
            .collect();
        let out = serde_json::json!({
            "repo": repo,
            "published": published,
            "local": { "dir": dir, "lessons": local },
        });
        outln!("{out}");
        return Ok(());
    }
    outln!("{repo}: {} lesson(s) published", published.len());
    for p in &published {
        let sha = p.source_sha256.get(..12).unwrap_or("(no hash)");
        outln!(
            "  {}  {}  sha256 {sha}…  {} item(s)",
            p.lesson_id,
            p.source_video,
            p.items
        );
    }
    if !local.is_empty() {
        outln!("{}: {} lesson(s)", dir.display(), local.len());
        for l in &local {
            outln!("  {}  {}", l.lesson_id, standing(l, &published));
        }
    }
    Ok(())
}
