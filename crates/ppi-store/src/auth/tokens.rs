//! Access tokens (HS256 JWTs) and refresh tokens.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ppi_core::secret::{random_hex, NoRandomness};
use sha2::{Digest, Sha256};

use ppi_core::domain::Role;

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// User name.
    pub name: String,
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    /// Always `access`: refresh tokens are not JWTs and cannot be confused with these.
    pub typ: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired; refresh it or log in again")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Self {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl: access_ttl_secs,
        }
    }

    pub fn access_ttl(&self) -> u64 {
        self.access_ttl
    }

    /// Issues an access token.
    pub fn issue(&self, user_id: &str, name: &str, role: Role) -> Result<String, TokenError> {
        let iat = now();
        self.issue_at(user_id, name, role, iat, iat + self.access_ttl)
    }

    /// Issues a token with explicit times (tests use it for expired tokens).
    pub fn issue_at(
        &self,
        user_id: &str,
        name: &str,
        role: Role,
        iat: u64,
        exp: u64,
    ) -> Result<String, TokenError> {
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            name: name.to_owned(),
            role,
            iat,
            exp,
            typ: "access".into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)
    }

    /// Checks signature, algorithm, expiry (no leeway) and type.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<AccessClaims>(token, &self.decoding, &v).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.typ != "access" {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

/// A new refresh token (returned to the client once) and its hash (stored).
pub fn new_refresh_token() -> Result<(String, String), NoRandomness> {
    let token = random_hex(32)?;
    let hash = hash_refresh_token(&token);
    Ok((token, hash))
}

/// The prefix that tells an API token from a JWT.
pub const API_TOKEN_PREFIX: &str = "ppi_";

/// A new API token and its hash (only the hash is stored).
pub fn new_api_token() -> Result<(String, String), NoRandomness> {
    let token = format!("{API_TOKEN_PREFIX}{}", random_hex(32)?);
    let hash = hash_refresh_token(&token);
    Ok((token, hash))
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_fail_safely() {
        let t = Tokens::new(b"secret-secret-secret-secret-123", 60);
        let tok = t.issue("u1", "ann", Role::Admin).unwrap();
        let c = t.verify(&tok).unwrap();
        assert_eq!((c.sub.as_str(), c.role), ("u1", Role::Admin));
        // Tampered payload: flip the role in the middle segment.
        let parts: Vec<&str> = tok.split('.').collect();
        let tampered = format!("{}.{}x.{}", parts[0], parts[1], parts[2]);
        assert_eq!(t.verify(&tampered), Err(TokenError::Invalid));
        // Another key.
        let other = Tokens::new(b"another-secret-another-secret-12", 60);
        assert_eq!(other.verify(&tok), Err(TokenError::Invalid));
        // Expired.
        let old = t.issue_at("u1", "ann", Role::Admin, 1000, 2000).unwrap();
        assert_eq!(t.verify(&old), Err(TokenError::Expired));
        // alg=none is refused.
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert_eq!(t.verify(&none), Err(TokenError::Invalid));
    }
}
