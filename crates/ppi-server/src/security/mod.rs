//! Security for a service on a shared network: throttling of credential guesses
//! ([`throttle`]), the client's address behind trusted proxies ([`client`]), browser security
//! headers on every response ([`headers`]), the audit log's recording and retention
//! ([`audit`]), and the `[security]` settings ([`settings`]). docs/security.md maps each to
//! OWASP ASVS level 2.

pub mod audit;
pub mod client;
pub mod headers;
pub mod settings;
pub mod throttle;

pub use settings::SecuritySettings;
