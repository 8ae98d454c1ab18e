//! What jobs read of the settings: every feature's section but the watcher's and MCP's, which
//! belong to the service above. The service builds it from its full settings.

use ppi_asr::settings::WhisperSettings;
use ppi_core::service::ServerSettings;
use ppi_dataset::hub::settings::HubSettings;
use ppi_dataset::settings::DatasetSettings;
use ppi_label_studio::settings::LabelStudioSettings;
use ppi_learn::LearnSettings;
use ppi_store::storage::settings::StorageSettings;

/// The sections jobs read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobSettings {
    pub dataset: DatasetSettings,
    pub hub: HubSettings,
    pub whisper: WhisperSettings,
    pub server: ServerSettings,
    pub storage: StorageSettings,
    pub label_studio: LabelStudioSettings,
    pub learn: LearnSettings,
}

impl JobSettings {
    /// How browsers and Label Studio reach this server.
    pub fn public_url(&self) -> String {
        self.server.public_url()
    }

    /// How Label Studio reaches PPI's ML backend.
    pub fn ml_url(&self) -> String {
        self.label_studio.ml_url(&self.public_url())
    }
}
