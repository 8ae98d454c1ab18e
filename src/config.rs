//! Typed, layered configuration: defaults, then a TOML file, then the environment (`PPI_…` and
//! the ecosystem's own names such as `HF_TOKEN`), then command-line flags (applied by each
//! command). A `.env` file in the working directory is read into the environment first, so the
//! old scripts' `.env` keys (`HF_USERNAME`, `HF_TOKEN`, `DATASET_NAME`, `LOCAL_DATASET_PATH`)
//! work unchanged. Secrets never print: [`Secret`] redacts itself.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Coded, ErrorKind};

/// A secret string (tokens, passwords). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// All settings.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub dataset: DatasetSettings,
    pub hub: HubSettings,
    pub whisper: WhisperSettings,
    pub server: ServerSettings,
    pub storage: StorageSettings,
    pub label_studio: crate::label_studio::settings::LabelStudioSettings,
    pub watch: crate::watch::WatchSettings,
    pub mcp: crate::mcp::McpSettings,
    pub learn: crate::learn::LearnSettings,
}

/// `ppi serve` and `ppi worker`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on (`PPI_BIND`).
    pub bind: String,
    /// How browsers and Label Studio reach this server, for signed URLs (`PPI_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Database, uploads and local storage live here (`PPI_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://…` (embedded default, in the data dir) or `postgres://…` for many workers
    /// (`PPI_DATABASE_URL`, or `DATABASE_URL`).
    pub database_url: Option<Secret>,
    /// Secret for signing access tokens (`PPI_JWT_SECRET`); generated and kept in the data dir
    /// when unset.
    pub jwt_secret: Option<Secret>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of signed and presigned media URLs.
    pub signed_url_ttl_secs: u64,
    /// Largest upload accepted (`PPI_MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: u64,
    /// Jobs a worker runs at once.
    pub worker_concurrency: usize,
    /// A job attempt running longer than this is stopped and retried.
    pub job_timeout_secs: u64,
    /// Attempts per job before it fails for good.
    pub job_attempts: usize,
    /// Browser origins besides Label Studio's and PPI's own that may load media from the S3
    /// bucket (`PPI_CORS_ORIGINS`, comma-separated), e.g. LS's public address when PPI reaches
    /// LS by an internal name.
    pub cors_origins: Vec<String>,
    /// `Host` names `/mcp` answers besides loopback and `public_url`'s host
    /// (`PPI_MCP_ALLOWED_HOSTS`, comma-separated), against DNS rebinding.
    pub mcp_allowed_hosts: Vec<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: PathBuf::from("ppi-data"),
            database_url: None,
            jwt_secret: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            signed_url_ttl_secs: 6 * 3600,
            max_upload_bytes: 16 << 30,
            worker_concurrency: 2,
            job_timeout_secs: 2 * 3600,
            job_attempts: 3,
            cors_origins: Vec::new(),
            mcp_allowed_hosts: Vec::new(),
        }
    }
}

/// Where media is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder (the embedded default), served through signed URLs.
    #[default]
    Local,
    /// S3, MinIO or SeaweedFS.
    S3,
}

/// Object storage.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// `local` or `s3` (`PPI_STORAGE`).
    pub backend: StorageBackend,
    /// Local backend root; default `<data_dir>/storage`.
    pub root: Option<PathBuf>,
    /// S3 endpoint PPI talks to, e.g. `http://minio:9000` (`PPI_S3_ENDPOINT`).
    pub endpoint: Option<String>,
    /// Endpoint put into presigned URLs for browsers and Label Studio, e.g.
    /// `http://localhost:9000` when PPI reaches MinIO by its docker name
    /// (`PPI_S3_PUBLIC_ENDPOINT`).
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<Secret>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// Path-style addressing (`http://host/bucket/key`), which MinIO and SeaweedFS need.
    pub path_style: bool,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            backend: StorageBackend::Local,
            root: None,
            endpoint: None,
            public_endpoint: None,
            bucket: "ppi".into(),
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            path_style: true,
        }
    }
}

