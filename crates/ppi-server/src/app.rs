//! Wiring the service: data dir, secrets, database, queue, storage, tokens, metrics. Shared by
//! `ppi serve`, `ppi worker` and `ppi users`.

use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::metrics::Metrics;
use ppi_core::error::{Coded, ErrorKind};
use ppi_core::secret::Secret;
use ppi_jobs::{JobContext, Queue};
use ppi_store::auth::Tokens;
use ppi_store::db::{Db, DbError};
use ppi_store::storage::local::LocalStore;
use ppi_store::storage::s3::S3Store;
use ppi_store::storage::settings::StorageBackend;
use ppi_store::storage::{ObjectStore, StorageError};

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{0}")]
    Config(String),
}

impl Coded for AppError {
    fn code(&self) -> &'static str {
        match self {
            AppError::Db(e) => e.code(),
            AppError::Storage(e) => e.code(),
            AppError::Io { .. } => "io-error",
            AppError::Config(_) => "config-invalid",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AppError::Db(e) => e.kind(),
            AppError::Storage(e) => e.kind(),
            AppError::Io { .. } => ErrorKind::Internal,
            AppError::Config(_) => ErrorKind::Input,
        }
    }
}

/// Everything the HTTP handlers and workers share.
pub struct App {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    /// The local backend again, for serving its signed URLs (`None` with S3).
    pub local: Option<Arc<LocalStore>>,
    pub tokens: Tokens,
    pub metrics: Arc<Metrics>,
    pub jobs: Arc<JobContext>,
    /// The secret Label Studio sends with webhooks (`X-PPI-Webhook-Secret`).
    pub webhook_secret: Vec<u8>,
    /// Where `serve`'s own Label Studio wiring stands (for `/ready`).
    pub ls_wiring: Arc<crate::ls_sync::wiring::Wiring>,
    /// Wrong credentials counted per user and address.
    pub throttle: crate::security::throttle::Throttle,
    /// The browser security headers every response carries.
    pub security_headers: Arc<crate::security::headers::SecurityHeaders>,
}

/// The webhook secret: configured (`PPI_LS_WEBHOOK_SECRET`), else kept in the data dir.
pub fn webhook_secret(settings: &Settings) -> Result<Secret, AppError> {
    Ok(match &settings.label_studio.webhook_secret {
        Some(s) => s.clone(),
        None => Secret::new(
            String::from_utf8_lossy(&data_secret(&settings.server.data_dir, "ls-webhook.key")?)
                .into_owned(),
        ),
    })
}

/// Reads a secret kept in the data dir, creating it (mode 0600) on first use.
pub fn data_secret(dir: &Path, name: &str) -> Result<Vec<u8>, AppError> {
    let path = dir.join("secrets").join(name);
    let io = |e: std::io::Error| AppError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let read = || -> Option<Vec<u8>> {
        let s = std::fs::read_to_string(&path).ok()?;
        (s.trim().len() >= 32).then(|| s.trim().as_bytes().to_vec())
    };
    if let Some(s) = read() {
        return Ok(s);
    }
    std::fs::create_dir_all(path.parent().unwrap_or(dir)).map_err(io)?;
    let secret = ppi_core::secret::random_hex(32).map_err(|e| AppError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    match ppi_core::atomic::write_private_new(&path, secret.as_bytes()) {
        Ok(()) => Ok(secret.into_bytes()),
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read().ok_or_else(|| AppError::Io {
                path: path.display().to_string(),
                detail: "the secret file is shorter than 32 characters; delete it to regenerate"
                    .into(),
            })
        }
        Err(e) => Err(io(e)),
    }
}

impl App {
    /// The database only (user management from the CLI needs nothing else).
    pub fn database(
        settings: &Settings,
    ) -> futures_util::future::BoxFuture<'_, Result<Db, AppError>> {
        // Boxed, so callers above do not compile this future's tree again (docs/decisions.md,
        // "Boxed entry points").
        Box::pin(Self::open_database(settings))
    }

    async fn open_database(settings: &Settings) -> Result<Db, AppError> {
        std::fs::create_dir_all(&settings.server.data_dir).map_err(|e| AppError::Io {
            path: settings.server.data_dir.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(Db::connect(&settings.database_url()).await?)
    }

    /// Opens everything.
    pub fn open(
        settings: Settings,
    ) -> futures_util::future::BoxFuture<'static, Result<Self, AppError>> {
        Box::pin(Self::opening(settings))
    }

    async fn opening(settings: Settings) -> Result<Self, AppError> {
        let settings = Arc::new(settings);
        let db = Self::database(&settings).await?;
        let data = settings.server.data_dir.clone();
        let jwt = match &settings.server.jwt_secret {
            Some(s) if s.expose().len() >= 32 => s.expose().as_bytes().to_vec(),
            Some(_) => {
                return Err(AppError::Config(
                    "PPI_JWT_SECRET must have at least 32 characters".into(),
                ))
            }
            None => data_secret(&data, "jwt.key")?,
        };
        let public_url = settings.public_url();
        let (store, local): (Arc<dyn ObjectStore>, Option<Arc<LocalStore>>) =
            match settings.storage.backend {
                StorageBackend::Local => {
                    let root = settings
                        .storage
                        .root
                        .clone()
                        .unwrap_or_else(|| data.join("storage"));
                    let local = Arc::new(LocalStore::new(
                        root,
                        public_url,
                        data_secret(&data, "url-signing.key")?,
                    )?);
                    (local.clone(), Some(local))
                }
                StorageBackend::S3 => (Arc::new(S3Store::connect(&settings.storage).await?), None),
            };
        let queue = Queue::connect(
            &settings.database_url(),
            settings.server.worker_concurrency.max(1),
        )
        .await?;
        let metrics = Metrics::install();
        let ls = ppi_label_studio::client::LsClient::from_settings(&settings.label_studio)
            .map_err(|e| AppError::Config(e.to_string()))?;
        let patterns = match &settings.label_studio.patterns {
            Some(p) => Some(Arc::new(
                ppi_core::catalog::sheet::load(p).map_err(|e| AppError::Config(e.to_string()))?,
            )),
            None => None,
        };
        let jobs = Arc::new(JobContext {
            db: db.clone(),
            store: store.clone(),
            settings: Arc::new(settings.job_settings()),
            queue,
            local: local.clone(),
            ls,
            asr: tokio::sync::OnceCell::new(),
            speakers: tokio::sync::OnceCell::new(),
            patterns,
            stopping: tokio_util::sync::CancellationToken::new(),
            running: Default::default(),
        });
        let webhook_secret = webhook_secret(&settings)?.expose().as_bytes().to_vec();
        let wiring = match crate::ls_sync::wiring::off_reason(&jobs) {
            Some(reason) => crate::ls_sync::wiring::WiringState::Off { reason },
            None => crate::ls_sync::wiring::WiringState::Wiring { attempt: 0 },
        };
        Ok(App {
            webhook_secret,
            throttle: Default::default(),
            security_headers: Arc::new(crate::security::headers::SecurityHeaders::new(&settings)),
            ls_wiring: Arc::new(crate::ls_sync::wiring::Wiring::new(wiring)),
            tokens: Tokens::new(&jwt, settings.server.access_token_ttl_secs),
            settings,
            db,
            store,
            local,
            metrics,
            jobs,
        })
    }
}
