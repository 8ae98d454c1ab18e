//! Browser security headers on every response of the UI, the API, the media and the ML
//! backend: a strict Content-Security-Policy (no inline script, no framing, media only from
//! PPI and its storage), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`
//! (signed URLs must not leak through `Referer`), `X-Frame-Options: DENY` for older browsers,
//! and HSTS when PPI is served over HTTPS (`PPI_PUBLIC_URL`). A header a handler set itself is
//! kept.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Settings;
use ppi_store::storage::settings::StorageBackend;

/// The headers, computed once from the settings.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// `scheme://host[:port]` of a URL, the form CSP sources take.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let o = u.origin();
    o.is_tuple().then(|| o.ascii_serialization())
}

impl SecurityHeaders {
    pub fn new(settings: &Settings) -> SecurityHeaders {
        // Media and presigned uploads may come from the S3 endpoint browsers reach.
        let storage = match settings.storage.backend {
            StorageBackend::S3 => settings
                .storage
                .public_endpoint
                .as_deref()
                .or(settings.storage.endpoint.as_deref())
                .and_then(origin),
            StorageBackend::Local => None,
        };
        let extra = storage.map(|o| format!(" {o}")).unwrap_or_default();
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{extra}; \
             media-src 'self' blob:{extra}; connect-src 'self'{extra}; font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        let mut headers = vec![
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::X_FRAME_OPTIONS, "DENY".to_owned()),
        ];
        if settings.public_url().starts_with("https://") {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=31536000; includeSubDomains".to_owned(),
            ));
        }
        SecurityHeaders {
            headers: headers
                .into_iter()
                .filter_map(|(n, v)| HeaderValue::from_str(&v).ok().map(|v| (n, v)))
                .collect(),
        }
    }

    /// The Content-Security-Policy, as sent.
    pub fn csp(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == header::CONTENT_SECURITY_POLICY)
            .and_then(|(_, v)| v.to_str().ok())
    }
}

/// The middleware.
pub async fn apply(State(h): State<Arc<SecurityHeaders>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let out = response.headers_mut();
    for (name, value) in &h.headers {
        out.entry(name).or_insert_with(|| value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_storage_origin_and_hsts_follows_https() {
        let mut s = Settings::default();
        let h = SecurityHeaders::new(&s);
        let csp = h.csp().unwrap();
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!h
            .headers
            .iter()
            .any(|(n, _)| n == header::STRICT_TRANSPORT_SECURITY));
        s.storage.backend = StorageBackend::S3;
        s.storage.public_endpoint = Some("https://media.example.org:9000/".into());
        s.server.public_url = Some("https://ppi.example.org".into());
        let h = SecurityHeaders::new(&s);
        let csp = h.csp().unwrap();
        assert!(
            csp.contains("media-src 'self' blob: https://media.example.org:9000;"),
            "{csp}"
        );
        assert!(h
            .headers
            .iter()
            .any(|(n, _)| n == header::STRICT_TRANSPORT_SECURITY));
    }
}
