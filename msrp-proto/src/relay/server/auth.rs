//! The relay's side of HTTP Digest (RFC 4976 §9.1): credentials, nonces, verification.
//!
//! Secrets never leave this module in printable form: [`Ha1`] has a redacting `Debug`,
//! and no error or event carries a password, an HA1 or a response digest.

use core::fmt;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::digest::{DigestInput, HexDigest, digest_eq, response};
use crate::rand::{RandomSource, fill_alphanumeric};
use crate::wire::headers::DigestCredentials;

/// H(A1) = MD5(username ":" realm ":" password) as 32 lower-case hex digits: what a
/// relay stores instead of the password. It is password-equivalent for this realm, so
/// `Debug` prints `Ha1(<redacted>)` and there is no `Display`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ha1(pub(crate) HexDigest);

impl Ha1 {
    /// Computes H(A1) from a password (for tests and for tools that write credential
    /// files; a relay should load precomputed values).
    #[must_use]
    pub fn from_password(username: &str, realm: &str, password: &str) -> Self {
        Self(crate::digest::ha1(username, realm, password))
    }

    /// Parses 32 hex digits (either case; stored lower-case).
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<Self> {
        let b = hex.as_bytes();
        if b.len() != 32 || !b.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, c) in out.iter_mut().zip(b) {
            *o = c.to_ascii_lowercase();
        }
        Some(Self(out))
    }
}

impl fmt::Debug for Ha1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ha1(<redacted>)")
    }
}

/// Where the relay looks up Digest credentials: (realm, username) → H(A1).
///
/// Implementations must not log what they return. Lookups happen once per AUTH that
/// carries an `Authorization`.
pub trait CredentialStore: Send {
    /// The H(A1) of `username` in `realm`, if the user exists.
    fn lookup(&self, realm: &str, username: &str) -> Option<Ha1>;
}

/// An in-memory [`CredentialStore`].
#[derive(Clone, Default)]
pub struct MemoryCredentials {
    users: HashMap<(String, String), Ha1>,
}

impl fmt::Debug for MemoryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCredentials")
            .field("users", &self.users.len())
            .finish()
    }
}

/// Why a credentials file line was rejected (1-based line number; the line itself is
/// never echoed, it holds a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The line is not `user:realm:HA1` with 32 hex digits and non-empty, colon-free
    /// user and realm.
    BadLine(usize),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadLine(n) => write!(f, "credentials line {n} is not user:realm:HA1"),
        }
    }
}

impl std::error::Error for CredentialsError {}

impl MemoryCredentials {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a user by H(A1).
    pub fn insert(&mut self, realm: &str, username: &str, ha1: Ha1) {
        self.users
            .insert((realm.to_owned(), username.to_owned()), ha1);
    }

    /// Adds (or replaces) a user by password (H(A1) is computed; the password is not
    /// kept).
    pub fn insert_password(&mut self, realm: &str, username: &str, password: &str) {
        self.insert(
            realm,
            username,
            Ha1::from_password(username, realm, password),
        );
    }

    /// Number of users.
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the store is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Parses the Apache `htdigest` format: one `user:realm:HA1hex` per line. Blank
    /// lines and lines starting with `#` are skipped; surrounding white space and CR are
    /// trimmed. msrp-proto does no file I/O: the caller reads the file.
    pub fn from_htdigest(text: &str) -> Result<Self, CredentialsError> {
        let mut store = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ':');
            let (Some(user), Some(realm), Some(hex)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(CredentialsError::BadLine(i + 1));
            };
            let ha1 = Ha1::from_hex(hex).ok_or(CredentialsError::BadLine(i + 1))?;
            if user.is_empty() || realm.is_empty() {
                return Err(CredentialsError::BadLine(i + 1));
            }
            store.insert(realm, user, ha1);
        }
        Ok(store)
    }
}

impl CredentialStore for MemoryCredentials {
    fn lookup(&self, realm: &str, username: &str) -> Option<Ha1> {
        self.users
            .get(&(realm.to_owned(), username.to_owned()))
            .copied()
    }
}

/// Length of generated nonces: 22 base62 characters ≈ 131 bits.
pub(crate) const NONCE_LEN: usize = 22;

/// A nonce the relay handed out.
#[derive(Debug, Clone, Copy)]
struct NonceState {
    issued: Instant,
    /// Highest `nc` accepted so far (0 = none); a request must use a higher one.
    last_nc: u32,
}

/// The outstanding nonces: bounded (oldest evicted first), each valid for a lifetime,
/// each `nc` usable once, the nonce consumed by a successful AUTH.
pub(crate) struct NonceTable {
    map: HashMap<[u8; NONCE_LEN], NonceState>,
    order: VecDeque<[u8; NONCE_LEN]>,
    max: usize,
    lifetime: Duration,
}

/// What checking credentials found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Credentials are right and the nonce fresh (nc recorded).
    Ok(Ha1),
    /// Wrong user, wrong password, wrong realm, bad parameters or a replayed nc.
    Bad,
    /// The digest is right but the nonce expired, was consumed or is unknown: retry
    /// with a fresh nonce (`stale=TRUE`).
    Stale,
}

