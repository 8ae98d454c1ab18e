//! Label Studio: export and result parsing (pure), and later the REST client and webhooks.

pub mod export;
pub mod result;
