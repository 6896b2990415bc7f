//! The relay client's AUTH state machine (RFC 4976 §5, §9.1), sans-IO.

use core::fmt;
use core::time::Duration;
use std::time::Instant;

use bytes::BufMut;

use crate::digest::{DigestInput, HexDigest, digest_eq, ha1, response};
use crate::rand::{RandomSource, fill_alphanumeric};
use crate::uri::{Scheme, Uri};
use crate::wire::encode::HeadWriter;
use crate::wire::headers::{
    AuthenticationInfo, DigestChallenge, DigestCredentials, HeaderError, StatusCode,
    parse_delta_seconds,
};
use crate::wire::{Flag, Head, KnownHeader, Method, TransactionId};

/// Whether the Authorization carries the `uri=` parameter (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DigestUriParam {
    /// Send `uri="<rightmost To-Path URI>"` (default; required by Kamailio).
    #[default]
    Send,
    /// Leave it out (RFC 4976's grammar; some relays reject it when present).
    Omit,
}

/// What an [`AuthClient`] needs to know.
#[derive(Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// The Digest username.
    pub username: String,
    /// The Digest password (never printed by `Debug`).
    pub password: String,
    /// The relays in order: the first is the one the client connects to.
    pub relays: Vec<Uri>,
    /// The client's own URI (From-Path of the AUTH requests).
    pub own_uri: Uri,
    /// The lifetime to ask for (`Expires`), if any (R4976-019).
    pub expires: Option<u32>,
    /// `uri=` in the Authorization, per relay position (missing entries: the default).
    pub uri_param: Vec<DigestUriParam>,
    /// Allow AUTH to an `msrp:` (plain TCP) relay. RFC 4976 §9.2 says AUTH only ever runs
    /// over TLS (R4976-051); this exists for loopback interop tests only.
    pub allow_plain_tcp: bool,
    /// How long to wait for a response before giving up (RFC 4975's 30 s by default).
    pub transaction_timeout: Duration,
}

impl AuthConfig {
    /// A configuration for `username`/`password` through `relays`, with defaults for the
    /// rest.
    #[must_use]
    pub fn new(username: &str, password: &str, relays: Vec<Uri>, own_uri: Uri) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
            relays,
            own_uri,
            expires: None,
            uri_param: Vec::new(),
            allow_plain_tcp: false,
            transaction_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("relays", &self.relays.len())
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Why authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No relay configured.
    NoRelays,
    /// An `msrp:` relay without [`AuthConfig::allow_plain_tcp`] (R4976-051).
    InsecureTransport,
    /// The relay rejected our credentials (a 401 after we sent credentials for a
    /// non-stale nonce).
    WrongCredentials,
    /// 401 without a usable Digest challenge (none, malformed, or no `qop=auth`).
    BadChallenge(Option<HeaderError>),
    /// 423 bounds we cannot satisfy, or 423 again after adjusting.
    ExpiresOutOfBounds,
    /// The 200 lacks a Use-Path, or a Use-Path URI has no port.
    BadUsePath,
    /// The relay's `rspauth` does not prove it knows our password.
    RspauthMismatch,
    /// Any other final status (403, 481, ...).
    Rejected(StatusCode),
    /// No response within the transaction timeout.
    Timeout,
    /// Too many challenges in a row (stale nonces forever).
    TooManyAttempts,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRelays => f.write_str("no relay configured"),
            Self::InsecureTransport => {
                f.write_str("AUTH over plain TCP refused (RFC 4976 requires TLS)")
            }
            Self::WrongCredentials => f.write_str("the relay rejected the credentials"),
            Self::BadChallenge(e) => write!(f, "unusable Digest challenge ({e:?})"),
            Self::ExpiresOutOfBounds => f.write_str("cannot satisfy the relay's Expires bounds"),
            Self::BadUsePath => f.write_str("missing or unusable Use-Path in the 200"),
            Self::RspauthMismatch => f.write_str("the relay's rspauth does not match"),
            Self::Rejected(s) => write!(f, "AUTH rejected with {}", s.0),
            Self::Timeout => f.write_str("no response to AUTH in time"),
            Self::TooManyAttempts => f.write_str("too many AUTH attempts"),
        }
    }
}

impl std::error::Error for AuthError {}

