//! One lesson (video + Label Studio export + patterns sheet) into a dataset folder, as the
//! watcher and the service's `dataset-build` jobs do it: the standard build request from the
//! settings, and the duplicate checks by video hash (the folder's manifest, the Hub's listing).

use std::path::{Path, PathBuf};

use super::layout::Layout;
use super::manifest::{CardSettings, Manifest, ManifestError};
use super::request::BuildRequest;
use crate::hub::published::{self, LessonSummary};
use crate::hub::settings::HubSettings;
use crate::settings::DatasetSettings;
use ppi_label_studio::choice::AnnotationChoice;
use ppi_label_studio::settings::AgreementSettings;

/// What a lesson's build reads of the settings.
#[derive(Debug, Clone, Copy)]
pub struct BuildSettings<'a> {
    pub dataset: &'a DatasetSettings,
    pub hub: &'a HubSettings,
    pub agreement: AgreementSettings,
    /// Where the learned key-frame scorer is kept.
    pub data_dir: &'a Path,
}

/// A lesson's files and the id it gets in the dataset.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LessonFiles {
    pub id: String,
    pub video: PathBuf,
    pub export: PathBuf,
    pub patterns: PathBuf,
}

/// The dataset card's settings: `[dataset]`, the Hub name, else the folder's name.
pub fn card_settings(d: &DatasetSettings, hub: &HubSettings, out: &Path) -> CardSettings {
    let name = d
        .pretty_name
        .clone()
        .or_else(|| hub.dataset_name.clone())
        .unwrap_or_else(|| {
            out.file_name()
                .map(|n| n.to_string_lossy().replace(['_', '-'], " "))
                .unwrap_or_else(|| "PPI classroom patterns".into())
        });
    CardSettings {
        pretty_name: name,
        license: d.license.clone(),
        languages: d.languages.clone(),
        repo_id: hub.repo_id(),
        parquet: false,
    }
}

/// The build of `lesson` into `out` with the configured clip mode, quality and analytics,
/// waiting for another writer of the folder.
pub fn request(settings: BuildSettings, lesson: &LessonFiles, out: &Path) -> BuildRequest {
    BuildRequest {
        video: lesson.video.clone(),
        annotations: lesson.export.clone(),
        patterns: lesson.patterns.clone(),
        out: out.to_owned(),
        mode: settings.dataset.mode,
        key_frame: settings.dataset.key_frame,
        faces: settings.dataset.faces,
        crop: None,
        jobs: settings.dataset.workers(),
        fps: None,
        annotation: AnnotationChoice::Latest,
        task: None,
        from_name: None,
        lesson_id: Some(lesson.id.clone()),
        allow_unknown_labels: false,
        jpeg_quality: settings.dataset.jpeg_quality,
        card: card_settings(settings.dataset, settings.hub, out),
        wait_for_lock: true,
        agreement: settings.agreement,
        analytics: true,
        scorer: ppi_learn::ModelStore::new(settings.data_dir).frame_scorer(),
    }
}

/// Another lesson of the folder `out` with the same video (`sha`), described.
pub fn local_duplicate(
    out: &Path,
    lesson_id: &str,
    sha: &str,
) -> Result<Option<String>, ManifestError> {
    let manifest = Manifest::load(&Layout::new(out).manifest())?;
    Ok(published::local(&manifest)
        .into_iter()
        .find(|l| l.source_sha256 == sha && l.lesson_id != lesson_id)
        .map(|l| {
            format!(
                "same video as lesson {} ({}) already in {}",
                l.lesson_id,
                l.source_video,
                out.display()
            )
        }))
}

/// Another published lesson of `repo` with the same video, described.
pub fn hub_duplicate(
    known: &[LessonSummary],
    repo: &str,
    lesson_id: &str,
    sha: &str,
) -> Option<String> {
    known
        .iter()
        .find(|p| p.source_sha256 == sha && p.lesson_id != lesson_id)
        .map(|p| {
            format!(
                "same video as lesson {} ({}) already published in {repo}",
                p.lesson_id, p.source_video
            )
        })
}

/// A dataset name a user may give: 1–64 of `a-z 0-9 _ -`, starting with a letter or digit.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Where a user's named datasets live: `<data dir>/datasets/<user>/`.
pub fn owned_root(data_dir: &Path, owner: &ppi_core::domain::Username) -> PathBuf {
    data_dir.join("datasets").join(owner.as_str())
}

/// A file's version for job keys: its size and modification time (empty when unreadable).
pub fn file_version(p: &Path) -> String {
    std::fs::metadata(p)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{t}", m.len())
        })
        .unwrap_or_default()
}
