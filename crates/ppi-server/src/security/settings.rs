//! `[security]` settings: which proxies may name the client's address, and how long the audit
//! log keeps its events.

use std::net::IpAddr;

use ppi_core::config::{var, EnvVar, Kind};

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Reverse proxies whose `X-Forwarded-For` names the client (`PPI_TRUSTED_PROXIES`,
    /// comma-separated addresses). Empty: the header is ignored, the peer is the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Audit events older than this many days are dropped (`PPI_AUDIT_RETENTION_DAYS`);
    /// 0 keeps them for ever.
    pub audit_retention_days: u64,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            trusted_proxies: Vec::new(),
            audit_retention_days: 365,
        }
    }
}

/// The environment variables of `[security]`.
pub const ENV: &[EnvVar] = &[
    var("PPI_TRUSTED_PROXIES", "trusted_proxies", Kind::List),
    var(
        "PPI_AUDIT_RETENTION_DAYS",
        "audit_retention_days",
        Kind::Count,
    ),
];
