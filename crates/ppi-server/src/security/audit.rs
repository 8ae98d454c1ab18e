//! The audit log's service side: recording an event for a request (who, from where) and the
//! retention that drops old events (at start, then daily). The events themselves are
//! `ppi_store::db::audit`; admins read them through `GET /api/audit` and `ppi audit`.

use std::time::Duration;

use ppi_store::db::audit::NewEvent;
use ppi_store::db::Db;

use super::client::ClientAddr;

/// Records `action` by `actor` from `addr` (never fails the request: the action happened).
pub async fn record(
    db: &Db,
    actor: &str,
    action: &str,
    target: Option<&str>,
    addr: ClientAddr,
    detail: Option<&str>,
) {
    let address = addr.0.to_string();
    db.audit_or_log(&NewEvent {
        actor,
        action,
        target,
        address: Some(&address),
        detail,
    })
    .await;
}

/// Drops events older than `days` (0: none); returns how many.
pub async fn prune(db: &Db, days: u64) -> u64 {
    if days == 0 {
        return 0;
    }
    let before = ppi_store::db::now_ms() - (days.min(100_000) as i64) * 86_400_000;
    match db.prune_audit(before).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(events = n, days, "audit events past retention dropped");
            }
            n
        }
        Err(e) => {
            tracing::warn!("audit retention: {e}");
            0
        }
    }
}

/// Prunes now and then once a day, until `stop`.
pub async fn retention_loop(db: Db, days: u64, stop: tokio_util::sync::CancellationToken) {
    loop {
        prune(&db, days).await;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(24 * 3600)) => {}
        }
    }
}
