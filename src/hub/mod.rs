//! Publishing datasets to the Hugging Face Hub (`ppi dataset publish`, and after assembly).

pub mod client;
pub mod publish;

pub use client::{HubClient, HubError};
pub use publish::{publish, PublishOptions, PublishReport};
