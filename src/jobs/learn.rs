//! `learn`: after an assembly, fits the learned models on every approved review item (see
//! [`crate::learn::fit`]): the key-frame weights and the pattern suggester, each deployed only
//! when it beats the rules on held-out items. The fit's report is the job's result.

use std::sync::Arc;

use super::runner::JobContext;
use super::JobError;
use crate::db::jobs::JobRecord;
use crate::db::review::APPROVED;
use crate::learn::fit::{learn, rules_for, Examples, LearnReport};
use crate::learn::ModelStore;

/// Fits on the service's reviewed items (and `extra` corpus examples); `sheet` gives the
/// rules their patterns' keywords.
pub async fn fit(
    db: &crate::db::Db,
    settings: &crate::config::Settings,
    sheet: Option<&crate::catalog::PatternCatalog>,
    extra: Vec<crate::learn::text::TextExample>,
) -> Result<LearnReport, JobError> {
    let items = db
        .review_items_with(APPROVED)
        .await
        .map_err(JobError::from_coded)?;
    let mut ex = Examples::from_reviews(&items);
    ex.text.extend(extra);
    let rules = rules_for(&ex, sheet, settings.label_studio.neutral());
    let store = ModelStore::new(&settings.server.data_dir);
    let settings = settings.learn.clone();
    tokio::task::spawn_blocking(move || learn(&store, &ex, &rules, &settings))
        .await
        .map_err(|e| JobError::Transient {
            code: "io-error",
            message: format!("worker thread: {e}"),
        })?
        .map_err(|e| JobError::Transient {
            code: "io-error",
            message: format!("models folder: {e}"),
        })
}

pub async fn run(ctx: &Arc<JobContext>, record: &JobRecord) -> Result<(), JobError> {
    let report = fit(&ctx.db, &ctx.settings, ctx.patterns.as_deref(), Vec::new()).await?;
    tracing::info!(
        fit = ?report.fit,
        text = %report.text.in_use,
        frames = %report.frames.in_use,
        "models fitted"
    );
    ctx.db
        .set_job_result(&record.id, &serde_json::json!(report))
        .await
        .map_err(JobError::from_coded)
}