/// What a response did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// Every relay accepted us. `use_path` is the route to put in front of the peer's
    /// path (R4976-014); `expires` how long it is valid.
    Authenticated {
        /// The Use-Path of the outermost relay.
        use_path: Vec<Uri>,
        /// The lifetime the last relay granted.
        expires: Duration,
    },
    /// Authentication failed for good.
    Failed(AuthError),
}

#[derive(Debug, Clone)]
struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    nc: u32,
}

/// `nc` as the 8 lower-case hex digits Digest uses.
fn nc_hex(nc: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, d) in out.iter_mut().enumerate() {
        *d = b"0123456789abcdef"[((nc >> (28 - 4 * i)) & 15) as usize];
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// An AUTH is due.
    Due,
    /// Waiting for the response to `tid`, sent at `sent`.
    Waiting {
        tid: TransactionId,
        deadline: Instant,
    },
    /// Done until `reauth_at`.
    Authenticated { reauth_at: Instant },
    /// Given up.
    Failed(AuthError),
}

/// The relay client's AUTH state machine (RFC 4976 §5, §9.1), sans-IO.
///
/// ```text
/// AUTH (no credentials) ──► 401 + WWW-Authenticate ──► AUTH + Authorization ──► 200 + Use-Path, Expires
///                            423 + Min-/Max-Expires ──► AUTH with an Expires inside the bounds
/// ```
///
/// With several relays the client AUTHs to each in turn, the AUTH to relay *n* travelling
/// through relays 1..n−1 (To-Path = the Use-Path obtained so far + relay *n*, R4976-018);
/// the last 200's Use-Path is the session's route. It re-AUTHs before `Expires` runs out.
///
/// The state machine writes requests into a caller buffer ([`AuthClient::poll_transmit`])
/// and is told about responses ([`AuthClient::handle_response`]); it never touches a
/// socket or a clock.
///
/// **Digest `uri=`**: RFC 2617 puts `uri=` in every Authorization, RFC 4976's grammar
/// leaves it out, and relays disagree (Kamailio rejects an Authorization without it; other
/// relays are reported to reject one with it). It is a per-relay option,
/// [`DigestUriParam`], sent by default: that is what RFC 2617 and RFC 7977's example do.
///
/// The relay client's AUTH state machine.
#[derive(Debug)]
pub struct AuthClient {
    cfg: AuthConfig,
    ha1: HexDigest,
    state: State,
    /// Which relay is being authenticated (index into `cfg.relays`).
    stage: usize,
    /// The Use-Path obtained so far (from the previous stage's 200).
    use_path: Vec<Uri>,
    challenge: Option<Challenge>,
    /// cnonce of the last Authorization sent (to check `rspauth`).
    cnonce: [u8; 16],
    sent_credentials: bool,
    expires: Option<u32>,
    adjusted_expires: bool,
    attempts: u8,
    granted: Duration,
}

const MAX_ATTEMPTS: u8 = 4;

impl AuthClient {
    /// A client for `cfg`; the first AUTH is due at once.
    pub fn new(cfg: AuthConfig) -> Result<Self, AuthError> {
        if cfg.relays.is_empty() {
            return Err(AuthError::NoRelays);
        }
        if !cfg.allow_plain_tcp
            && cfg
                .relays
                .iter()
                .any(|r| r.as_ref().scheme() != Scheme::Msrps)
        {
            return Err(AuthError::InsecureTransport);
        }
        Ok(Self {
            ha1: [0; 32],
            state: State::Due,
            stage: 0,
            use_path: Vec::new(),
            challenge: None,
            cnonce: [0; 16],
            sent_credentials: false,
            expires: cfg.expires,
            adjusted_expires: false,
            attempts: 0,
            granted: Duration::ZERO,
            cfg,
        })
    }

    /// The route obtained by the last successful authentication (R4976-014).
    #[must_use]
    pub fn use_path(&self) -> Option<&[Uri]> {
        matches!(self.state, State::Authenticated { .. }).then_some(&self.use_path[..])
    }

    /// The client's own SDP `a=path`: the Use-Path reversed, then its own URI (R4976-015).
    #[must_use]
    pub fn sdp_path(&self) -> Option<Vec<Uri>> {
        let up = self.use_path()?;
        Some(
            up.iter()
                .rev()
                .cloned()
                .chain(core::iter::once(self.cfg.own_uri.clone()))
                .collect(),
        )
    }

