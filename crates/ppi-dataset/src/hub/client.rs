//! The Hugging Face Hub HTTP API PPI publishes through: whoami, repo creation, preupload,
//! the LFS batch API (basic and multipart transfers, verify), NDJSON commits and paths-info.
//! The `hf-hub` crate has no LFS upload (it inlines binaries when a server does not offer Xet),
//! so these calls are PPI's own. Every call retries 429 and 5xx with backoff (honouring
//! `Retry-After`); the token is only ever sent in the `Authorization` header.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

use ppi_core::error::{Coded, ErrorKind};
use ppi_core::secret::Secret;

/// Hub failures. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the Hub at {endpoint} is unreachable: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("the Hub refused the token (HTTP {status}): check HF_TOKEN")]
    Unauthorized { status: u16 },
    #[error("the Hub answered {status} to {what}: {detail}")]
    Status {
        status: u16,
        what: String,
        detail: String,
    },
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{0}")]
    Config(String),
}

impl Coded for HubError {
    fn code(&self) -> &'static str {
        match self {
            HubError::Unreachable { .. } => "hub-unreachable",
            HubError::Unauthorized { .. } => "hub-unauthorized",
            HubError::Status { .. } => "hub-error",
            HubError::Io { .. } => "io-error",
            HubError::Config(_) => "config-invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            HubError::Unauthorized { .. } | HubError::Config(_) => ErrorKind::Input,
            HubError::Io { .. } => ErrorKind::Input,
            HubError::Status { status, .. } if *status < 500 && *status != 429 => ErrorKind::Input,
            _ => ErrorKind::External,
        }
    }
}

/// How a file goes up, as the Hub decided at preupload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMode {
    pub path: String,
    pub lfs: bool,
    pub should_ignore: bool,
    /// The oid of the file already at that path (git SHA-1, or SHA-256 for LFS files).
    pub remote_oid: Option<String>,
}

/// One object's instructions from the LFS batch API.
#[derive(Debug, Clone, PartialEq)]
pub enum LfsAction {
    /// Already stored.
    Done,
    Basic {
        href: String,
        header: Vec<(String, String)>,
        verify: Option<String>,
    },
    Multipart {
        complete: String,
        chunk_size: u64,
        parts: Vec<String>,
    },
}

/// Attempts per call (1 + retries) and the first backoff.
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A Hub API client.
#[derive(Clone)]
pub struct HubClient {
    endpoint: String,
    token: Secret,
    http: reqwest::Client,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

fn retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

/// An attempt worth repeating: a 429 or 5xx answer, or no answer.
enum Failed {
    Status(Response),
    Unreachable(String),
}

impl Failed {
    /// The answer's `Retry-After` (whole seconds), capped at 60 s.
    fn retry_after(&self) -> Option<Duration> {
        let Failed::Status(r) = self else {
            return None;
        };
        r.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(60)))
    }
}

