//! Review items: one per extracted clip, with its Label Studio review task and the reviewer's
//! decision (`pending`, `approved`, `rejected`; `removed` once its interval is gone).

use sqlx::any::AnyRow;
use sqlx::FromRow;

use super::{now_ms, Db, DbError};

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
pub const REMOVED: &str = "removed";

#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct ReviewItem {
    pub item_id: String,
    /// The staging folder the item's files are in (one per source task).
    pub stage: String,
    pub source_task: i64,
    pub annotation_id: i64,
    pub lesson_id: Option<String>,
    pub review_task: Option<i64>,
    pub fingerprint: String,
    pub status: String,
    /// A reviewer's corrected crop box, `x,y,w,h` in percent.
    pub crop: Option<String>,
    /// What learning needs of the item (JSON `ppi_learn::fit::Reviewed`): its label,
    /// transcript and key-frame candidates.
    #[serde(skip)]
    pub learning: Option<String>,
    /// The key-frame candidate the reviewer picked (0 is the chosen frame).
    pub frame_choice: Option<i64>,
}

fn item(r: &AnyRow) -> Result<ReviewItem, DbError> {
    Ok(ReviewItem::from_row(r)?)
}

impl Db {
    /// Items of a stage (every status).
    pub async fn review_items(&self, stage: &str) -> Result<Vec<ReviewItem>, DbError> {
        let rows = sqlx::query(
            "SELECT item_id, stage, source_task, annotation_id, lesson_id, review_task, fingerprint, status, crop, learning, frame_choice \
             FROM ppi_review_items WHERE stage = $1 ORDER BY item_id",
        )
        .bind(stage)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(item).collect()
    }

    /// Every item with `status`, across stages.
    pub async fn review_items_with(&self, status: &str) -> Result<Vec<ReviewItem>, DbError> {
        let rows = sqlx::query(
            "SELECT item_id, stage, source_task, annotation_id, lesson_id, review_task, fingerprint, status, crop, learning, frame_choice \
             FROM ppi_review_items WHERE status = $1 ORDER BY stage, item_id",
        )
        .bind(status)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(item).collect()
    }

    pub async fn review_item_by_task(
        &self,
        review_task: i64,
    ) -> Result<Option<ReviewItem>, DbError> {
        let row = sqlx::query(
            "SELECT item_id, stage, source_task, annotation_id, lesson_id, review_task, fingerprint, status, crop, learning, frame_choice \
             FROM ppi_review_items WHERE review_task = $1",
        )
        .bind(review_task)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(item).transpose()
    }

    /// Records a new or changed item: pending again, its review task kept.
    pub async fn put_review_item(&self, i: &ReviewItem) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO ppi_review_items (item_id, stage, source_task, annotation_id, lesson_id, review_task, fingerprint, status, crop, learning, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (stage, item_id) DO UPDATE SET \
             source_task = excluded.source_task, annotation_id = excluded.annotation_id, lesson_id = excluded.lesson_id, \
             review_task = excluded.review_task, fingerprint = excluded.fingerprint, status = excluded.status, \
             crop = excluded.crop, learning = excluded.learning, frame_choice = NULL, decided_at = NULL, \
             updated_at = excluded.updated_at",
        )
        .bind(&i.item_id)
        .bind(&i.stage)
        .bind(i.source_task)
        .bind(i.annotation_id)
        .bind(&i.lesson_id)
        .bind(i.review_task)
        .bind(&i.fingerprint)
        .bind(&i.status)
        .bind(&i.crop)
        .bind(&i.learning)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A reviewer's decision: the status, a corrected crop box, a key-frame candidate.
    pub async fn decide_review_item(
        &self,
        stage: &str,
        item_id: &str,
        status: &str,
        crop: Option<&str>,
        frame_choice: Option<i64>,
    ) -> Result<(), DbError> {
        let now = now_ms();
        sqlx::query(
            "UPDATE ppi_review_items SET status = $3, crop = $4, frame_choice = $5, decided_at = $6, \
             updated_at = $6 WHERE stage = $1 AND item_id = $2",
        )
        .bind(stage)
        .bind(item_id)
        .bind(status)
        .bind(crop)
        .bind(frame_choice)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