impl NonceTable {
    pub(crate) fn new(max: usize, lifetime: Duration) -> Self {
        Self {
            map: HashMap::with_capacity(max.min(4096)),
            order: VecDeque::with_capacity(max.min(4096)),
            max: max.max(1),
            lifetime,
        }
    }

    /// A fresh nonce, remembered with its issue time.
    pub(crate) fn issue(&mut self, now: Instant, rng: &mut dyn RandomSource) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        loop {
            fill_alphanumeric(rng, &mut n);
            if !self.map.contains_key(&n) {
                break;
            }
        }
        while self.map.len() >= self.max {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        // Drop expired nonces from the front while we are here.
        while let Some(front) = self.order.front() {
            match self.map.get(front) {
                Some(s) if s.issued + self.lifetime > now => break,
                _ => {
                    let f = *front;
                    self.order.pop_front();
                    self.map.remove(&f);
                }
            }
        }
        self.map.insert(
            n,
            NonceState {
                issued: now,
                last_nc: 0,
            },
        );
        self.order.push_back(n);
        n
    }

    /// Number of nonces remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Checks `c` (already known to be for our realm with qop=auth) against `ha1`;
    /// `digest_uri` is the rightmost To-Path URI (R4976-060).
    pub(crate) fn verify(
        &mut self,
        now: Instant,
        c: &DigestCredentials<'_>,
        ha1: Option<Ha1>,
        digest_uri: &str,
    ) -> Verdict {
        let nc_text = nc_hex(c.nc);
        let Some(ha1) = ha1 else {
            return Verdict::Bad;
        };
        let expected = response(
            &ha1.0,
            &DigestInput {
                nonce: c.nonce,
                nc: core::str::from_utf8(&nc_text).unwrap_or_default(),
                cnonce: c.cnonce,
                method: "AUTH",
                uri: digest_uri,
            },
        );
        let digest_ok = digest_eq(c.response.as_bytes(), &expected);
        let key: Option<[u8; NONCE_LEN]> = c.nonce.as_bytes().try_into().ok();
        let Some(state) = key.and_then(|k| self.map.get_mut(&k)) else {
            // Unknown, evicted or consumed: RFC 2617 `stale` means "nonce invalid,
            // digest valid". A replayer learns nothing from it.
            return if digest_ok {
                Verdict::Stale
            } else {
                Verdict::Bad
            };
        };
        if c.nc <= state.last_nc {
            // A replayed (or reordered) nonce count: never accepted twice.
            return Verdict::Bad;
        }
        state.last_nc = c.nc;
        if !digest_ok {
            return Verdict::Bad;
        }
        if state.issued + self.lifetime <= now {
            return Verdict::Stale;
        }
        Verdict::Ok(ha1)
    }

    /// Forgets `nonce` (a successful AUTH consumed it).
    pub(crate) fn consume(&mut self, nonce: &str) {
        if let Ok(k) = <[u8; NONCE_LEN]>::try_from(nonce.as_bytes()) {
            self.map.remove(&k);
            self.order.retain(|o| *o != k);
        }
    }
}

/// `nc` as the 8 lower-case hex digits Digest hashes.
pub(crate) fn nc_hex(nc: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, d) in out.iter_mut().enumerate() {
        *d = b"0123456789abcdef"[((nc >> (28 - 4 * i)) & 15) as usize];
    }
    out
}

/// `rspauth` (RFC 2617 §3.2.3): the response digest with an empty method.
pub(crate) fn rspauth(ha1: &Ha1, c: &DigestCredentials<'_>, digest_uri: &str) -> HexDigest {
    let nc_text = nc_hex(c.nc);
    response(
        &ha1.0,
        &DigestInput {
            nonce: c.nonce,
            nc: core::str::from_utf8(&nc_text).unwrap_or_default(),
            cnonce: c.cnonce,
            method: "",
            uri: digest_uri,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htdigest_parses_and_rejects_without_echoing() {
        let text = "# users\n\nalice:intra.example.com:0123456789abcdef0123456789ABCDEF\r\n";
        let s = MemoryCredentials::from_htdigest(text).unwrap();
        assert_eq!(s.len(), 1);
        assert!(s.lookup("intra.example.com", "alice").is_some());
        assert!(s.lookup("other", "alice").is_none());
        let e =
            MemoryCredentials::from_htdigest("ok:r:0123456789abcdef0123456789abcdef\nbob:secret")
                .unwrap_err();
        assert_eq!(e, CredentialsError::BadLine(2));
        assert!(!e.to_string().contains("secret"));
        assert!(MemoryCredentials::from_htdigest("a:r:zz").is_err());
        assert!(MemoryCredentials::from_htdigest(":r:0123456789abcdef0123456789abcdef").is_err());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let h = Ha1::from_password("alice", "r", "hunter2");
        let shown = format!("{h:?}");
        assert_eq!(shown, "Ha1(<redacted>)");
        let mut s = MemoryCredentials::new();
        s.insert_password("r", "alice", "hunter2");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains(core::str::from_utf8(&h.0).unwrap()));
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // a starting instant for the virtual clock
    fn nonce_table_is_bounded() {
        let mut rng = crate::rand::SeededRandom::new(3);
        let now = Instant::now();
        let mut t = NonceTable::new(8, Duration::from_secs(60));
        for _ in 0..100 {
            t.issue(now, &mut rng);
        }
        assert!(t.len() <= 8);
    }
}
