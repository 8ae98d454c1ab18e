//! Durable state: the service database (users, lessons, jobs, Label Studio state, review
//! items), authentication (password hashes, access and refresh tokens), object storage (a local
//! folder or S3) and the user-account use cases built on them.

pub mod accounts;
pub mod auth;
pub mod db;
pub mod storage;
