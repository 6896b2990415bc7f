//! Remembering peer fingerprints (RFC 6714 §7.7, R6714-028).
//!
//! Fingerprint-based authentication trusts whatever fingerprint the signalling carried. To
//! notice a changed certificate (a new device, or an inserted TLS-terminating middlebox),
//! the endpoint remembers the fingerprint it saw per peer identity and raises
//! [`TlsEvent::FingerprintChanged`](super::TlsEvent::FingerprintChanged) when a different
//! one shows up. Policy is first-seen: the first fingerprint is remembered silently, a
//! change is remembered *and* reported, so the warning is raised once per change.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use super::Fingerprint;

/// What a store knew about a peer identity before this observation.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// Nothing was remembered for this identity; the fingerprint now is.
    FirstSeen,
    /// The same fingerprint was remembered.
    Unchanged,
    /// A different fingerprint was remembered; the new one replaces it.
    Changed {
        /// The fingerprint remembered before.
        previous: Fingerprint,
    },
}

/// A store that failed to read or persist a pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinStoreError {
    message: String,
}

impl PinStoreError {
    /// An error with a human-readable reason.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The reason.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PinStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fingerprint store: {}", self.message)
    }
}

impl std::error::Error for PinStoreError {}

/// Remembers one fingerprint per peer identity (first-seen semantics, R6714-028).
///
/// The identity is the caller's choice: the SIP AOR of the peer, or the authority of its
/// MSRP URI. Implementations are shared between connections, hence `&self` and
/// `Send + Sync`.
pub trait FingerprintStore: Send + Sync + fmt::Debug {
    /// Records `seen` for `identity` and says how it compares with what was remembered.
    ///
    /// # Errors
    /// The store could not read or persist the pin. The TLS connection surfaces this as an
    /// event and goes on: pinning is a warning mechanism, not authentication.
    fn observe(&self, identity: &str, seen: &Fingerprint) -> Result<PinStatus, PinStoreError>;

    /// The fingerprint remembered for `identity`, if any.
    fn get(&self, identity: &str) -> Option<Fingerprint>;
}

/// Applies first-seen semantics to one map entry; shared by every store implementation.
pub(crate) fn observe_in(
    map: &mut HashMap<String, Fingerprint>,
    identity: &str,
    seen: &Fingerprint,
) -> PinStatus {
    match map.get_mut(identity) {
        None => {
            map.insert(identity.to_owned(), *seen);
            PinStatus::FirstSeen
        }
        Some(known) if known == seen => PinStatus::Unchanged,
        Some(known) => {
            let previous = *known;
            *known = *seen;
            PinStatus::Changed { previous }
        }
    }
}

/// An in-memory [`FingerprintStore`]: pins live as long as the process.
#[derive(Debug, Default)]
pub struct MemoryFingerprintStore {
    pins: Mutex<HashMap<String, Fingerprint>>,
}

impl MemoryFingerprintStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl FingerprintStore for MemoryFingerprintStore {
    fn observe(&self, identity: &str, seen: &Fingerprint) -> Result<PinStatus, PinStoreError> {
        let mut pins = self
            .pins
            .lock()
            .map_err(|_| PinStoreError::new("poisoned lock"))?;
        Ok(observe_in(&mut pins, identity, seen))
    }

    fn get(&self, identity: &str) -> Option<Fingerprint> {
        self.pins.lock().ok()?.get(identity).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::HashAlgorithm;

    #[test]
    fn r6714_028_first_seen_then_changed_once() {
        let store = MemoryFingerprintStore::new();
        let a = Fingerprint::of_der(HashAlgorithm::Sha256, b"a");
        let b = Fingerprint::of_der(HashAlgorithm::Sha256, b"b");
        assert_eq!(store.observe("bob", &a), Ok(PinStatus::FirstSeen));
        assert_eq!(store.observe("bob", &a), Ok(PinStatus::Unchanged));
        assert_eq!(
            store.observe("bob", &b),
            Ok(PinStatus::Changed { previous: a })
        );
        assert_eq!(store.observe("bob", &b), Ok(PinStatus::Unchanged));
        assert_eq!(store.observe("alice", &b), Ok(PinStatus::FirstSeen));
        assert_eq!(store.get("bob"), Some(b));
    }
}
