//! Where a task's video comes from, with the SSRF guard: PPI reads its own storage (its signed
//! URLs, checked; `s3://` URIs in its bucket), Label Studio's own media through LS with the API
//! key, and any other host only when it is in the allow-list (`PPI_MEDIA_HOSTS`), redirects
//! included. Everything else is refused before a connection is made.

use std::path::Path;
use std::time::Duration;

use ppi_store::storage::local::{LocalStore, SignatureCheck};
use ppi_store::storage::ObjectKey;

/// Where the bytes of a task's video are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// An object in PPI's own storage.
    Stored(ObjectKey),
    /// Media Label Studio serves (uploads, local files, storage resolve URLs).
    LabelStudio(String),
    /// A URL on an allow-listed host.
    Remote(url::Url),
}

impl MediaSource {
    /// A stable name for the media, so each video is transcribed once however many tasks
    /// point at it. Signatures and expiry parameters are left out.
    pub fn media_key(&self) -> String {
        match self {
            MediaSource::Stored(k) => format!("key:{}", k.as_str()),
            MediaSource::LabelStudio(u) => {
                format!("ls:{}", ppi_core::hash::sha256_hex(u.as_bytes()))
            }
            MediaSource::Remote(u) => {
                let mut u = u.clone();
                let kept: Vec<(String, String)> = u
                    .query_pairs()
                    .filter(|(k, _)| {
                        let k = k.to_ascii_lowercase();
                        !(k.starts_with("x-amz-") || k == "sig" || k == "exp" || k == "expires")
                    })
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                u.set_query(None);
                if !kept.is_empty() {
                    u.query_pairs_mut().extend_pairs(kept);
                }
                format!("url:{}", ppi_core::hash::sha256_hex(u.as_str().as_bytes()))
            }
        }
    }
}

/// Why a task's media cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the task has no video URL in data.{0}")]
    Missing(String),
    #[error("data.{field}: {url:?} is not a URL PPI can read")]
    BadUrl { field: String, url: String },
    #[error(
        "data.{field}: host {host:?} is not allowed (PPI fetches media only from its own \
         storage, Label Studio and PPI_MEDIA_HOSTS)"
    )]
    HostNotAllowed { field: String, host: String },
    #[error("data.{field}: the signed URL's signature is invalid")]
    BadSignature { field: String },
}

impl ppi_core::error::Coded for MediaError {
    fn code(&self) -> &'static str {
        match self {
            MediaError::Missing(_) => "task-no-video",
            MediaError::BadUrl { .. } => "task-bad-video-url",
            MediaError::HostNotAllowed { .. } => "media-host-not-allowed",
            MediaError::BadSignature { .. } => "media-bad-signature",
        }
    }

    fn kind(&self) -> ppi_core::error::ErrorKind {
        ppi_core::error::ErrorKind::Input
    }
}

/// What the guard knows about PPI's own places.
pub struct MediaPolicy<'a> {
    /// PPI's public URL (its signed URLs start with it).
    pub public_url: &'a str,
    pub local: Option<&'a LocalStore>,
    /// PPI's S3 bucket, when storage is S3.
    pub bucket: Option<&'a str>,
    /// Label Studio's base URL.
    pub label_studio: Option<&'a str>,
    /// Allow-listed hosts (`host` or `host:port`).
    pub allowed: &'a [String],
}

fn host_port(u: &url::Url) -> Option<(String, u16)> {
    Some((
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default()?,
    ))
}

/// Whether `u`'s host is in `allowed`.
pub fn host_allowed(u: &url::Url, allowed: &[String]) -> bool {
    let Some((host, port)) = host_port(u) else {
        return false;
    };
    allowed
        .iter()
        .any(|a| *a == host || *a == format!("{host}:{port}"))
}

fn same_origin(a: &url::Url, b: &str) -> bool {
    url::Url::parse(b)
        .ok()
        .is_some_and(|b| host_port(a) == host_port(&b) && a.scheme() == b.scheme())
}