    /// The failure, once authentication has failed for good.
    #[must_use]
    pub fn error(&self) -> Option<AuthError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The next deadline: the response timeout or the re-AUTH time.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting { deadline, .. } => Some(deadline),
            State::Authenticated { reauth_at } => Some(reauth_at),
            _ => None,
        }
    }

    /// Runs expired timers: a response timeout fails the client; the re-AUTH time starts
    /// a new authentication. Extra calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<AuthEvent> {
        match self.state {
            State::Waiting { deadline, .. } if now >= deadline => {
                self.state = State::Failed(AuthError::Timeout);
                Some(AuthEvent::Failed(AuthError::Timeout))
            }
            State::Authenticated { reauth_at } if now >= reauth_at => {
                self.restart();
                None
            }
            _ => None,
        }
    }

    fn restart(&mut self) {
        self.state = State::Due;
        self.stage = 0;
        self.use_path.clear();
        self.challenge = None;
        self.sent_credentials = false;
        self.adjusted_expires = false;
        self.attempts = 0;
    }

    /// Writes the next AUTH request into `buf` if one is due; returns its transaction id.
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        rng: &mut dyn RandomSource,
        buf: &mut impl BufMut,
    ) -> Option<TransactionId> {
        if self.state != State::Due {
            return None;
        }
        let tid = TransactionId::generate(rng);
        let relay = &self.cfg.relays[self.stage];
        let to_path = self
            .use_path
            .iter()
            .chain(core::iter::once(relay))
            .map(Uri::as_ref);
        let mut w = HeadWriter::request(
            buf,
            tid.as_str(),
            Method::Auth,
            to_path,
            [self.cfg.own_uri.as_ref()],
        );
        if let Some(ch) = &mut self.challenge {
            ch.nc += 1;
            fill_alphanumeric(rng, &mut self.cnonce);
            let cnonce = core::str::from_utf8(&self.cnonce).unwrap_or_default();
            let nc_text = nc_hex(ch.nc);
            let nc = core::str::from_utf8(&nc_text).unwrap_or_default();
            // R4976-060: the digest-uri is the rightmost To-Path URI.
            let uri = relay.as_str();
            let resp = response(
                &self.ha1,
                &DigestInput {
                    nonce: &ch.nonce,
                    nc,
                    cnonce,
                    method: "AUTH",
                    uri,
                },
            );
            let send_uri = self
                .cfg
                .uri_param
                .get(self.stage)
                .copied()
                .unwrap_or_default()
                == DigestUriParam::Send;
            let creds = DigestCredentials {
                username: &self.cfg.username,
                realm: &ch.realm,
                nonce: &ch.nonce,
                uri: send_uri.then_some(uri),
                response: core::str::from_utf8(&resp).unwrap_or_default(),
                algorithm: None,
                cnonce,
                opaque: ch.opaque.as_deref(),
                qop: "auth",
                nc: ch.nc,
            };
            w.typed(KnownHeader::Authorization, |b| creds.write(b));
            self.sent_credentials = true;
        }
        if let Some(e) = self.expires {
            w.number(KnownHeader::Expires, u64::from(e));
        }
        w.finish_bodiless(Flag::End);
        self.state = State::Waiting {
            tid,
            deadline: now + self.cfg.transaction_timeout,
        };
        Some(tid)
    }

    /// Whether a response with transaction id `tid` answers the AUTH in flight.
    #[must_use]
    pub fn awaits(&self, tid: &str) -> bool {
        matches!(self.state, State::Waiting { tid: t, .. } if t.as_str() == tid)
    }

    /// Handles a response. Responses to other transactions are ignored (`None`).
    pub fn handle_response(&mut self, now: Instant, head: &Head<'_>) -> Option<AuthEvent> {
        let State::Waiting { tid, .. } = self.state else {
            return None;
        };
        if head.transaction_id() != tid.as_str() {
            return None;
        }
        let status = head.status()?;
        let result = match status.0 {
            200..=299 => self.on_success(now, head),
            401 => self.on_challenge(head),
            423 => self.on_interval(head),
            _ => Err(AuthError::Rejected(status)),
        };
        match result {
            Ok(event) => event,
            Err(e) => {
                self.state = State::Failed(e);
                Some(AuthEvent::Failed(e))
            }
        }
    }

    fn on_challenge(&mut self, head: &Head<'_>) -> Result<Option<AuthEvent>, AuthError> {
        let raw = head
            .raw(KnownHeader::WwwAuthenticate)
            .ok_or(AuthError::BadChallenge(None))?;
        let ch = DigestChallenge::parse(raw).map_err(|e| AuthError::BadChallenge(Some(e)))?;
        if !ch.offers_auth() {
            return Err(AuthError::BadChallenge(None));
        }
        if self.sent_credentials && !ch.stale {
            return Err(AuthError::WrongCredentials);
        }
        self.bump_attempts()?;
        self.challenge = Some(Challenge {
            realm: ch.realm.to_owned(),
            nonce: ch.nonce.to_owned(),
            opaque: ch.opaque.map(str::to_owned),
            nc: 0,
        });
        self.ha1 = ha1(&self.cfg.username, ch.realm, &self.cfg.password);
        self.sent_credentials = false;
        self.state = State::Due;
        Ok(None)
    }

    fn on_interval(&mut self, head: &Head<'_>) -> Result<Option<AuthEvent>, AuthError> {
        if self.adjusted_expires {
            return Err(AuthError::ExpiresOutOfBounds);
        }
        let bound = |h| head.raw(h).and_then(|v| parse_delta_seconds(v).ok());
        let adjusted = match (
            bound(KnownHeader::MinExpires),
            bound(KnownHeader::MaxExpires),
        ) {
            (Some(min), _) if self.expires.is_none_or(|e| e < min) => min,
            (_, Some(max)) if self.expires.is_none_or(|e| e > max) => max,
            _ => return Err(AuthError::ExpiresOutOfBounds),
        };
        self.bump_attempts()?;
        self.expires = Some(adjusted);
        self.adjusted_expires = true;
        // The nonce stays valid: resend with fresh credentials for it.
        self.sent_credentials = false;
        self.state = State::Due;
        Ok(None)
    }

    fn on_success(
        &mut self,
        now: Instant,
        head: &Head<'_>,
    ) -> Result<Option<AuthEvent>, AuthError> {
        // Mutual authentication: when the relay proves knowledge of the password, check it.
        if let (Some(raw), Some(ch)) = (head.raw(KnownHeader::AuthenticationInfo), &self.challenge)
            && let Ok(info) = AuthenticationInfo::parse(raw)
            && let Some(rspauth) = info.rspauth
        {
            let nc_text = nc_hex(ch.nc);
            let expected = response(
                &self.ha1,
                &DigestInput {
                    nonce: &ch.nonce,
                    nc: core::str::from_utf8(&nc_text).unwrap_or_default(),
                    cnonce: core::str::from_utf8(&self.cnonce).unwrap_or_default(),
                    method: "",
                    uri: self.cfg.relays[self.stage].as_str(),
                },
            );
            if !digest_eq(rspauth.as_bytes(), &expected) {
                return Err(AuthError::RspauthMismatch);
            }
        }
        let mut use_path = Vec::new();
        for uri in head.use_path().ok_or(AuthError::BadUsePath)? {
            let uri = uri.map_err(|_| AuthError::BadUsePath)?;
            // A Use-Path URI must be dialable: explicit port (R4976-008). Numeric hosts are
            // tolerated (Kamailio returns them) although R4976-008 asks for an FQDN.
            if uri.port().is_none() {
                return Err(AuthError::BadUsePath);
            }
            use_path.push(uri.to_owned());
        }
        if use_path.is_empty() {
            return Err(AuthError::BadUsePath);
        }
        let granted = head
            .raw(KnownHeader::Expires)
            .and_then(|v| parse_delta_seconds(v).ok())
            .or(self.expires)
            .unwrap_or(3600);
        let granted = Duration::from_secs(u64::from(granted));
        self.granted = if self.stage == 0 {
            granted
        } else {
            self.granted.min(granted)
        };
        self.use_path = use_path;
        self.stage += 1;
        self.challenge = None;
        self.sent_credentials = false;
        self.adjusted_expires = false;
        self.attempts = 0;
        self.expires = self.cfg.expires;
        if self.stage < self.cfg.relays.len() {
            self.state = State::Due;
            return Ok(None);
        }
        // Re-AUTH when four fifths of the shortest lifetime have passed.
        let reauth_at = now + self.granted * 4 / 5;
        self.state = State::Authenticated { reauth_at };
        Ok(Some(AuthEvent::Authenticated {
            use_path: self.use_path.clone(),
            expires: self.granted,
        }))
    }

    fn bump_attempts(&mut self) -> Result<(), AuthError> {
        self.attempts += 1;
        if self.attempts > MAX_ATTEMPTS {
            Err(AuthError::TooManyAttempts)
        } else {
            Ok(())
        }
    }
}
