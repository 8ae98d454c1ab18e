//! `[mcp]` settings: the folders MCP tools may read lessons from.

use std::path::{Path, PathBuf};

use ppi_core::config::{var, EnvVar, Kind};

/// What MCP tools may touch beyond PPI's own data.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpSettings {
    /// Folders (institutional storage, mounts) whose files `ingest_lesson` and `build_dataset`
    /// may read (`PPI_MCP_ROOTS`, comma-separated). The local `[watch] sources` are roots too.
    pub roots: Vec<PathBuf>,
}

impl McpSettings {
    /// Relative roots in a settings file are beside it.
    pub fn resolve(&mut self, dir: &Path) {
        for r in self.roots.iter_mut().filter(|r| r.is_relative()) {
            *r = dir.join(&*r);
        }
    }
}

/// The environment variables of `[mcp]` (`PPI_MCP_ROOTS` replaces the list).
pub const ENV: &[EnvVar] = &[var("PPI_MCP_ROOTS", "roots", Kind::List)];
