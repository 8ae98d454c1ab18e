//! API errors: JSON `{code, message}` with stable codes. Internal details are logged, never
//! sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use ppi_core::error::{Coded, ErrorKind};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (429: `Retry-After`).
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429: too many wrong credentials from this client; try again after `wait`.
    pub fn throttled(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth-throttled",
            format!("too many wrong attempts: try again in {secs} s"),
        );
        e.retry_after = Some(secs.max(1));
        e
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// Maps a coded error from a module: input problems are 4xx, the rest 5xx (logged).
    pub fn from_coded<E: Coded + std::fmt::Display>(e: E) -> Self {
        let status = match (e.kind(), e.code()) {
            (_, "conflict") => StatusCode::CONFLICT,
            (ErrorKind::Input, _) => StatusCode::UNPROCESSABLE_ENTITY,
            (ErrorKind::NotFound, _) => StatusCode::NOT_FOUND,
            (ErrorKind::External, _) => StatusCode::SERVICE_UNAVAILABLE,
            (ErrorKind::Internal, _) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(code = e.code(), "{e}");
            return ApiError::new(
                status,
                e.code(),
                "the server could not complete the request; see its log",
            );
        }
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl<E: Coded + std::fmt::Display> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError::from_coded(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"code": self.code, "message": self.message});
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        r
    }
}
