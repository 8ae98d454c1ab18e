//! The settings of the whole service, assembled from each feature's own section and loaded in
//! layers (`ppi_core::config`): defaults, then a TOML file, then the environment, then
//! command-line flags (applied by each command). A `.env` file in the working directory is read
//! into the environment first (`ppi_core::config::load_dotenv`), so the old scripts' `.env`
//! keys (`HF_USERNAME`, `HF_TOKEN`, `DATASET_NAME`, `LOCAL_DATASET_PATH`) work unchanged.
//! Secrets never print.

use std::path::{Path, PathBuf};

use ppi_asr::settings::WhisperSettings;
use ppi_core::config::{ConfigError, Env, Layered, Sections};
use ppi_core::service::ServerSettings;
use ppi_dataset::hub::settings::HubSettings;
use ppi_dataset::settings::DatasetSettings;
use ppi_jobs::JobSettings;
use ppi_label_studio::settings::LabelStudioSettings;
use ppi_learn::LearnSettings;
use ppi_store::storage::settings::StorageSettings;

use crate::mcp::McpSettings;
use crate::security::SecuritySettings;
use crate::watch::WatchSettings;

/// All settings, one section per feature.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub dataset: DatasetSettings,
    pub hub: HubSettings,
    pub whisper: WhisperSettings,
    pub server: ServerSettings,
    pub storage: StorageSettings,
    pub label_studio: LabelStudioSettings,
    pub watch: WatchSettings,
    pub mcp: McpSettings,
    pub learn: LearnSettings,
    pub security: SecuritySettings,
}

/// Every section and the environment variables that set it.
const SECTIONS: Sections = &[
    ("server", ppi_core::service::ENV),
    ("storage", ppi_store::storage::settings::ENV),
    ("whisper", ppi_asr::settings::ENV),
    ("dataset", ppi_dataset::settings::ENV),
    ("hub", ppi_dataset::hub::settings::ENV),
    ("label_studio", ppi_label_studio::settings::ENV),
    ("learn", ppi_learn::ENV),
    ("watch", crate::watch::settings::ENV),
    ("mcp", crate::mcp::settings::ENV),
    ("security", crate::security::settings::ENV),
];

impl Settings {
    /// Defaults, then `file` (or `PPI_CONFIG`, or `./ppi.toml` when present), then the
    /// environment. Relative paths written in the file mean paths beside it.
    pub fn load(file: Option<&Path>, env: &dyn Env) -> Result<Self, ConfigError> {
        let layers = Layered::load(file, env, SECTIONS)?;
        let mut s: Settings = layers.extract()?;
        s.resolve_paths(&layers);
        s.label_studio.validate()?;
        Ok(s)
    }

    fn resolve_paths(&mut self, layers: &Layered) {
        layers.beside_file("server.data_dir", &mut self.server.data_dir);
        if let Some(r) = self.storage.root.as_mut() {
            layers.beside_file("storage.root", r);
        }
        if let Some(p) = self.label_studio.patterns.as_mut() {
            layers.beside_file("label_studio.patterns", p);
        }
        let w = &mut self.watch;
        for (key, p) in [
            ("watch.out", &mut w.out),
            ("watch.patterns", &mut w.patterns),
            ("watch.state", &mut w.state),
        ] {
            if let Some(p) = p {
                layers.beside_file(key, p);
            }
        }
        let dir = layers.file().and_then(Path::parent);
        if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if layers.from_file("mcp.roots") {
                self.mcp.resolve(dir);
            }
            if layers.from_file("watch.sources") {
                for s in w.sources.iter_mut().filter(|s| !s.starts_with("s3://")) {
                    let p = PathBuf::from(&*s);
                    if p.is_relative() {
                        *s = dir.join(p).display().to_string();
                    }
                }
            }
        }
    }

    /// What jobs read: every section but the watcher's and MCP's.
    pub fn job_settings(&self) -> JobSettings {
        JobSettings {
            dataset: self.dataset.clone(),
            hub: self.hub.clone(),
            whisper: self.whisper.clone(),
            server: self.server.clone(),
            storage: self.storage.clone(),
            label_studio: self.label_studio.clone(),
            learn: self.learn.clone(),
        }
    }

    /// What a lesson's build reads.
    pub fn build_settings(&self) -> ppi_dataset::lesson::BuildSettings<'_> {
        ppi_dataset::lesson::BuildSettings {
            dataset: &self.dataset,
            hub: &self.hub,
            agreement: self.label_studio.agreement,
            data_dir: &self.server.data_dir,
        }
    }

    /// The database URL: configured, else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        self.server.database_url()
    }

    /// How browsers and Label Studio reach this server (see [`ServerSettings::public_url`]).
    pub fn public_url(&self) -> String {
        self.server.public_url()
    }

    /// How Label Studio reaches PPI's ML backend: `PPI_ML_URL`, else the public URL + `/ml`.
    pub fn ml_url(&self) -> String {
        self.label_studio.ml_url(&self.public_url())
    }

    /// Worker count: configured, else one per core.
    pub fn jobs(&self) -> usize {
        self.dataset.workers()
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
