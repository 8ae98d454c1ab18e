//! `learn`: after an assembly, fits the learned models on every approved review item (see
//! [`ppi_learn::fit`]): the key-frame weights and the pattern suggester, each deployed only
//! when it beats the rules on held-out items. The fit's report is the job's result.

use crate::context::JobContext;
use crate::error::{io, JobError};
use crate::payload::{Job, Learn};
use ppi_learn::fit::{learn, rules_for, Examples, LearnReport};
use ppi_learn::ModelStore;
use ppi_store::db::jobs::JobRecord;
use ppi_store::db::review::APPROVED;

/// Fits on the service's reviewed items (and `extra` corpus examples); `sheet` gives the
/// rules their patterns' keywords.
pub fn fit<'a>(
    db: &'a ppi_store::db::Db,
    data_dir: &'a std::path::Path,
    learn_settings: &'a ppi_learn::LearnSettings,
    neutral: Option<&'a str>,
    sheet: Option<&'a ppi_core::catalog::PatternCatalog>,
    extra: Vec<ppi_learn::text::TextExample>,
) -> futures_util::future::BoxFuture<'a, Result<LearnReport, JobError>> {
    // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
    // "Boxed entry points").
    Box::pin(fitting(db, data_dir, learn_settings, neutral, sheet, extra))
}

async fn fitting(
    db: &ppi_store::db::Db,
    data_dir: &std::path::Path,
    learn_settings: &ppi_learn::LearnSettings,
    neutral: Option<&str>,
    sheet: Option<&ppi_core::catalog::PatternCatalog>,
    extra: Vec<ppi_learn::text::TextExample>,
) -> Result<LearnReport, JobError> {
    let items = db
        .review_items_with(APPROVED)
        .await
        .map_err(JobError::from_coded)?;
    let mut ex = Examples::from_reviews(
        items
            .iter()
            .map(|i| (i.learning.as_deref(), i.frame_choice)),
    );
    ex.text.extend(extra);
    let rules = rules_for(&ex, sheet, neutral);
    let store = ModelStore::new(data_dir);
    let settings = learn_settings.clone();
    tokio::task::spawn_blocking(move || learn(&store, &ex, &rules, &settings))
        .await
        .map_err(crate::error::thread)?
        .map_err(|e| io("models folder", e))
}

/// Queues a `learn` job keyed by the approved decisions (and, for a training request from
/// Label Studio's project `project`, by that project), so the same decisions are learned from
/// once per reason; returns the job and whether this call queued it.
pub async fn queue(
    ctx: &JobContext,
    project: Option<i64>,
) -> Result<(JobRecord, bool), ppi_store::db::DbError> {
    let approved = ctx.db.review_items_with(APPROVED).await?;
    let state: String = approved
        .iter()
        .map(|i| format!("{}/{}:{};", i.stage, i.item_id, i.frame_choice.unwrap_or(0)))
        .collect();
    let hash = &ppi_core::hash::sha256_hex(state.as_bytes())[..16];
    let key = match project {
        None => format!("learn:{hash}"),
        Some(p) => format!("learn:train-{p}:{hash}"),
    };
    ctx.enqueue_once(&Job::Learn(Learn {}), &key, None, None)
        .await
}

pub async fn run(ctx: &JobContext, record: &JobRecord) -> Result<(), JobError> {
    let s = &ctx.settings;
    let report = fit(
        &ctx.db,
        &s.server.data_dir,
        &s.learn,
        s.label_studio.neutral(),
        ctx.patterns.as_deref(),
        Vec::new(),
    )
    .await?;
    tracing::info!(
        fit = ?report.fit,
        text = %report.text.in_use,
        frames = %report.frames.in_use,
        "models fitted"
    );
    ctx.keep_result(record, &serde_json::json!(report)).await
}
