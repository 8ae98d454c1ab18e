//! The client's address for a request: the TCP peer, or what a trusted proxy says in
//! `X-Forwarded-For` (see [`super::throttle::client_address`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::app::App;

/// The client's address (an extractor; never fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address from a request's parts: the peer when served with connect info (always, by
    /// `ppi serve`), else the unspecified address (in-process calls).
    pub fn of(parts: &Parts, proxies: &[IpAddr]) -> ClientAddr {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        ClientAddr(super::throttle::client_address(peer, forwarded, proxies))
    }
}

impl FromRequestParts<Arc<App>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(
            parts,
            &app.settings.security.trusted_proxies,
        ))
    }
}
