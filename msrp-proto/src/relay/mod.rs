//! Relays (RFC 4976): the client side ([`AuthClient`]: AUTH with HTTP Digest, Use-Path,
//! re-AUTH before expiry). The relay server's forwarding logic will live here too.

mod client;

pub use client::{AuthClient, AuthConfig, AuthError, AuthEvent, DigestUriParam};