/// Speech recognition.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhisperSettings {
    /// Model name (`base`, `base-q8_0`, `small`, `large-v3`…) or path (`PPI_WHISPER_MODEL`).
    pub model: String,
    /// ggml threads per transcription; `None` = cores / jobs.
    pub threads: Option<usize>,
    /// Transcriptions at once (each holds a ~230 MB state for `base`).
    pub jobs: usize,
    pub device: crate::asr::Device,
    /// `auto`, a code (`ru`), or candidates for detection (`en,ru`).
    pub language: String,
    /// 1 = greedy; more = beam search.
    pub beam_size: usize,
    /// Encoder context beyond each speech chunk, seconds; negative = always the full 30 s.
    pub context_margin: f64,
    /// whisper.cpp flash attention.
    pub flash_attn: bool,
}

impl Default for WhisperSettings {
    fn default() -> Self {
        WhisperSettings {
            model: crate::asr::model::DEFAULT_MODEL.into(),
            threads: None,
            jobs: 1,
            device: crate::asr::Device::Cpu,
            language: "auto".into(),
            beam_size: 1,
            context_margin: 2.0,
            flash_attn: false,
        }
    }
}

pub use crate::dataset::settings::DatasetSettings;

/// The Hugging Face Hub.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubSettings {
    /// User or organisation that owns the dataset repository (`HF_USERNAME`).
    pub username: Option<String>,
    /// Access token (`HF_TOKEN`).
    pub token: Option<Secret>,
    /// Repository name (`DATASET_NAME`).
    pub dataset_name: Option<String>,
    /// Hub address (`HF_ENDPOINT`), for mirrors and tests.
    pub endpoint: String,
    pub private: bool,
    /// Publish after each assembly when a token and repository are set (`PPI_HF_AUTO_PUBLISH`).
    pub auto_publish: bool,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            username: None,
            token: None,
            dataset_name: None,
            endpoint: "https://huggingface.co".into(),
            private: false,
            auto_publish: true,
        }
    }
}

impl HubSettings {
    /// `user/name` when both are known.
    pub fn repo_id(&self) -> Option<String> {
        match (&self.username, &self.dataset_name) {
            (Some(u), Some(n)) if !u.is_empty() && !n.is_empty() => Some(format!("{u}/{n}")),
            (None, Some(n)) if n.contains('/') => Some(n.clone()),
            _ => None,
        }
    }
}

/// Errors loading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {detail}")]
    Parse { file: PathBuf, detail: String },
    #[error("environment variable {name}: {detail}")]
    Env { name: &'static str, detail: String },
    #[error(".env: line {line}: {detail}")]
    DotEnv { line: usize, detail: String },
}

impl Coded for ConfigError {
    fn code(&self) -> &'static str {
        "config-invalid"
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}

/// A source of environment values; the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).cloned()
    }
}

/// Reads `.env` from the working directory into the process environment (variables already
/// set win). A missing file is fine; a malformed one is an error naming the line.
pub fn load_dotenv() -> Result<(), ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(dotenvy::Error::LineParse(line, idx)) => Err(ConfigError::DotEnv {
            line: idx,
            detail: format!("cannot parse {line:?}"),
        }),
        Err(e) => Err(ConfigError::DotEnv {
            line: 0,
            detail: e.to_string(),
        }),
    }
}

