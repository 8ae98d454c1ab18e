//! The Label Studio REST client: legacy `Token` keys and personal access tokens (a refresh JWT
//! exchanged at `/api/token/refresh/` for a 300 s access token, cached in moka until shortly
//! before it expires, and refreshed once when LS answers 401). Errors carry LS's `detail`.
//! Tokens never reach logs or error messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use ppi_core::error::{Coded, ErrorKind};
use ppi_core::secret::Secret;

/// What went wrong talking to Label Studio.
#[derive(Debug, thiserror::Error)]
pub enum LsError {
    #[error("Label Studio at {url} is unreachable: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("Label Studio answered {status} to {method} {path}: {detail}")]
    Status {
        status: u16,
        method: String,
        path: String,
        detail: String,
    },
    #[error("Label Studio's answer to {path} is not what PPI expects: {detail}")]
    Decode { path: String, detail: String },
    #[error("Label Studio is not configured: {0}")]
    Config(String),
}

impl Coded for LsError {
    fn code(&self) -> &'static str {
        match self {
            LsError::Unreachable { .. } => "ls-unreachable",
            LsError::Status {
                status: 401 | 403, ..
            } => "ls-unauthorized",
            LsError::Status { status: 404, .. } => "ls-not-found",
            LsError::Status { .. } => "ls-error",
            LsError::Decode { .. } => "ls-bad-answer",
            LsError::Config(_) => "config-invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            LsError::Status { status, .. } if *status < 500 && *status != 429 => ErrorKind::Input,
            LsError::Config(_) => ErrorKind::Input,
            _ => ErrorKind::External,
        }
    }
}

impl LsError {
    pub fn status(&self) -> Option<u16> {
        match self {
            LsError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// How requests authenticate.
enum Auth {
    /// `Authorization: Token <key>`.
    Legacy(Secret),
    /// A personal access token, exchanged for short-lived access tokens.
    Pat {
        refresh: Secret,
        cache: moka::future::Cache<(), Arc<Access>>,
    },
}

/// An access token and when it stops being used.
struct Access {
    token: Secret,
    use_until: Instant,
}

/// Keeps a cached access token until 30 s before its `exp`.
struct UntilExp;

impl moka::Expiry<(), Arc<Access>> for UntilExp {
    fn expire_after_create(
        &self,
        _key: &(),
        value: &Arc<Access>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.use_until.saturating_duration_since(created_at))
    }
}

/// The payload of a JWT, without checking its signature (LS checks it; PPI only needs to know
/// whether the key is a refresh token and when an access token expires).
fn jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether `key` is a personal access token (a JWT with `token_type: refresh`).
pub fn is_personal_access_token(key: &str) -> bool {
    jwt_claims(key).is_some_and(|c| c["token_type"] == "refresh")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A Label Studio API client. Cheap to clone.
#[derive(Clone)]
pub struct LsClient {
    base: String,
    http: reqwest::Client,
    auth: Arc<Auth>,
}

impl std::fmt::Debug for LsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LsClient")
            .field("base", &self.base)
            .finish()
    }
}

/// LS's error JSON → one readable line: `detail`, plus any validation errors.
fn detail_of(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        let text: String = body.chars().take(300).collect();
        return text.trim().to_owned();
    };
    let mut out = match &v["detail"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if let Some(errors) = v.get("validation_errors").filter(|e| !e.is_null()) {
        out.push_str(&format!(" {errors}"));
    } else if out.is_empty() {
        out = v.to_string().chars().take(300).collect();
    }
    out.trim().to_owned()
}

impl LsClient {
    /// A client for LS at `base` with an API key (legacy token or personal access token).
    pub fn new(base: &str, key: &Secret, timeout: Duration) -> Result<Self, LsError> {
        let base = base.trim_end_matches('/').to_owned();
        url::Url::parse(&base).map_err(|e| LsError::Config(format!("LABEL_STUDIO_URL: {e}")))?;
        if key.is_empty() {
            return Err(LsError::Config("LABEL_STUDIO_API_KEY is empty".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| LsError::Config(e.to_string()))?;
        let auth = if is_personal_access_token(key.expose()) {
            Auth::Pat {
                refresh: key.clone(),
                cache: moka::future::Cache::builder()
                    .max_capacity(1)
                    .expire_after(UntilExp)
                    .build(),
            }
        } else {
            Auth::Legacy(key.clone())
        };
        Ok(LsClient {
            base,
            http,
            auth: Arc::new(auth),
        })
    }

    /// From settings; `None` when LS is not configured.
    pub fn from_settings(
        s: &super::settings::LabelStudioSettings,
    ) -> Result<Option<Self>, LsError> {
        match (&s.url, &s.api_key) {
            (Some(url), Some(key)) => Ok(Some(Self::new(url, key, Duration::from_secs(60))?)),
            _ => Ok(None),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: &reqwest::Error) -> LsError {
        // reqwest names the URL (PPI never puts secrets in URLs), never headers.
        LsError::Unreachable {
            url: self.base.clone(),
            detail: e.to_string(),
        }
    }

    /// The `Authorization` header value.
    async fn authorization(&self) -> Result<String, LsError> {
        match &*self.auth {
            Auth::Legacy(key) => Ok(format!("Token {}", key.expose())),
            Auth::Pat { refresh, cache } => {
                let access = cache
                    .try_get_with((), self.exchange(refresh))
                    .await
                    .map_err(|e: Arc<LsError>| match &*e {
                        LsError::Status {
                            status,
                            method,
                            path,
                            detail,
                        } => LsError::Status {
                            status: *status,
                            method: method.clone(),
                            path: path.clone(),
                            detail: detail.clone(),
                        },
                        other => LsError::Unreachable {
                            url: self.base.clone(),
                            detail: other.to_string(),
                        },
                    })?;
                Ok(format!("Bearer {}", access.token.expose()))
            }
        }
    }

    /// Exchanges the personal access token for an access token.
    async fn exchange(&self, refresh: &Secret) -> Result<Arc<Access>, LsError> {
        let path = "/api/token/refresh/";
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&json!({"refresh": refresh.expose()}))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| self.unreachable(&e))?;
        if status >= 300 {
            return Err(LsError::Status {
                status,
                method: "POST".into(),
                path: path.into(),
                detail: detail_of(&body),
            });
        }
        let token = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["access"].as_str().map(str::to_owned))
            .ok_or_else(|| LsError::Decode {
                path: path.into(),
                detail: "no \"access\" token in the answer".into(),
            })?;
        let exp = jwt_claims(&token)
            .and_then(|c| c["exp"].as_u64())
            .unwrap_or(unix_now() + 300);
        let left = exp.saturating_sub(unix_now()).saturating_sub(30);
        Ok(Arc::new(Access {
            token: Secret::new(token),
            use_until: Instant::now() + Duration::from_secs(left),
        }))
    }

