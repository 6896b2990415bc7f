//! Relays (RFC 4976): the client side ([`AuthClient`]: AUTH with HTTP Digest, Use-Path,
//! re-AUTH before expiry) and the relay server ([`Relay`]: AUTH, forwarding,
//! re-chunking, REPORTs, back-pressure; see [`server`]).

mod client;
pub mod server;

pub use client::{AuthClient, AuthConfig, AuthError, AuthEvent, DigestUriParam};
pub use server::{
    CloseReason, ConfigError, CredentialStore, CredentialsError, Event, Ha1, MemoryCredentials,
    Relay, RelayConfig,
};
