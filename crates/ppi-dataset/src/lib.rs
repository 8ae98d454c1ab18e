//! Dataset folders: layout, metadata schema, manifest, card, and the build and prepare use
//! cases shared by the CLI and the service.

pub mod analytics;
pub mod build;
pub mod card;
pub mod hub;
pub mod layout;
pub mod lesson;
pub mod manifest;
pub mod metadata;
pub mod parquet;
pub mod plan;
pub mod prepare;
pub mod request;
pub mod settings;
pub mod transcribe;
pub mod work;

use layout::Layout;
use manifest::{Manifest, ManifestError};

/// The default config's data files without Parquet: the image folder view of `metadata.csv`.
pub const IMAGE_FOLDER_FILES: [&str; 2] = ["metadata.csv", "images/*.jpg"];
/// The default config's data files with Parquet: every modality decoded.
pub const PARQUET_FILES: [&str; 1] = ["data/train-*"];

/// Lists the items: the manifest, then `metadata.csv` and `metadata.jsonl` (cheap: no card,
/// no Parquet), after each item a build commits. The manifest goes first, so a kill between
/// the writes leaves the next run knowing every item the listing shows (and reusing it).
pub fn write_listing(layout: &Layout, manifest: &Manifest) -> Result<(), ManifestError> {
    manifest.save(&layout.manifest())?;
    write_metadata(layout, &manifest.rows())
}

/// An I/O error on one of the dataset's files.
fn io_error(layout: &Layout, file: &str) -> impl FnOnce(std::io::Error) -> ManifestError {
    let file = layout.abs(file);
    move |source| ManifestError::Io { file, source }
}

/// `metadata.csv` and `metadata.jsonl` from the manifest's rows.
fn write_metadata(layout: &Layout, rows: &[metadata::Row]) -> Result<(), ManifestError> {
    let io = |file| io_error(layout, file);
    metadata::write_csv(&layout.abs(layout::METADATA_CSV), rows)
        .map_err(io(layout::METADATA_CSV))?;
    metadata::write_jsonl(&layout.abs(layout::METADATA_JSONL), rows)
        .map_err(io(layout::METADATA_JSONL))
}

/// Writes `metadata.csv`, `metadata.jsonl`, the Parquet table when enabled, the card and the
/// manifest from the manifest.
pub fn write_index(layout: &Layout, manifest: &Manifest) -> Result<(), ManifestError> {
    let rows = manifest.rows();
    write_metadata(layout, &rows)?;
    let io = |file| io_error(layout, file);
    let info = card::TranscriptInfo {
        models: manifest.transcript_models(),
        analytics: analytics::summaries(layout),
    };
    let files: &[&str] = if manifest.card.parquet {
        parquet::write_shards(layout, &rows).map_err(io("data"))?;
        &PARQUET_FILES
    } else {
        &IMAGE_FOLDER_FILES
    };
    let text = card::render(manifest, &rows, files, &info);
    ppi_core::atomic::write(&layout.abs(layout::CARD), text.as_bytes())
        .map_err(io(layout::CARD))?;
    manifest.save(&layout.manifest())
}
