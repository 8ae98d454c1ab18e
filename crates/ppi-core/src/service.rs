//! `[server]` settings: what every process of the service shares, read by every layer above
//! the domain (the data dir, the public URL, the database, job limits). The HTTP-only keys
//! (bind, CORS, MCP hosts) sit here too, so that the `[server]` section stays one struct.

use std::path::PathBuf;

use crate::config::{var, EnvVar, Kind};
use crate::secret::Secret;

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

/// The environment variables of `[server]`.
pub const ENV: &[EnvVar] = &[
    var("PPI_BIND", "bind", Kind::Text),
    var("PPI_PUBLIC_URL", "public_url", Kind::Url),
    var("PPI_DATA_DIR", "data_dir", Kind::Text),
    var("PPI_DATABASE_URL", "database_url", Kind::Text),
    var("DATABASE_URL", "database_url", Kind::Text),
    var("PPI_CORS_ORIGINS", "cors_origins", Kind::UrlList),
    var("PPI_MCP_ALLOWED_HOSTS", "mcp_allowed_hosts", Kind::List),
    var("PPI_JWT_SECRET", "jwt_secret", Kind::Text),
    var("PPI_MAX_UPLOAD_BYTES", "max_upload_bytes", Kind::Count),
];

impl ServerSettings {
    /// The database URL: configured, else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ppi.db").display()
            ),
        }
    }

    /// How browsers and Label Studio reach this server: `public_url`, else the bind address
    /// (all interfaces named as 127.0.0.1). `serve` (which fills in the bound port) and
    /// `ppi ls bootstrap` derive it the same way.
    pub fn public_url(&self) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let bind = &self.bind;
        let local = ["0.0.0.0:", "[::]:"]
            .iter()
            .find_map(|p| bind.strip_prefix(p))
            .map(|port| format!("127.0.0.1:{port}"));
        format!("http://{}", local.as_deref().unwrap_or(bind))
    }
}
