//! `scan_storage`: the storage watcher's diff, without processing anything. Each configured
//! source is listed and compared with what the service watcher last saw (its state file), and
//! each lesson found is reported with how it was last handled.

use serde_json::{json, Value};

use crate::app::App;
use crate::server::error::{ApiError, ApiResult};
use crate::watch::{self, state::diff, State};

/// Lists `only` (one of the configured sources) or every configured source.
pub fn scan(app: &App, only: Option<&str>) -> ApiResult<Value> {
    let s = &app.settings;
    let sources: Vec<&String> = match only {
        Some(o) => {
            let found = s.watch.sources.iter().find(|x| x.as_str() == o);
            vec![found.ok_or_else(|| {
                ApiError::bad_request(
                    "watch-source-unknown",
                    format!("source: {o:?} is not one of [watch] sources"),
                )
            })?]
        }
        None => s.watch.sources.iter().collect(),
    };
    let owner = s
        .watch
        .owner
        .as_deref()
        .and_then(|o| ppi_core::domain::Username::parse(o).ok())
        .or_else(|| ppi_core::domain::Username::parse("admin").ok());
    let state = match owner {
        Some(o) => {
            State::load(&watch::service::paths(s, &o).state).map_err(ApiError::from_coded)?
        }
        None => State::default(),
    };
    let pairing = s.watch.pairing();
    let mut out = Vec::new();
    for spec in sources {
        let mut source = watch::source::open(spec, &s.storage).map_err(ApiError::from_coded)?;
        let files = match source.scan() {
            Ok(f) => f,
            Err(e) => {
                out.push(json!({"source": spec, "available": false, "detail": e.to_string()}));
                continue;
            }
        };
        let seen = state.sources.get(source.name());
        let empty = Default::default();
        let changes = diff(seen.map_or(&empty, |x| &x.files), &files);
        let lessons: Vec<Value> = pairing
            .pairs(&files)
            .values()
            .map(|p| {
                let done = seen.and_then(|x| x.lessons.get(&p.id));
                let fp = p.fingerprint();
                json!({
                    "lesson": p.id,
                    "video": p.video.key,
                    "export": p.export.as_ref().map(|e| &e.key),
                    "sheet": p.sheet.as_ref().map(|e| &e.key),
                    "complete": p.complete(),
                    "last": done.map(|d| json!({"status": d.status, "at_ms": d.at_ms, "detail": d.detail})),
                    "pending": p.complete() && done.is_none_or(|d| d.fingerprint != fp),
                })
            })
            .collect();
        out.push(json!({
            "source": spec, "available": true, "files": files.len(),
            "changes": changes, "lessons": lessons,
        }));
    }
    Ok(json!({ "sources": out }))
}
