//! `/files/<key>`: objects of the local storage backend behind HMAC-signed, expiring URLs.
//! GET and HEAD support byte ranges (206), so browsers and Label Studio can seek in videos;
//! PUT receives presigned uploads. Answers carry CORS headers for any origin: Label Studio's
//! editor loads media cross-origin (`crossOrigin`, XHR), and a signed URL carries its own
//! authority, so no origin needs to be trusted for it.

use std::io::SeekFrom;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tower_http::cors::{Any, CorsLayer};

use crate::app::App;
use crate::server::error::{ApiError, ApiResult};
use crate::server::upload::{receive, BodyChunks};
use ppi_store::storage::local::SignatureCheck;
use ppi_store::storage::ObjectKey;

/// CORS for media: any origin, the methods and headers a player needs (Range for seeking), and
/// the range headers exposed so that XHR readers see them. Preflights answer here too.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::PUT, Method::OPTIONS])
        .allow_headers([
            header::RANGE,
            header::CONTENT_TYPE,
            header::IF_RANGE,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::CONTENT_LENGTH,
            header::CONTENT_TYPE,
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

#[derive(serde::Deserialize)]
pub struct Signed {
    exp: Option<u64>,
    sig: Option<String>,
}

fn authorise(
    app: &App,
    method: &Method,
    key: &str,
    q: &Signed,
) -> ApiResult<(ObjectKey, Arc<ppi_store::storage::local::LocalStore>)> {
    let local = app.local.clone().ok_or_else(|| {
        ApiError::not_found(
            "not-found",
            "this server does not serve files (object storage is S3)",
        )
    })?;
    let key = ObjectKey::parse(key)
        .ok_or_else(|| ApiError::not_found("object-not-found", "no such object"))?;
    let (Some(exp), Some(sig)) = (q.exp, q.sig.as_deref()) else {
        return Err(ApiError::forbidden(
            "a signed URL is required (exp and sig)",
        ));
    };
    match local.check_signature(method.as_str(), &key, exp, sig) {
        SignatureCheck::Valid => Ok((key, local)),
        SignatureCheck::Expired => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signature-expired",
            "the signed URL has expired",
        )),
        SignatureCheck::Invalid => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signature-invalid",
            "the URL's signature does not match",
        )),
    }
}

/// Parses a single `bytes=` range against a length: `Ok(None)` for no/ignored range,
/// `Err(())` when unsatisfiable. Returns inclusive bounds.
pub fn parse_range(header: Option<&str>, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    // Multiple ranges are answered with the whole body, which HTTP allows.
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.is_empty(), b.is_empty()) {
        (true, false) => {
            let n: u64 = b.parse().map_err(|_| ())?;
            if n == 0 || len == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len - 1)
        }
        (false, _) => {
            let start: u64 = a.parse().map_err(|_| ())?;
            let end: u64 = if b.is_empty() {
                len.saturating_sub(1)
            } else {
                b.parse::<u64>().map_err(|_| ())?.min(len.saturating_sub(1))
            };
            if start >= len || end < start {
                return Err(());
            }
            (start, end)
        }
        (true, true) => return Err(()),
    };
    Ok(Some(range))
}

fn content_type(key: &ObjectKey) -> &'static str {
    match key.as_str().rsplit('.').next().unwrap_or("") {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "mov" => "video/quicktime",
        "wav" => "audio/wav",
        "jpg" | "jpeg" => "image/jpeg",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "vtt" => "text/vtt; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn get(
    State(app): State<Arc<App>>,
    method: Method,
    Path(key): Path<String>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (key, local) = authorise(&app, &method, &key, &q)?;
    let path = local.file(&key);
    let not_found = || ApiError::not_found("object-not-found", "no such object");
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| not_found())?;
    let len = file.metadata().await.map_err(|_| not_found())?.len();
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        len,
    )
    .map_err(|_| {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range-not-satisfiable",
            format!("the object has {len} bytes"),
        )
    });
    let range = match range {
        Ok(r) => r,
        Err(e) => {
            let mut resp = e.into_response();
            resp.headers_mut().insert(
                header::CONTENT_RANGE,
                format!("bytes */{len}").parse().map_err(|_| not_found())?,
            );
            return Ok(resp);
        }
    };
    let (status, start, count) = match range {
        Some((a, b)) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        None => (StatusCode::OK, 0, len),
    };
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type(&key))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, count)
        .header(header::CACHE_CONTROL, "private, max-age=3600");
    if let Some((a, z)) = range {
        b = b.header(header::CONTENT_RANGE, format!("bytes {a}-{z}/{len}"));
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|_| not_found())?;
        Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            file.take(count),
            64 << 10,
        ))
    };
    b.body(body)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

pub async fn put(
    State(app): State<Arc<App>>,
    Path(key): Path<String>,
    Query(q): Query<Signed>,
    req: Request,
) -> ApiResult<StatusCode> {
    let mut body = BodyChunks(req.into_body().into_data_stream());
    let (key, local) = match authorise(&app, &Method::PUT, &key, &q) {
        Ok(k) => k,
        Err(e) => {
            crate::server::upload::drain(&mut body).await;
            return Err(e);
        }
    };
    let limit = app.settings.server.max_upload_bytes;
    let dir = app.settings.server.data_dir.join("tmp");
    let mut incoming = receive(&dir, limit, &mut body).await?;
    let target = local.file(&key);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "io-error", e.to_string())
        })?;
    }
    tokio::fs::rename(&incoming.path, &target)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "io-error", e.to_string()))?;
    incoming.keep();
    ppi_store::storage::telemetry::bytes_stored(incoming.size);
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Ok(Some((0, 9))));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=50-500"), 100), Ok(Some((50, 99))));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=9-1"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=x-1"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Ok(None));
        assert_eq!(parse_range(Some("items=0-1"), 100), Ok(None));
    }
}