    /// Sends a request; JSON in, JSON out (`null` for an empty body). Retries once on 401 with a
    /// fresh access token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, LsError> {
        for attempt in 0..2 {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .header("Authorization", self.authorization().await?);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| self.unreachable(&e))?;
            if status == 401 && attempt == 0 {
                if let Auth::Pat { cache, .. } = &*self.auth {
                    cache.invalidate(&()).await;
                    continue;
                }
            }
            if status >= 300 {
                return Err(LsError::Status {
                    status,
                    method: method.to_string(),
                    path: path.split('?').next().unwrap_or(path).to_owned(),
                    detail: detail_of(&text),
                });
            }
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| LsError::Decode {
                path: path.to_owned(),
                detail: e.to_string(),
            });
        }
        unreachable!("the loop returns on its second pass")
    }

    pub async fn get(&self, path: &str) -> Result<Value, LsError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, LsError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value, LsError> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), LsError> {
        self.send(Method::DELETE, path, None).await.map(|_| ())
    }

    /// LS's release (`GET /api/version/`, no auth needed).
    pub async fn version(&self) -> Result<String, LsError> {
        let resp = self
            .http
            .get(format!("{}/api/version/", self.base))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let v: Value = resp.json().await.map_err(|e| LsError::Decode {
            path: "/api/version/".into(),
            detail: e.to_string(),
        })?;
        Ok(v["release"].as_str().unwrap_or("unknown").to_owned())
    }

    /// The user the key belongs to.
    pub async fn whoami(&self) -> Result<Value, LsError> {
        self.get("/api/current-user/whoami").await
    }

    /// Every project (all pages).
    pub async fn projects(&self) -> Result<Vec<Value>, LsError> {
        let mut out = Vec::new();
        for page in 1.. {
            let v = self
                .get(&format!("/api/projects/?page={page}&page_size=100"))
                .await?;
            let items = v["results"].as_array().cloned().unwrap_or_default();
            let more = !v["next"].is_null() && !items.is_empty();
            out.extend(items);
            if !more {
                break;
            }
        }
        Ok(out)
    }

    pub async fn project(&self, id: i64) -> Result<Value, LsError> {
        self.get(&format!("/api/projects/{id}/")).await
    }

    /// Asks LS whether it accepts a label config (for a new project).
    pub async fn validate_config(&self, xml: &str) -> Result<(), LsError> {
        self.post("/api/projects/validate/", &json!({ "label_config": xml }))
            .await
            .map(|_| ())
    }

    /// Imports tasks (each `{"data": …, "predictions": […]}`); returns the new task ids.
    pub async fn import(&self, project: i64, tasks: &Value) -> Result<Vec<i64>, LsError> {
        let v = self
            .post(
                &format!("/api/projects/{project}/import?return_task_ids=true"),
                tasks,
            )
            .await?;
        Ok(v["task_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default())
    }

    /// Stores a prediction on a task; returns its id.
    pub async fn create_prediction(
        &self,
        task: i64,
        model_version: &str,
        score: f64,
        result: &Value,
    ) -> Result<i64, LsError> {
        let v = self
            .post(
                "/api/predictions/",
                &json!({"task": task, "model_version": model_version, "score": score,
                        "result": result}),
            )
            .await?;
        v["id"].as_i64().ok_or_else(|| LsError::Decode {
            path: "/api/predictions/".into(),
            detail: "no prediction id".into(),
        })
    }

    /// The predictions stored on a task.
    pub async fn predictions(&self, task: i64) -> Result<Vec<Value>, LsError> {
        let v = self.get(&format!("/api/predictions/?task={task}")).await?;
        Ok(match v {
            Value::Array(a) => a,
            other => other["results"].as_array().cloned().unwrap_or_default(),
        })
    }

    pub async fn task(&self, id: i64) -> Result<Value, LsError> {
        // resolve_uri=false keeps the raw URLs PPI put there; it may make LS ask for a
        // prediction when the task has none (which PPI answers from its cache).
        self.get(&format!("/api/tasks/{id}?resolve_uri=false"))
            .await
    }

    /// One page of a project's tasks updated after `after` (an LS timestamp), oldest first,
    /// with their annotations.
    pub async fn tasks_updated_after(
        &self,
        project: i64,
        after: Option<&str>,
        page: u32,
        page_size: u32,
    ) -> Result<(u64, Vec<Value>), LsError> {
        let mut query = json!({"ordering": ["tasks:updated_at"]});
        if let Some(after) = after {
            query["filters"] = json!({"conjunction": "and", "items": [{
                "filter": "filter:tasks:updated_at", "operator": "greater",
                "type": "Datetime", "value": after}]});
        }
        let q =
            url::form_urlencoded::byte_serialize(query.to_string().as_bytes()).collect::<String>();
        let v = self
            .get(&format!(
                "/api/tasks/?project={project}&fields=all&resolve_uri=false&page={page}&page_size={page_size}&query={q}"
            ))
            .await?;
        let total = v["total"].as_u64().unwrap_or(0);
        Ok((total, v["tasks"].as_array().cloned().unwrap_or_default()))
    }

    pub async fn create_annotation(&self, task: i64, result: &Value) -> Result<Value, LsError> {
        self.post(
            &format!("/api/tasks/{task}/annotations/"),
            &json!({"result": result}),
        )
        .await
    }

    /// A list endpoint filtered by project (`/api/webhooks/`, `/api/ml/`, `/api/storages/s3/`).
    pub async fn list(&self, endpoint: &str, project: i64) -> Result<Vec<Value>, LsError> {
        let v = self.get(&format!("{endpoint}?project={project}")).await?;
        Ok(match v {
            Value::Array(a) => a,
            other => other["results"].as_array().cloned().unwrap_or_default(),
        })
    }

    /// Downloads `url` (an LS-relative path or an absolute URL on the LS host) with the API
    /// key, following LS's 303 to presigned storage, into `to`. Returns the bytes written.
    pub async fn download(&self, url: &str, to: &std::path::Path) -> Result<u64, LsError> {
        let absolute = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        };
        let resp = self
            .http
            .get(&absolute)
            .header("Authorization", self.authorization().await?)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = if resp.status().is_redirection() {
            // The storage's presigned URL: fetched without LS's credentials.
            let to = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| LsError::Decode {
                    path: url.to_owned(),
                    detail: "a redirect without a Location".into(),
                })?
                .to_owned();
            self.http
                .get(to)
                .send()
                .await
                .map_err(|e| self.unreachable(&e))?
        } else {
            resp
        };
        super::media::save_response(resp, to)
            .await
            .map_err(|detail| LsError::Status {
                status: 502,
                method: "GET".into(),
                path: url.to_owned(),
                detail,
            })
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
