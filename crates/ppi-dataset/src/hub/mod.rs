//! Publishing datasets to the Hugging Face Hub (`ppi dataset publish`, and after assembly),
//! and reading back which lessons a published dataset holds.

pub mod client;
pub mod publish;
pub mod published;
pub mod settings;

pub use client::{HubClient, HubError};
pub use publish::{publish, PublishOptions, PublishReport};
