//! Lesson analytics beside the dataset: `analytics/<lesson>/timeline.{svg,png}`,
//! `heatmap.{svg,png}` and `summary.json`, written atomically, and read back for the card.

use std::path::PathBuf;

use super::layout::Layout;
use ppi_agreement::analytics::{plot, summarise, LessonInput, Summary};

/// The folder, beside `metadata.csv`.
pub const DIR: &str = "analytics";

/// Writing the analytics failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("{file}: {detail}")]
    Io { file: PathBuf, detail: String },
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
}

impl ppi_core::error::Coded for AnalyticsError {
    fn code(&self) -> &'static str {
        "io-error"
    }
    fn kind(&self) -> ppi_core::error::ErrorKind {
        ppi_core::error::ErrorKind::Internal
    }
}

/// Draws and writes one lesson's analytics; returns its summary.
pub fn write(layout: &Layout, slug: &str, input: &LessonInput) -> Result<Summary, AnalyticsError> {
    let dir = layout.root().join(DIR).join(slug);
    let io = |file: PathBuf| {
        move |e: std::io::Error| AnalyticsError::Io {
            file: file.clone(),
            detail: e.to_string(),
        }
    };
    std::fs::create_dir_all(&dir).map_err(io(dir.clone()))?;
    let summary = summarise(input);
    let timeline = plot::timeline_svg(input)?;
    ppi_core::atomic::write(&dir.join("timeline.svg"), timeline.as_bytes())
        .map_err(io(dir.join("timeline.svg")))?;
    plot::timeline_png(input, &dir.join("timeline.png"))?;
    let heatmap = plot::heatmap_svg(&summary)?;
    ppi_core::atomic::write(&dir.join("heatmap.svg"), heatmap.as_bytes())
        .map_err(io(dir.join("heatmap.svg")))?;
    plot::heatmap_png(&summary, &dir.join("heatmap.png"))?;
    let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    ppi_core::atomic::write(&dir.join("summary.json"), &json)
        .map_err(io(dir.join("summary.json")))?;
    Ok(summary)
}

/// Removes a lesson's analytics (the lesson left the dataset).
pub fn remove(layout: &Layout, slug: &str) {
    let _ = std::fs::remove_dir_all(layout.root().join(DIR).join(slug));
}

/// Every lesson's summary, by slug (unreadable ones skipped).
pub fn summaries(layout: &Layout) -> Vec<(String, Summary)> {
    let Ok(entries) = std::fs::read_dir(layout.root().join(DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Summary)> = entries
        .flatten()
        .filter_map(|e| {
            let slug = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path().join("summary.json")).ok()?;
            Some((slug, serde_json::from_slice(&bytes).ok()?))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
