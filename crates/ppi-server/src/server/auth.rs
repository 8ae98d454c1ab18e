//! The authenticated caller, from `Authorization: Bearer <access token>`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::app::App;
use ppi_core::domain::Role;
use ppi_store::auth::TokenError;

/// A caller with a valid access token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Refuses callers that are not admins (403).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("this needs the admin role"))
        }
    }

    /// Whether the caller may see and change something owned by `owner_id`.
    pub fn may_access(&self, owner_id: &str) -> bool {
        self.is_admin() || self.id == owner_id
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "auth-missing",
                    "log in first: send Authorization: Bearer <access token>",
                )
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthorized(
                "auth-invalid",
                "the Authorization header must be `Bearer <access token>`",
            )
        })?;
        let addr =
            crate::security::client::ClientAddr::of(parts, &app.settings.security.trusted_proxies);
        Caller::from_token_at(app, token, addr).await
    }
}

impl Caller {
    /// The caller an access token (JWT) or an API token (`ppi_…`, a service account) names,
    /// for a caller on this machine (`ppi mcp` over stdio).
    pub async fn from_token(app: &App, token: &str) -> Result<Caller, ApiError> {
        let local = crate::security::client::ClientAddr(std::net::Ipv4Addr::LOCALHOST.into());
        Self::from_token_at(app, token, local).await
    }

    /// [`Self::from_token`] for a client at `addr`: wrong API tokens count against the address
    /// like wrong passwords ([`crate::security::throttle`]).
    pub async fn from_token_at(
        app: &App,
        token: &str,
        addr: crate::security::client::ClientAddr,
    ) -> Result<Caller, ApiError> {
        use crate::security::throttle::Verdict;
        let token = token.trim();
        if token.starts_with(ppi_store::auth::tokens::API_TOKEN_PREFIX) {
            if let Verdict::Wait(w) = app.throttle.check(None, addr.0) {
                app.metrics.credential("api_token", "throttled");
                return Err(ApiError::throttled(w));
            }
            // Looked up by its hash: the secret is never compared byte by byte.
            let hash = ppi_store::auth::tokens::hash_refresh_token(token);
            let Some(user) = app.db.api_token_user(&hash).await? else {
                app.throttle.failed(None, addr.0);
                app.metrics.credential("api_token", "failure");
                crate::security::audit::record(
                    &app.db,
                    "unknown",
                    ppi_store::db::audit::action::TOKEN_REJECTED,
                    None,
                    addr,
                    Some("unknown, revoked or expired API token"),
                )
                .await;
                return Err(ApiError::unauthorized(
                    "auth-invalid",
                    "unknown, revoked or expired API token",
                ));
            };
            return Ok(Caller {
                id: user.id,
                name: user.username,
                role: user.role,
            });
        }
        let claims = app.tokens.verify(token.trim()).map_err(|e| match e {
            TokenError::Expired => ApiError::unauthorized("auth-expired", e.to_string()),
            TokenError::Invalid => ApiError::unauthorized("auth-invalid", e.to_string()),
        })?;
        Ok(Caller {
            id: claims.sub,
            name: claims.name,
            role: claims.role,
        })
    }
}