impl MediaPolicy<'_> {
    /// Classifies the URL in `data[field]`.
    pub fn classify(&self, field: &str, raw: &str) -> Result<MediaSource, MediaError> {
        let raw = raw.trim();
        let bad = || MediaError::BadUrl {
            field: field.to_owned(),
            url: raw.chars().take(200).collect(),
        };
        if raw.is_empty() {
            return Err(MediaError::Missing(field.to_owned()));
        }
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').ok_or_else(bad)?;
            return match self.bucket {
                Some(b) if b == bucket => {
                    Ok(MediaSource::Stored(ObjectKey::parse(key).ok_or_else(bad)?))
                }
                // Another bucket: LS may hold credentials for it (a connected storage).
                _ if self.label_studio.is_some() => Ok(MediaSource::LabelStudio(raw.to_owned())),
                _ => Err(MediaError::HostNotAllowed {
                    field: field.to_owned(),
                    host: format!("s3://{bucket}"),
                }),
            };
        }
        if raw.starts_with('/') && !raw.starts_with("//") {
            return match self.label_studio {
                Some(_) => Ok(MediaSource::LabelStudio(raw.to_owned())),
                None => Err(bad()),
            };
        }
        let u = url::Url::parse(raw).map_err(|_| bad())?;
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            return Err(bad());
        }
        // PPI's own signed URL, whatever host it names (PPI may have moved behind a proxy or
        // to another port): a valid signature proves PPI made it, and the bytes are read from
        // storage without connecting anywhere.
        if let Some(key) = u.path().strip_prefix("/files/") {
            match self.own_signed(field, &u, key) {
                Ok(s) => return Ok(s),
                Err(e) if same_origin(&u, self.public_url) => return Err(e),
                Err(_) => {}
            }
        }
        if self.label_studio.is_some_and(|ls| same_origin(&u, ls)) {
            return Ok(MediaSource::LabelStudio(raw.to_owned()));
        }
        if host_allowed(&u, self.allowed) {
            return Ok(MediaSource::Remote(u));
        }
        Err(MediaError::HostNotAllowed {
            field: field.to_owned(),
            host: u.host_str().unwrap_or_default().to_owned(),
        })
    }

    /// One of PPI's own signed URLs: the signature must be PPI's (an expired one still names
    /// the object PPI signed, so it is fine to read it from storage).
    fn own_signed(&self, field: &str, u: &url::Url, key: &str) -> Result<MediaSource, MediaError> {
        let bad_sig = || MediaError::BadSignature {
            field: field.to_owned(),
        };
        let key = percent_decode(key);
        let key = ObjectKey::parse(&key).ok_or_else(bad_sig)?;
        let param = |n: &str| {
            u.query_pairs()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.into_owned())
        };
        let local = self.local.ok_or_else(bad_sig)?;
        let exp: u64 = param("exp")
            .and_then(|e| e.parse().ok())
            .ok_or_else(bad_sig)?;
        let sig = param("sig").ok_or_else(bad_sig)?;
        match local.check_signature("GET", &key, exp, &sig) {
            SignatureCheck::Valid | SignatureCheck::Expired => Ok(MediaSource::Stored(key)),
            SignatureCheck::Invalid => Err(bad_sig()),
        }
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("k={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Writes a response body to `to` through a temporary name; fails on a non-2xx status.
pub async fn save_response(mut resp: reqwest::Response, to: &Path) -> Result<u64, String> {
    use tokio::io::AsyncWriteExt;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let part = to.with_extension("part");
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| format!("{}: {e}", part.display()))?;
    let mut n = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("{}: {e}", part.display()))?;
        n += chunk.len() as u64;
    }
    file.sync_all().await.map_err(|e| e.to_string())?;
    tokio::fs::rename(&part, to)
        .await
        .map_err(|e| format!("{}: {e}", to.display()))?;
    Ok(n)
}

/// Downloads an allow-listed URL; every redirect must stay on allow-listed hosts.
pub async fn download_remote(u: &url::Url, allowed: &[String], to: &Path) -> Result<u64, String> {
    let allowed = allowed.to_vec();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(3600))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > 5 {
                attempt.error("too many redirects")
            } else if host_allowed(attempt.url(), &allowed) {
                attempt.follow()
            } else {
                attempt.error("a redirect to a host not in PPI_MEDIA_HOSTS")
            }
        }))
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(u.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    save_response(resp, to).await
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