impl HubClient {
    pub fn new(endpoint: &str, token: &Secret) -> Result<Self, HubError> {
        if token.is_empty() {
            return Err(HubError::Config("HF_TOKEN is not set".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(3600))
            .build()
            .map_err(|e| HubError::Config(e.to_string()))?;
        Ok(HubClient {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            token: token.clone(),
            http,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// URLs the Hub hands out for `huggingface.co` are rewritten to the configured endpoint
    /// (as the Python client does).
    fn fix_url(&self, url: &str) -> String {
        match url.strip_prefix("https://huggingface.co") {
            Some(rest) => format!("{}{rest}", self.endpoint),
            None if url.starts_with('/') => format!("{}{url}", self.endpoint),
            None => url.to_owned(),
        }
    }

    /// Sends `make()` until it is not a 429/5xx/connection error, at most [`ATTEMPTS`] times
    /// (`backon`: exponential from [`FIRST_BACKOFF`], capped at 20 s; a 429's or 503's
    /// `Retry-After` wins, capped at 60 s).
    async fn send(
        &self,
        what: &str,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<Response, HubError> {
        use backon::{ExponentialBuilder, Retryable};
        let policy = ExponentialBuilder::default()
            .with_min_delay(FIRST_BACKOFF)
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(ATTEMPTS as usize - 1);
        let attempt = || async {
            match make().send().await {
                Ok(r) if retryable(r.status().as_u16()) => Err(Failed::Status(r)),
                Ok(r) => Ok(r),
                Err(e) => Err(Failed::Unreachable(e.to_string())),
            }
        };
        let outcome = attempt
            .retry(policy)
            .adjust(|e: &Failed, delay| delay.map(|d| e.retry_after().unwrap_or(d)))
            .notify(|e: &Failed, _| match e {
                Failed::Status(r) => {
                    tracing::warn!(status = r.status().as_u16(), "{what}: retrying")
                }
                Failed::Unreachable(e) => tracing::warn!("{what}: {e}; retrying"),
            })
            .await;
        match outcome {
            Ok(r) | Err(Failed::Status(r)) => self.check(r, what).await,
            Err(Failed::Unreachable(detail)) => Err(HubError::Unreachable {
                endpoint: self.endpoint.clone(),
                detail,
            }),
        }
    }

    async fn check(&self, r: Response, what: &str) -> Result<Response, HubError> {
        let status = r.status().as_u16();
        if status < 300 {
            return Ok(r);
        }
        if status == 401 {
            return Err(HubError::Unauthorized { status });
        }
        let body = r.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(300).collect());
        Err(HubError::Status {
            status,
            what: what.to_owned(),
            detail,
        })
    }

    fn req(&self, method: Method, url: &str) -> RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.token.expose())
    }

    async fn json(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, HubError> {
        let url = format!("{}{path}", self.endpoint);
        let r = self
            .send(what, || {
                let b = self.req(method.clone(), &url);
                match body {
                    Some(v) => b.json(v),
                    None => b,
                }
            })
            .await?;
        let text = r.text().await.map_err(|e| HubError::Unreachable {
            endpoint: self.endpoint.clone(),
            detail: e.to_string(),
        })?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Who the token belongs to: the user name and the organisations it may write to.
    pub async fn whoami(&self) -> Result<(String, Vec<String>), HubError> {
        let v = self
            .json("whoami", Method::GET, "/api/whoami-v2", None)
            .await?;
        let name = v["name"].as_str().unwrap_or_default().to_owned();
        let orgs = v["orgs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| o["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((name, orgs))
    }

    /// Creates the dataset repository; `false` when it already existed.
    pub async fn create_dataset_repo(&self, repo: &str, private: bool) -> Result<bool, HubError> {
        let (org, name) = match repo.split_once('/') {
            Some((o, n)) => (Some(o), n),
            None => (None, repo),
        };
        let body = json!({"name": name, "organization": org, "type": "dataset",
                          "private": private,
                          "visibility": if private { "private" } else { "public" }});
        match self
            .json(
                "create repo",
                Method::POST,
                "/api/repos/create",
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(HubError::Status { status: 409, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Asks how each file goes up (`files`: path, size, 512-byte sample).
    pub async fn preupload(
        &self,
        repo: &str,
        files: &[(String, u64, Vec<u8>)],
    ) -> Result<Vec<UploadMode>, HubError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = json!({"files": files.iter().map(|(p, size, sample)| {
            json!({"path": p, "size": size, "sample": b64.encode(sample)})
        }).collect::<Vec<_>>()});
        let v = self
            .json(
                "preupload",
                Method::POST,
                &format!("/api/datasets/{repo}/preupload/main"),
                Some(&body),
            )
            .await?;
        Ok(v["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| UploadMode {
                path: f["path"].as_str().unwrap_or_default().to_owned(),
                lfs: f["uploadMode"] == "lfs",
                should_ignore: f["shouldIgnore"].as_bool().unwrap_or(false),
                remote_oid: f["oid"].as_str().map(str::to_owned),
            })
            .collect())
    }

    /// The LFS batch call: what to do for each (sha256, size).
    pub async fn lfs_batch(
        &self,
        repo: &str,
        objects: &[(String, u64)],
    ) -> Result<Vec<(String, LfsAction)>, HubError> {
        let url = format!(
            "{}/datasets/{repo}.git/info/lfs/objects/batch",
            self.endpoint
        );
        let body = json!({"operation": "upload", "transfers": ["basic", "multipart"],
            "hash_algo": "sha256", "ref": {"name": "main"},
            "objects": objects.iter().map(|(oid, size)| json!({"oid": oid, "size": size})).collect::<Vec<_>>()});
        let r = self
            .send("LFS batch", || {
                self.req(Method::POST, &url)
                    .header("accept", "application/vnd.git-lfs+json")
                    .header("content-type", "application/vnd.git-lfs+json")
                    .body(body.to_string())
            })
            .await?;
        let v: Value = r.json().await.map_err(|e| HubError::Status {
            status: 200,
            what: "LFS batch".into(),
            detail: e.to_string(),
        })?;
        let multipart = v["transfer"] == "multipart";
        let mut out = Vec::new();
        for o in v["objects"].as_array().into_iter().flatten() {
            let oid = o["oid"].as_str().unwrap_or_default().to_owned();
            if let Some(err) = o.get("error") {
                return Err(HubError::Status {
                    status: err["code"].as_u64().unwrap_or(0) as u16,
                    what: format!("LFS object {oid}"),
                    detail: err["message"].as_str().unwrap_or_default().to_owned(),
                });
            }
            let upload = &o["actions"]["upload"];
            let action = if upload.is_null() {
                LfsAction::Done
            } else if multipart || upload["header"].get("chunk_size").is_some() {
                let header = upload["header"].as_object().cloned().unwrap_or_default();
                let mut parts: Vec<(u64, String)> = header
                    .iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, self.fix_url(v.as_str()?))))
                    .collect();
                parts.sort();
                LfsAction::Multipart {
                    complete: self.fix_url(upload["href"].as_str().unwrap_or_default()),
                    chunk_size: header
                        .get("chunk_size")
                        .and_then(|c| c.as_str().and_then(|s| s.parse().ok()).or(c.as_u64()))
                        .unwrap_or(0),
                    parts: parts.into_iter().map(|(_, u)| u).collect(),
                }
            } else {
                LfsAction::Basic {
                    href: self.fix_url(upload["href"].as_str().unwrap_or_default()),
                    header: upload["header"]
                        .as_object()
                        .map(|h| {
                            h.iter()
                                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    verify: o["actions"]["verify"]["href"]
                        .as_str()
                        .map(|u| self.fix_url(u)),
                }
            };
            out.push((oid, action));
        }
        Ok(out)
    }

    /// Sends one LFS object per its action; returns the bytes sent.
    pub async fn lfs_upload(
        &self,
        oid: &str,
        size: u64,
        file: &Path,
        action: &LfsAction,
    ) -> Result<u64, HubError> {
        match action {
            LfsAction::Done => Ok(0),
            LfsAction::Basic {
                href,
                header,
                verify,
            } => {
                let bytes = bytes::Bytes::from(read_range(file, 0, size).await?);
                self.send(&format!("LFS upload of {}", file.display()), || {
                    let mut b = self.http.put(href).body(bytes.clone());
                    for (k, v) in header {
                        b = b.header(k, v);
                    }
                    b
                })
                .await?;
                if let Some(v) = verify {
                    let body = json!({"oid": oid, "size": size});
                    self.send("LFS verify", || self.req(Method::POST, v).json(&body))
                        .await?;
                }
                Ok(size)
            }
            LfsAction::Multipart {
                complete,
                chunk_size,
                parts,
            } => {
                let chunk = (*chunk_size).max(1);
                if parts.len() as u64 != size.div_ceil(chunk) {
                    return Err(HubError::Status {
                        status: 200,
                        what: "LFS multipart".into(),
                        detail: format!(
                            "{} part URLs for {size} bytes in {chunk}-byte parts",
                            parts.len()
                        ),
                    });
                }
                let mut etags = Vec::new();
                for (i, url) in parts.iter().enumerate() {
                    let offset = i as u64 * chunk;
                    let bytes = bytes::Bytes::from(
                        read_range(file, offset, chunk.min(size - offset)).await?,
                    );
                    let r = self
                        .send(&format!("LFS part {} of {}", i + 1, file.display()), || {
                            self.http.put(url).body(bytes.clone())
                        })
                        .await?;
                    let etag = r
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    etags.push(json!({"partNumber": i + 1, "etag": etag}));
                }
                let body = json!({"oid": oid, "parts": etags});
                self.send("LFS multipart completion", || {
                    self.req(Method::POST, complete)
                        .header("accept", "application/vnd.git-lfs+json")
                        .header("content-type", "application/vnd.git-lfs+json")
                        .body(body.to_string())
                })
                .await?;
                Ok(size)
            }
        }
    }

    /// Every file path in the repository (`main`), recursively; empty for a new repository.
    pub async fn list_files(&self, repo: &str) -> Result<Vec<String>, HubError> {
        let path = format!("/api/datasets/{repo}/tree/main?recursive=true");
        let v = match self.json("tree", Method::GET, &path, None).await {
            Ok(v) => v,
            Err(HubError::Status { status: 404, .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["type"] == "file")
            .filter_map(|e| e["path"].as_str().map(str::to_owned))
            .collect())
    }

    /// A file of the repository (`main`), or `None` when the repository or file is missing.
    pub async fn download(&self, repo: &str, path: &str) -> Result<Option<Vec<u8>>, HubError> {
        let url = format!("{}/datasets/{repo}/resolve/main/{path}", self.endpoint);
        let r = match self.send("download", || self.req(Method::GET, &url)).await {
            Ok(r) => r,
            Err(HubError::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bytes = r.bytes().await.map_err(|e| HubError::Unreachable {
            endpoint: self.endpoint.clone(),
            detail: e.to_string(),
        })?;
        Ok(Some(bytes.to_vec()))
    }

    /// Posts an NDJSON commit; returns the commit oid.
    pub async fn commit(&self, repo: &str, ndjson: String) -> Result<String, HubError> {
        let url = format!("{}/api/datasets/{repo}/commit/main", self.endpoint);
        let r = self
            .send("commit", || {
                self.req(Method::POST, &url)
                    .header("content-type", "application/x-ndjson")
                    .body(ndjson.clone())
            })
            .await?;
        let v: Value = r.json().await.unwrap_or(Value::Null);
        Ok(v["commitOid"].as_str().unwrap_or_default().to_owned())
    }
}

/// Reads `len` bytes at `offset` without blocking the runtime.
async fn read_range(file: &Path, offset: u64, len: u64) -> Result<Vec<u8>, HubError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let io = |e: std::io::Error| HubError::Io {
        path: file.display().to_string(),
        detail: e.to_string(),
    };
    let mut f = tokio::fs::File::open(file).await.map_err(io)?;
    f.seek(std::io::SeekFrom::Start(offset)).await.map_err(io)?;
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf).await.map_err(io)?;
    Ok(buf)
}
