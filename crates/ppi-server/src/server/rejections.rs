//! One mapping for the errors the framework answers itself: axum's extractor rejections (JSON,
//! form, multipart, query, body limit, content type), unknown routes (404) and methods (405)
//! become `{code, message}` JSON like every other error. And bodies over a route's limit are
//! drained before the 413 is sent, so that a client still sending reads the answer instead of
//! a broken pipe.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The largest framework message kept (they are short; this bounds a surprise).
const MESSAGE_LIMIT: usize = 4096;

/// A stable code for a status the framework answered.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::NOT_FOUND => "route-not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid-body",
        StatusCode::LENGTH_REQUIRED => "length-required",
        s if s.is_client_error() => "bad-request",
        _ => "internal",
    }
}

/// Rewrites non-JSON error answers into `{code, message}`. Answers that already are JSON
/// (PPI's own errors) and HEAD answers (no body) pass unchanged.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let head = req.method() == Method::HEAD;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if head || is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = to_bytes(body, MESSAGE_LIMIT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::NOT_FOUND if text.is_empty() => format!("no route {path}"),
        StatusCode::METHOD_NOT_ALLOWED => {
            match parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .filter(|a| !a.is_empty())
            {
                Some(allowed) => format!("{method} is not allowed on {path}; allowed: {allowed}"),
                None => format!("{method} is not allowed on {path}"),
            }
        }
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned(),
        _ => text,
    };
    let mut out = ApiError::new(status, code_of(status), message).into_response();
    // Keep what the framework said about the answer (Allow, CORS), not its body's headers.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Reads at most `limit` bytes of the body before the handler sees it. An over-limit body is
/// read on (and discarded, up to [`super::upload`]'s drain limit) before the 413 is answered.
pub async fn limit_body(limit: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, body) = req.into_parts();
    let mut body = body.into_data_stream();
    let mut kept: Vec<u8> = Vec::new();
    let mut over = declared.is_some_and(|n| n > limit as u64);
    if !over {
        use futures_util::StreamExt;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) if kept.len() + c.len() <= limit => kept.extend_from_slice(&c),
                Ok(_) => {
                    over = true;
                    break;
                }
                Err(e) => {
                    return ApiError::bad_request(
                        "body-unreadable",
                        format!("the request body could not be read: {e}"),
                    )
                    .into_response()
                }
            }
        }
    }
    if over {
        super::upload::drain(&mut super::upload::BodyChunks(body)).await;
        let mut r = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("the request body is larger than this route's limit of {limit} bytes"),
        )
        .into_response();
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return r;
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
}
