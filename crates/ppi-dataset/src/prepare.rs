//! `ppi dataset prepare`: review the extracted key frames, remove bad items for good, and
//! rebuild metadata and the card. (Transcription hooks in here too.)

use std::path::{Path, PathBuf};

use super::layout::Layout;
use super::manifest::{Exclusion, Manifest, ManifestError};
use super::metadata::Row;
use super::plan::remove_item_files;
use ppi_core::domain::ItemId;
use ppi_core::error::{Coded, ErrorKind};

/// Errors of `prepare`.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(
        "{dir}: not a PPI dataset folder (no .ppi/manifest.json); run `ppi dataset build` first"
    )]
    NotADataset { dir: PathBuf },
    #[error("{0}")]
    Selection(String),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Locked(#[from] super::layout::LockError),
}

impl Coded for PrepareError {
    fn code(&self) -> &'static str {
        match self {
            PrepareError::NotADataset { .. } => "dataset-not-found",
            PrepareError::Selection(_) => "invalid-selection",
            PrepareError::Manifest(e) => e.code(),
            PrepareError::Locked(e) => e.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            PrepareError::Manifest(e) => e.kind(),
            PrepareError::Locked(e) => e.kind(),
            _ => ErrorKind::Input,
        }
    }
}

/// An opened dataset folder, locked against other writers while open.
pub struct Dataset {
    pub layout: Layout,
    pub manifest: Manifest,
    _lock: std::fs::File,
}

impl Dataset {
    /// Opens the dataset at `dir`.
    pub fn open(dir: &Path) -> Result<Self, PrepareError> {
        let layout = Layout::new(dir);
        if !layout.manifest().is_file() {
            return Err(PrepareError::NotADataset { dir: dir.into() });
        }
        let lock = layout.lock(true)?;
        let manifest = Manifest::load(&layout.manifest())?;
        Ok(Dataset {
            layout,
            manifest,
            _lock: lock,
        })
    }

    /// Items in listing order; the user refers to them by 1-based position.
    pub fn rows(&self) -> Vec<Row> {
        self.manifest.rows()
    }

    /// Removes items (files and rows) and remembers them as excluded, so a later build does
    /// not bring them back. Returns how many were removed.
    pub fn exclude(&mut self, ids: &[ItemId]) -> usize {
        let mut n = 0;
        for id in ids {
            if let Some(item) = self.manifest.items.remove(id) {
                remove_item_files(&self.layout, &item.row);
                self.manifest.excluded.insert(
                    id.clone(),
                    Exclusion {
                        pattern_type: item.row.pattern_type.clone(),
                        lesson_id: item.row.lesson_id.clone(),
                    },
                );
                n += 1;
            }
        }
        n
    }

    /// Rewrites metadata, card and manifest.
    pub fn save(&self) -> Result<(), PrepareError> {
        super::write_index(&self.layout, &self.manifest)?;
        Ok(())
    }
}

/// Parses a selection such as `3, 7`, `2-5` or item ids against `rows` (1-based positions).
pub fn parse_selection(text: &str, rows: &[Row]) -> Result<Vec<ItemId>, PrepareError> {
    let mut out: Vec<ItemId> = Vec::new();
    let bad = |t: &str| {
        PrepareError::Selection(format!(
            "{t:?} is not an item number between 1 and {} or an item id",
            rows.len()
        ))
    };
    for token in text
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let positions: Vec<usize> = if let Some((a, b)) = token
            .split_once('-')
            .filter(|(a, b)| a.parse::<usize>().is_ok() && b.parse::<usize>().is_ok())
        {
            let (a, b): (usize, usize) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
            if a == 0 || b < a || b > rows.len() {
                return Err(bad(token));
            }
            (a..=b).collect()
        } else if let Ok(n) = token.parse::<usize>() {
            if n == 0 || n > rows.len() {
                return Err(bad(token));
            }
            vec![n]
        } else if let Some(i) = rows.iter().position(|r| r.id == token) {
            vec![i + 1]
        } else {
            return Err(bad(token));
        };
        for n in positions {
            if let Some(id) = ItemId::parse(&rows[n - 1].id) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "prepare_tests.rs"]
mod tests;