impl Settings {
    /// Defaults, then `file` (or `./ppi.toml` when present), then the environment.
    pub fn load(file: Option<&Path>, env: &dyn Env) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("PPI_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("ppi.toml")).filter(|p| p.is_file()));
        let mut s = match file {
            Some(f) => {
                let text = std::fs::read_to_string(&f).map_err(|source| ConfigError::Read {
                    file: f.clone(),
                    source,
                })?;
                let mut s: Settings = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    file: f.clone(),
                    detail: e.to_string(),
                })?;
                s.resolve_against(f.parent().unwrap_or(Path::new("")));
                s
            }
            None => Settings::default(),
        };
        s.apply_env(env)?;
        Ok(s)
    }

    /// Relative paths written in a settings file mean paths beside that file, so `serve` and
    /// `ppi ls bootstrap` find the same data dir and sheet from any working directory. (Paths
    /// from the environment and flags stay relative to the working directory.)
    fn resolve_against(&mut self, dir: &Path) {
        if dir.as_os_str().is_empty() {
            return;
        }
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        fix(&mut self.server.data_dir);
        if let Some(r) = self.storage.root.as_mut() {
            fix(r);
        }
        if let Some(p) = self.label_studio.patterns.as_mut() {
            fix(p);
        }
        let w = &mut self.watch;
        for p in [&mut w.out, &mut w.patterns, &mut w.state]
            .into_iter()
            .flatten()
        {
            fix(p);
        }
        self.mcp.resolve(dir);
        for s in w.sources.iter_mut().filter(|s| !s.starts_with("s3://")) {
            let mut p = PathBuf::from(&*s);
            fix(&mut p);
            *s = p.display().to_string();
        }
    }

    fn apply_env(&mut self, env: &dyn Env) -> Result<(), ConfigError> {
        self.mcp.apply_env(|k| env.get(k));
        let watch = self.watch.apply_env(|k| env.get(k));
        watch.map_err(|detail| ConfigError::Env {
            name: "PPI_WATCH_*",
            detail,
        })?;
        if let Some(v) = env
            .get("PPI_DATASET_PATH")
            .or_else(|| env.get("LOCAL_DATASET_PATH"))
        {
            self.dataset.path = PathBuf::from(v);
        }
        let dataset = self.dataset.apply_env(|k| env.get(k));
        dataset.map_err(|(name, detail)| ConfigError::Env { name, detail })?;
        if let Some(v) = env.get("PPI_LEARN_MIN_EXAMPLES") {
            self.learn.min_examples = v.parse().map_err(|_| ConfigError::Env {
                name: "PPI_LEARN_MIN_EXAMPLES",
                detail: format!("expected a number, found {v:?}"),
            })?;
        }
        if let Some(v) = env.get("PPI_JOBS") {
            self.dataset.jobs =
                Some(v.parse().ok().filter(|n| *n > 0).ok_or(ConfigError::Env {
                    name: "PPI_JOBS",
                    detail: format!("expected a positive number, found {v:?}"),
                })?);
        }
        if let Some(v) = env.get("HF_USERNAME") {
            self.hub.username = Some(v);
        }
        if let Some(v) = env.get("HF_TOKEN") {
            self.hub.token = Some(Secret::new(v));
        }
        if let Some(v) = env.get("DATASET_NAME") {
            self.hub.dataset_name = Some(v);
        }
        if let Some(v) = env.get("HF_ENDPOINT") {
            self.hub.endpoint = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = env.get("PPI_WHISPER_MODEL") {
            self.whisper.model = v;
        }
        if let Some(v) = env.get("PPI_WHISPER_CONTEXT_MARGIN") {
            self.whisper.context_margin = v.parse().map_err(|_| ConfigError::Env {
                name: "PPI_WHISPER_CONTEXT_MARGIN",
                detail: format!("expected seconds, found {v:?}"),
            })?;
        }
        if let Some(v) = env.get("PPI_WHISPER_FLASH_ATTN") {
            self.whisper.flash_attn = matches!(v.to_lowercase().as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env.get("PPI_WHISPER_LANGUAGE") {
            self.whisper.language = v;
        }
        for (name, slot) in [("PPI_WHISPER_THREADS", &mut self.whisper.threads)] {
            if let Some(v) = env.get(name) {
                *slot = Some(v.parse().ok().filter(|n| *n > 0).ok_or(ConfigError::Env {
                    name: "PPI_WHISPER_THREADS",
                    detail: format!("expected a positive number, found {v:?}"),
                })?);
            }
        }
        if let Some(v) = env.get("PPI_WHISPER_JOBS") {
            self.whisper.jobs = v.parse().ok().filter(|n| *n > 0).ok_or(ConfigError::Env {
                name: "PPI_WHISPER_JOBS",
                detail: format!("expected a positive number, found {v:?}"),
            })?;
        }
        self.apply_server_env(env)?;
        self.label_studio.apply_env(env)?;
        self.label_studio.validate()?;
        if let Some(v) = env.get("PPI_HF_AUTO_PUBLISH") {
            self.hub.auto_publish = matches!(v.to_lowercase().as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env.get("PPI_HF_PRIVATE") {
            self.hub.private = matches!(v.to_lowercase().as_str(), "1" | "true" | "yes");
        }
        Ok(())
    }

    fn apply_server_env(&mut self, env: &dyn Env) -> Result<(), ConfigError> {
        let sv = &mut self.server;
        if let Some(v) = env.get("PPI_BIND") {
            sv.bind = v;
        }
        if let Some(v) = env.get("PPI_PUBLIC_URL") {
            sv.public_url = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = env.get("PPI_DATA_DIR") {
            sv.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env
            .get("PPI_DATABASE_URL")
            .or_else(|| env.get("DATABASE_URL"))
        {
            sv.database_url = Some(Secret::new(v));
        }
        if let Some(v) = env.get("PPI_CORS_ORIGINS") {
            sv.cors_origins = v
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Some(v) = env.get("PPI_MCP_ALLOWED_HOSTS") {
            sv.mcp_allowed_hosts = v
                .split(',')
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .collect();
        }
        if let Some(v) = env.get("PPI_JWT_SECRET") {
            sv.jwt_secret = Some(Secret::new(v));
        }
        if let Some(v) = env.get("PPI_MAX_UPLOAD_BYTES") {
            sv.max_upload_bytes = v.parse().map_err(|_| ConfigError::Env {
                name: "PPI_MAX_UPLOAD_BYTES",
                detail: format!("expected a number of bytes, found {v:?}"),
            })?;
        }
        let st = &mut self.storage;
        if let Some(v) = env.get("PPI_STORAGE") {
            st.backend = match v.as_str() {
                "local" => StorageBackend::Local,
                "s3" => StorageBackend::S3,
                _ => {
                    return Err(ConfigError::Env {
                        name: "PPI_STORAGE",
                        detail: format!("expected local or s3, found {v:?}"),
                    })
                }
            };
        }
        if let Some(v) = env.get("PPI_S3_ENDPOINT") {
            st.endpoint = Some(v);
        }
        if let Some(v) = env.get("PPI_S3_PUBLIC_ENDPOINT") {
            st.public_endpoint = Some(v);
        }
        if let Some(v) = env.get("PPI_S3_BUCKET") {
            st.bucket = v;
        }
        if let Some(v) = env.get("PPI_S3_REGION").or_else(|| env.get("AWS_REGION")) {
            st.region = v;
        }
        if let Some(v) = env.get("AWS_ACCESS_KEY_ID") {
            st.access_key_id = Some(Secret::new(v));
        }
        if let Some(v) = env.get("AWS_SECRET_ACCESS_KEY") {
            st.secret_access_key = Some(Secret::new(v));
        }
        Ok(())
    }

    /// The database URL: configured, else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        match &self.server.database_url {
            Some(u) => u.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.server.data_dir.join("ppi.db").display()
            ),
        }
    }

    /// How browsers and Label Studio reach this server: `server.public_url`, else the bind
    /// address (all interfaces named as 127.0.0.1). `serve` (which fills in the bound port) and
    /// `ppi ls bootstrap` derive it the same way.
    pub fn public_url(&self) -> String {
        if let Some(u) = &self.server.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let bind = &self.server.bind;
        let local = ["0.0.0.0:", "[::]:"]
            .iter()
            .find_map(|p| bind.strip_prefix(p))
            .map(|port| format!("127.0.0.1:{port}"));
        format!("http://{}", local.as_deref().unwrap_or(bind))
    }

    /// How Label Studio reaches PPI's ML backend: `PPI_ML_URL`, else the public URL + `/ml`.
    pub fn ml_url(&self) -> String {
        match &self.label_studio.ml_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("{}/ml", self.public_url()),
        }
    }

    /// Worker count: configured, else one per core.
    pub fn jobs(&self) -> usize {
        self.dataset.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
