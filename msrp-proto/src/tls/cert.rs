//! Our own certificate: generated self-signed for fingerprint mode, or loaded.

use core::fmt;

use super::{ConfigError, Fingerprint, HashAlgorithm};

/// A certificate chain and its private key, presented to the peer.
///
/// For peer-to-peer MSRP (RFC 4975 §14.4, RFC 8122) this is a self-signed certificate
/// whose [`fingerprint`](Self::fingerprint) goes into our SDP as `a=fingerprint`; for a
/// relay it is a CA-issued certificate naming the relay (R4976-065).
#[derive(Clone)]
pub struct LocalCertificate {
    chain: Vec<Vec<u8>>,
    key_pkcs8: Vec<u8>,
}

impl LocalCertificate {
    /// Generates a fresh self-signed certificate (ECDSA P-256, SHA-256) for `names`
    /// (DNS names or IP addresses; may be empty — fingerprint mode does not use names).
    ///
    /// Validity runs from 1975 to 4096: no clock is read, and fingerprint authentication
    /// does not depend on dates. Randomness comes from the crypto provider's OS generator.
    ///
    /// # Errors
    /// [`ConfigError::Generation`] if key generation or encoding fails.
    pub fn generate_self_signed(names: &[&str]) -> Result<Self, ConfigError> {
        let names: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| ConfigError::Generation(e.to_string()))?;
        Ok(Self {
            chain: vec![certified.cert.der().to_vec()],
            key_pkcs8: certified.signing_key.serialize_der(),
        })
    }

    /// Loads a DER certificate chain (end-entity first) and its PKCS#8 DER private key.
    ///
    /// The key is checked against the crypto provider when a connection is configured.
    ///
    /// # Errors
    /// [`ConfigError::BadCertificate`] if the chain is empty.
    pub fn from_der(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>) -> Result<Self, ConfigError> {
        if chain.is_empty() {
            return Err(ConfigError::BadCertificate("empty chain".into()));
        }
        Ok(Self { chain, key_pkcs8 })
    }

    /// The end-entity certificate, DER.
    #[must_use]
    pub fn certificate_der(&self) -> &[u8] {
        &self.chain[0]
    }

    /// The whole chain, end-entity first.
    #[must_use]
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    pub(crate) fn key_pkcs8(&self) -> &[u8] {
        &self.key_pkcs8
    }

    /// The fingerprint to advertise in SDP (`a=fingerprint:` + `to_string()`).
    ///
    /// Use [`HashAlgorithm::Sha256`] unless the peer is known to prefer another (R8122-004).
    #[must_use]
    pub fn fingerprint(&self, algorithm: HashAlgorithm) -> Fingerprint {
        Fingerprint::of_der(algorithm, self.certificate_der())
    }
}

impl fmt::Debug for LocalCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("LocalCertificate")
            .field("fingerprint", &self.fingerprint(HashAlgorithm::Sha256))
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}
