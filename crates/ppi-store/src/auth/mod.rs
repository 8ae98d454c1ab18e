//! Authentication: argon2 password hashes, short-lived access JWTs (HS256) and single-use
//! refresh tokens stored as SHA-256 hashes. Secrets are compared in constant time.

pub mod password;
pub mod tokens;

pub use tokens::{AccessClaims, TokenError, Tokens};

pub use ppi_core::secret::{constant_time_eq, random_hex};
