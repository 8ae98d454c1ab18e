//! `[hub]` settings: the Hugging Face repository, its token and when to publish. The old
//! scripts' `.env` keys (`HF_USERNAME`, `HF_TOKEN`, `DATASET_NAME`) keep working.

use ppi_core::config::{var, EnvVar, Kind};
use ppi_core::secret::Secret;

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

/// The environment variables of `[hub]`.
pub const ENV: &[EnvVar] = &[
    var("HF_USERNAME", "username", Kind::Text),
    var("HF_TOKEN", "token", Kind::Text),
    var("DATASET_NAME", "dataset_name", Kind::Text),
    var("HF_ENDPOINT", "endpoint", Kind::Url),
    var("PPI_HF_AUTO_PUBLISH", "auto_publish", Kind::Flag),
    var("PPI_HF_PRIVATE", "private", Kind::Flag),
];
