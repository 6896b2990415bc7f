//! Offer/answer for one MSRP media section: building offers and answers from a
//! [`LocalConfig`], and turning an exchange into a plain [`Session`] value that tells the
//! caller what to do — including every RFC 6714 (CEMA) branch. See [`crate::cema`] for the
//! decision table.

use core::fmt;
use std::net::IpAddr;

use msrp_proto::uri::{Host, Scheme, Uri};

use crate::attrs::{Address, Connection, Direction, Fingerprint, FormatEntry, Setup, Transport};
use crate::error::SdpError;
use crate::file::FileTransfer;
use crate::matching::{NeedsResolution, Resolutions, cm_matches_path};
use crate::model::{DescriptionKind, Line, MediaDescription, SessionDescription};
use crate::msrp::MsrpMedia;
use crate::setup::{Role, Roles, SetupError, answer_setup, effective, negotiate};

/// Media types that carry other types (RFC 4975 §8.6: what `accept-wrapped-types` may
/// appear inside).
pub const CONTAINER_TYPES: [&str; 6] = [
    "message/cpim",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/related",
    "multipart/signed",
    "multipart/encrypted",
];

/// The accept-types used when none are configured: the types RFC 4975 makes mandatory to
/// accept, plus `text/plain` (R4975-186, P-33).
pub const DEFAULT_ACCEPT_TYPES: [&str; 5] = [
    "message/cpim",
    "text/plain",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/signed",
];

/// Everything the local endpoint brings to an offer or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalConfig {
    /// Our own session URI (rightmost in our path; R4975-178).
    pub own_uri: Uri,
    /// The relay `Use-Path` from the AUTH 200 (To-Path order, nearest relay first); empty
    /// when no relay is used. Our SDP path is this list reversed, then `own_uri` (RFC 4976).
    pub use_path: Vec<Uri>,
    /// What we accept (R4975-184).
    pub accept_types: Vec<FormatEntry>,
    /// What we accept inside containers.
    pub accept_wrapped_types: Vec<FormatEntry>,
    /// `a=max-size`.
    pub max_size: Option<u64>,
    /// Our certificate fingerprints (TLS, R8122-004).
    pub fingerprints: Vec<Fingerprint>,
    /// RFC 6714 CEMA support.
    pub cema: bool,
    /// RFC 6135 support (`a=setup`). CEMA requires it (RFC 6714 §4.5).
    pub rfc6135: bool,
    /// We can accept incoming connections at our own URI (a globally reachable address):
    /// offer `actpass` rather than `active`, answer `passive` to `actpass` (R6135-007, -009).
    pub reachable: bool,
    /// The direction we want (RFC 3264).
    pub direction: Direction,
    /// RFC 5547 attributes for offers (answers copy the offer's, R5547-004, -009).
    pub file: FileTransfer,
}

/// A [`LocalConfig`] that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// CEMA is enabled but RFC 6135 is not (RFC 6714 §4.5, R6714-021).
    CemaRequiresRfc6135,
    /// `own_uri` is not a session URI (port and session-id, R4975-176/178).
    OwnUriNotSessionUri,
    /// No accept-types (R4975-184).
    NoAcceptTypes,
    /// `accept-wrapped-types` without a container type (`message/cpim`, `multipart/*`)
    /// in accept-types: wrapped types are usable only inside a listed container
    /// (R4975-187).
    WrappedTypesWithoutContainer,
}

impl LocalConfig {
    /// A configuration with defaults: no relay, [`DEFAULT_ACCEPT_TYPES`], RFC 6135 on,
    /// reachable, CEMA off, `sendrecv`.
    #[must_use]
    pub fn new(own_uri: Uri) -> Self {
        Self {
            own_uri,
            use_path: Vec::new(),
            accept_types: DEFAULT_ACCEPT_TYPES
                .iter()
                .map(|t| FormatEntry::parse(t).expect("valid constant"))
                .collect(),
            accept_wrapped_types: Vec::new(),
            max_size: None,
            fingerprints: Vec::new(),
            cema: false,
            rfc6135: true,
            reachable: true,
            direction: Direction::SendRecv,
            file: FileTransfer::default(),
        }
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// See [`ConfigError`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.cema && !self.rfc6135 {
            return Err(ConfigError::CemaRequiresRfc6135);
        }
        if self.own_uri.as_ref().check_session_uri().is_err() {
            return Err(ConfigError::OwnUriNotSessionUri);
        }
        if self.accept_types.is_empty() {
            return Err(ConfigError::NoAcceptTypes);
        }
        let container = |t: &FormatEntry| CONTAINER_TYPES.iter().any(|c| t.admits(c));
        if !self.accept_wrapped_types.is_empty() && !self.accept_types.iter().any(container) {
            return Err(ConfigError::WrappedTypesWithoutContainer);
        }
        Ok(())
    }

    /// True when a relay is used.
    #[must_use]
    pub fn uses_relay(&self) -> bool {
        !self.use_path.is_empty()
    }

    /// Our `a=path`: `use_path` reversed, then `own_uri`.
    #[must_use]
    pub fn sdp_path(&self) -> Vec<Uri> {
        self.use_path
            .iter()
            .rev()
            .cloned()
            .chain(core::iter::once(self.own_uri.clone()))
            .collect()
    }

    /// The m-line transport implied by our URI's scheme.
    #[must_use]
    pub fn transport(&self) -> Transport {
        if self.own_uri.as_ref().scheme() == Scheme::Msrps {
            Transport::Tls
        } else {
            Transport::Tcp
        }
    }

    /// This configuration with CEMA switched off (for the re-offer RFC 6714 §4.2 demands).
    #[must_use]
    pub fn without_cema(&self) -> Self {
        Self {
            cema: false,
            ..self.clone()
        }
    }
}

/// `c=` address and m-line port of a URI's authority.
fn address_of(uri: &Uri) -> (Connection, u16) {
    let u = uri.as_ref();
    let address = match u.host() {
        Host::Ipv4(a) => Address::Ip(IpAddr::V4(a)),
        Host::Ipv6(a) => Address::Ip(IpAddr::V6(a)),
        other => Address::Name(other.to_string()),
    };
    (Connection::new(address), u.port().unwrap_or(9))
}

/// Builds the MSRP media section of an offer (RFC 4975 §8, RFC 6135, RFC 6714 §4.2).
///
/// * `c=`/`m=`: our own URI's host and port (R4975-171, -173) — or, under CEMA with a relay,
///   the relay's (the first URI of our path, R6714-005).
/// * `a=setup`: with CEMA and a relay `actpass` (R6714-005); otherwise (RFC 6135 on)
///   `actpass` when reachable or behind a relay, else `active` (R6135-007); never `passive`
///   (R6135-008). Without RFC 6135 no `a=setup` (the offerer is then active).
/// * `a=msrp-cema` when CEMA is on (R6714-003).
///
/// # Errors
/// An invalid configuration.
pub fn offer_media(cfg: &LocalConfig) -> Result<MsrpMedia, ConfigError> {
    cfg.validate()?;
    let path = cfg.sdp_path();
    let (connection, port) = if cfg.cema && cfg.uses_relay() {
        address_of(&path[0])
    } else {
        address_of(&cfg.own_uri)
    };
    let mut m = MsrpMedia::new(
        port,
        cfg.transport(),
        connection,
        path,
        cfg.accept_types.clone(),
    );
    m.accept_wrapped_types.clone_from(&cfg.accept_wrapped_types);
    m.max_size = cfg.max_size;
    m.fingerprints.clone_from(&cfg.fingerprints);
    m.direction = cfg.direction;
    m.file.clone_from(&cfg.file);
    m.cema = cfg.cema;
    m.setup = if !cfg.rfc6135 {
        None
    } else if cfg.reachable || cfg.uses_relay() {
        Some(Setup::ActPass)
    } else {
        Some(Setup::Active)
    };
    Ok(m)
}

/// The `o=` line of a generated description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name (`-` when none).
    pub username: String,
    /// Session id (RFC 3264: fits a signed 64-bit integer).
    pub session_id: u64,
    /// Session version; increment it for a changed re-offer (R3264-007).
    pub version: u64,
    /// The origin's address.
    pub address: Address,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Connection::new(self.address.clone());
        write!(
            f,
            "{} {} {} {c}",
            self.username, self.session_id, self.version
        )
    }
}

/// A whole session description around media sections: `v=0`, `o=`, `s=-`, `t=0 0`
/// (R3264-002), then the sections.
#[must_use]
pub fn session_description(origin: &Origin, media: Vec<MediaDescription>) -> SessionDescription {
    let session = vec![
        Line::new('v', "0"),
        Line::new('o', origin.to_string()),
        Line::new('s', "-"),
        Line::new('t', "0 0"),
    ];
    SessionDescription::from_parts(DescriptionKind::Full, session, media)
}

/// Where the active side opens its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Connect {
    /// Open a TCP (or TLS, `tls`) connection to this address and port. `address` may be a
    /// name the caller resolves.
    Dial {
        /// Host to connect to.
        address: Address,
        /// Port to connect to.
        port: u16,
        /// Use TLS (we are the TLS client, R6135-012).
        tls: bool,
        /// Where the address came from.
        source: DialSource,
    },
    /// Accept the peer's connection on our own URI's port (or the relay's, when the peer's
    /// connection arrives through it).
    Accept,
    /// We use a relay: all traffic goes over our connection to this first-hop relay, whatever
    /// `a=setup` said (R6135-014); [`Session::role`] says whether we send the binding SEND.
    Relay {
        /// The nearest relay (first `Use-Path` URI).
        next_hop: Uri,
    },
}

/// Which SDP information a dial target was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DialSource {
    /// The first URI of the peer's `a=path` (RFC 4975 §8.3, R4975-179).
    PathUri,
    /// The peer's `c=` address and `m=` port (RFC 6714 §4.2/§4.3, R6714-013, -019).
    CmLine,
}

/// Why CEMA is not in use although we support it, when no re-offer is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CemaFallback {
    /// §4.3 criterion 1: the offer's path has several URIs and we use a relay too.
    BothUseRelays,
    /// §4.3 criterion 2: the offerer uses a relay and will be active.
    OffererRelayActive,
    /// §4.3 criterion 3: we (answerer) use a relay and the offer says `setup:passive`.
    AnswererRelayCannotBePassive,
    /// §4.1 second case: the offer has no `a=msrp-cema` and its path shows a relay; its c/m
    /// cannot be trusted to name the relay, so we use RFC 4975 rules (dial the path).
    NonCemaOffererRelay,
    /// §4.2: the answerer uses a relay and the answer's c/m matches its path: no middlebox,
    /// RFC 4975 behaviour without a new offer (R6714-012).
    AnswererRelayNoMiddlebox,
    /// §4.1 third case: we use a relay and became active although the answer carried
    /// `msrp-cema`; c/m matched the path, so the relay reaches the peer directly.
    LocalRelayActive,
    /// §4.1 third case for the peer: the answerer uses a relay and became active.
    PeerRelayActive,
}

/// What became of CEMA in this exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CemaStatus {
    /// Both sides signalled `a=msrp-cema` and no fallback applies.
    Enabled,
    /// We do not support CEMA (or did not offer it).
    NotSupportedLocally,
    /// The peer did not signal `a=msrp-cema` and no criterion forces a fallback; RFC 6714
    /// still tells an active side to dial the c/m address (R6714-013, -019).
    NotSignalledByPeer,
    /// We fell back to RFC 4975/4976 behaviour without a new offer.
    Fallback(CemaFallback),
}

/// The negotiated MSRP session: everything the caller needs to connect and to address
/// requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// Active: we send the binding SEND right after connecting (R6135-010).
    pub role: Role,
    /// How our connection is made.
    pub connect: Connect,
    /// The To-Path of our requests: our `Use-Path` then the peer's path (RFC 4976).
    pub to_path: Vec<Uri>,
    /// The peer's `a=path` as received.
    pub remote_path: Vec<Uri>,
    /// Our `a=path` as sent.
    pub local_path: Vec<Uri>,
    /// CEMA outcome.
    pub cema: CemaStatus,
    /// TCP or TLS.
    pub transport: Transport,
    /// The peer's certificate fingerprints (verify the TLS peer against them, R8122-005).
    pub remote_fingerprints: Vec<Fingerprint>,
    /// The peer's accept-types (R4975-189).
    pub remote_accept_types: Vec<FormatEntry>,
    /// The peer's accept-wrapped-types.
    pub remote_accept_wrapped_types: Vec<FormatEntry>,
    /// The peer's max-size hint.
    pub remote_max_size: Option<u64>,
    /// The direction we use, seen from our side.
    pub direction: Direction,
}

impl Session {
    /// Whether the peer takes a message of `content_type` as it is (unwrapped): it must
    /// match the peer's accept-types, wildcards included (R4975-189). Types listed only in
    /// accept-wrapped-types go inside a container such as `message/cpim`.
    #[must_use]
    pub fn accepts(&self, content_type: &str) -> bool {
        self.remote_accept_types
            .iter()
            .any(|e| e.admits(content_type))
    }
}

/// Why an answerer refuses the MSRP media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// R6714-014: the offer has no `a=msrp-cema` and its c/m address does not match its path —
    /// a non-CEMA middlebox rewrote c/m without anchoring MSRP.
    CmMismatchWithoutCema,
    /// The offer's `a=setup` cannot be honoured (only without RFC 6135 support: a `passive`
    /// offer needs an active answerer).
    Setup(SetupError),
    /// No offered type is acceptable (R4975-188).
    NoCommonType,
    /// The offer's transport differs from ours (TCP vs TLS).
    TransportMismatch,
}

impl RejectReason {
    /// The SIP status for rejecting the whole request instead of using port 0: 488.
    #[must_use]
    pub fn sip_status(self) -> u16 {
        488
    }
}

/// The answerer's result for one MSRP media section.
#[allow(clippy::large_enum_variant)] // built once per negotiation; boxing buys nothing
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerOutcome {
    /// Answer with `answer`; the session is `session`.
    Accept {
        /// Our media section for the answer.
        answer: MsrpMedia,
        /// What to do next.
        session: Session,
    },
    /// Refuse: either send `port_zero_answer` (port 0, R3264-005) or reject the whole request
    /// with [`RejectReason::sip_status`] — the caller's choice.
    Reject {
        /// Why.
        reason: RejectReason,
        /// The media section to answer with when refusing only this stream.
        port_zero_answer: MsrpMedia,
    },
}

/// Which RFC 6714 §4.2 criterion obliges the offerer to send a new offer without
/// `a=msrp-cema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReofferCriterion {
    /// Criterion 1 (R6714-007): c/m ≠ path and we would be passive (answer `setup:active`).
    MismatchOffererPassive,
    /// Criterion 2 (R6714-008): we use a relay, c/m ≠ path, and we would be active.
    MismatchOffererRelayActive,
    /// Criterion 3 (R6714-009): the answerer uses a relay, c/m ≠ path, and we would be active.
    MismatchAnswererRelayOffererActive,
}

/// The offerer's result of applying an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferOutcome {
    /// Proceed with this session.
    Established(Session),
    /// Send a new offer built by RFC 4975/4976 rules, without `a=msrp-cema` (R6714-006). The
    /// new offer may go in the existing early dialog or a new INVITE (R6714-010).
    Reoffer {
        /// The criterion that fired.
        criterion: ReofferCriterion,
        /// The media section for the new offer.
        new_offer: MsrpMedia,
    },
    /// The answerer refused the stream (port 0).
    Refused,
}

/// Negotiation could not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The SDP is malformed (with line number).
    Sdp(SdpError),
    /// No MSRP media section where one was expected.
    NoMsrpMedia,
    /// The answer's `a=setup` does not fit the offer's.
    Setup(SetupError),
    /// Our configuration is invalid.
    Config(ConfigError),
    /// CEMA address matching needs these names resolved: resolve them, add the answers to
    /// [`Resolutions`] and call again.
    NeedsResolution(NeedsResolution),
}

impl From<SdpError> for NegotiationError {
    fn from(e: SdpError) -> Self {
        Self::Sdp(e)
    }
}

impl From<ConfigError> for NegotiationError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<NeedsResolution> for NegotiationError {
    fn from(e: NeedsResolution) -> Self {
        Self::NeedsResolution(e)
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sdp(e) => write!(f, "{e}"),
            Self::NoMsrpMedia => f.write_str("no MSRP media section"),
            Self::Setup(e) => write!(f, "setup negotiation: {e}"),
            Self::Config(e) => write!(f, "configuration: {e:?}"),
            Self::NeedsResolution(n) => write!(f, "needs DNS answers for {:?}", n.names),
        }
    }
}

impl std::error::Error for NegotiationError {}

/// Does the media section's c/m match its own path (RFC 6714 §4.4)? A `setup:active` section
/// with the RFC 4145 discard port 9 is compared by address only (see the CEMA page).
fn self_consistent(m: &MsrpMedia, res: &Resolutions) -> Result<bool, NeedsResolution> {
    let discard = m.port == 9 && effective(m.setup) == Some(Setup::Active);
    cm_matches_path(&m.connection, m.port, discard, &m.path, res)
}

fn common_type(offer: &MsrpMedia, cfg: &LocalConfig) -> bool {
    offer.accept_types.iter().any(|o| {
        cfg.accept_types.iter().any(|l| {
            o.as_str() == "*" || l.as_str() == "*" || l.admits(o.as_str()) || o.admits(l.as_str())
        })
    })
}

fn dial_cm(m: &MsrpMedia, tls: bool) -> Connect {
    Connect::Dial {
        address: m.connection.address.clone(),
        port: m.port,
        tls,
        source: DialSource::CmLine,
    }
}

fn dial_path(m: &MsrpMedia, tls: bool) -> Connect {
    let (c, port) = address_of(&m.path[0]);
    Connect::Dial {
        address: c.address,
        port,
        tls,
        source: DialSource::PathUri,
    }
}

fn session(
    cfg: &LocalConfig,
    remote: &MsrpMedia,
    role: Role,
    connect: Connect,
    cema: CemaStatus,
    direction: Direction,
) -> Session {
    let connect = match (cfg.use_path.first(), connect) {
        (Some(hop), _) => Connect::Relay {
            next_hop: hop.clone(),
        },
        (None, Connect::Dial { .. }) if role == Role::Passive => Connect::Accept,
        (None, c) => c,
    };
    Session {
        role,
        connect,
        to_path: cfg
            .use_path
            .iter()
            .chain(remote.path.iter())
            .cloned()
            .collect(),
        remote_path: remote.path.clone(),
        local_path: cfg.sdp_path(),
        cema,
        transport: remote.transport,
        remote_fingerprints: remote.fingerprints.clone(),
        remote_accept_types: remote.accept_types.clone(),
        remote_accept_wrapped_types: remote.accept_wrapped_types.clone(),
        remote_max_size: remote.max_size,
        direction,
    }
}

/// The answerer side for one MSRP media section (RFC 4975 §8, RFC 6135 §4.2, RFC 6714 §4.3).
///
/// Order of decisions, each one a row of the CEMA decision table:
/// 1. Transport and accept-types must fit (else reject).
/// 2. CEMA on, offer without `a=msrp-cema`, c/m ≠ path → reject (R6714-014).
/// 3. CEMA on and a §4.3 fallback criterion holds → RFC 4975/4976 answer without
///    `a=msrp-cema` (R6714-015).
/// 4. Otherwise with CEMA: `a=msrp-cema` (R6714-016); with a relay, relay address in c/m and
///    `setup:passive` (R6714-018); without, `a=setup` per RFC 6135 (R6714-017) — choosing
///    `active` when the offerer uses a relay and offered `actpass`, so that CEMA stays usable.
/// 5. An active CEMA answerer dials the offer's c/m (R6714-019); otherwise the first path URI;
///    behind a relay, the relay (R6135-014).
///
/// # Errors
/// [`NegotiationError::NeedsResolution`] (resolve and retry), or an invalid configuration.
pub fn answer_media(
    offer: &MsrpMedia,
    cfg: &LocalConfig,
    res: &Resolutions,
) -> Result<AnswerOutcome, NegotiationError> {
    cfg.validate()?;
    let me_relay = cfg.uses_relay();
    let offerer_relay = offer.uses_relay();
    let offer_setup = effective(offer.setup);
    let tls = cfg.transport() == Transport::Tls;

    let mut answer = offer_media(cfg)?;
    // An answer never says actpass; this value is replaced below when the stream is accepted.
    answer.setup = cfg
        .rfc6135
        .then(|| answer_setup(offer.setup, cfg.reachable));
    answer.direction = Direction::answer_to(offer.direction, cfg.direction);
    answer.file = FileTransfer {
        selector: offer.file.selector.clone(),
        transfer_id: offer.file.transfer_id.clone(),
        range: offer.file.range,
        ..FileTransfer::default()
    };
    let reject = |reason, mut a: MsrpMedia| {
        a.port = 0;
        a.cema = false;
        Ok(AnswerOutcome::Reject {
            reason,
            port_zero_answer: a,
        })
    };

    if offer.transport != cfg.transport() {
        return reject(RejectReason::TransportMismatch, answer);
    }
    if !common_type(offer, cfg) {
        return reject(RejectReason::NoCommonType, answer);
    }

    // CEMA decisions (RFC 6714 §4.3).
    let mut fallback = None;
    if cfg.cema {
        if !offer.cema && !self_consistent(offer, res)? {
            return reject(RejectReason::CmMismatchWithoutCema, answer);
        }
        fallback = if offerer_relay && me_relay {
            Some(CemaFallback::BothUseRelays)
        } else if offerer_relay && matches!(offer_setup, None | Some(Setup::Active)) {
            Some(CemaFallback::OffererRelayActive)
        } else if me_relay && offer_setup == Some(Setup::Passive) {
            Some(CemaFallback::AnswererRelayCannotBePassive)
        } else if offerer_relay && !offer.cema {
            Some(CemaFallback::NonCemaOffererRelay)
        } else {
            None
        };
    }
    let use_cema = cfg.cema && fallback.is_none();

    // a=setup and c/m of the answer.
    answer.setup = if use_cema {
        if me_relay {
            Some(Setup::Passive)
        } else if offer_setup == Some(Setup::ActPass) && offerer_relay {
            Some(Setup::Active)
        } else {
            Some(answer_setup(offer.setup, cfg.reachable))
        }
    } else if cfg.rfc6135 {
        Some(answer_setup(offer.setup, cfg.reachable || me_relay))
    } else {
        None
    };
    answer.cema = use_cema;
    let path = cfg.sdp_path();
    let (c, port) = if use_cema && me_relay {
        address_of(&path[0])
    } else {
        address_of(&cfg.own_uri)
    };
    answer.connection = c;
    answer.port = port;

    let roles: Roles = match negotiate(offer.setup, answer.setup) {
        Ok(r) => r,
        Err(e) => return reject(RejectReason::Setup(e), answer),
    };
    let status = match (cfg.cema, fallback, offer.cema) {
        (false, _, _) => CemaStatus::NotSupportedLocally,
        (true, Some(f), _) => CemaStatus::Fallback(f),
        (true, None, true) => CemaStatus::Enabled,
        (true, None, false) => CemaStatus::NotSignalledByPeer,
    };
    let connect = if use_cema {
        dial_cm(offer, tls)
    } else {
        dial_path(offer, tls)
    };
    let s = session(
        cfg,
        offer,
        roles.answerer,
        connect,
        status,
        answer.direction,
    );
    Ok(AnswerOutcome::Accept { answer, session: s })
}

/// The offerer side: applies the answer's MSRP media section to the offer we sent (RFC 6714
/// §4.2). `offer` is our media section as sent (from [`offer_media`]).
///
/// # Errors
/// [`NegotiationError::Setup`] for an invalid `a=setup` pair,
/// [`NegotiationError::NeedsResolution`] (resolve and retry), or an invalid configuration.
pub fn apply_answer(
    cfg: &LocalConfig,
    offer: &MsrpMedia,
    answer: &MsrpMedia,
    res: &Resolutions,
) -> Result<OfferOutcome, NegotiationError> {
    cfg.validate()?;
    if answer.port == 0 {
        return Ok(OfferOutcome::Refused);
    }
    let roles = negotiate(offer.setup, answer.setup).map_err(NegotiationError::Setup)?;
    let me_relay = cfg.uses_relay();
    let answer_relay = answer.uses_relay();
    let tls = offer.transport == Transport::Tls;
    let direction = offer.direction;
    let active = roles.offerer == Role::Active;

    if !offer.cema {
        let s = session(
            cfg,
            answer,
            roles.offerer,
            dial_path(answer, tls),
            CemaStatus::NotSupportedLocally,
            direction,
        );
        return Ok(OfferOutcome::Established(s));
    }
    let reoffer = |criterion| {
        Ok(OfferOutcome::Reoffer {
            criterion,
            new_offer: offer_media(&cfg.without_cema())?,
        })
    };

    let mismatch = !self_consistent(answer, res)?;
    if !answer.cema {
        if mismatch && !active {
            return reoffer(ReofferCriterion::MismatchOffererPassive);
        }
        if mismatch && me_relay {
            return reoffer(ReofferCriterion::MismatchOffererRelayActive);
        }
        if mismatch && answer_relay {
            return reoffer(ReofferCriterion::MismatchAnswererRelayOffererActive);
        }
        if answer_relay {
            // R6714-012: c/m matches one of the path URIs — no middlebox.
            let s = session(
                cfg,
                answer,
                roles.offerer,
                dial_path(answer, tls),
                CemaStatus::Fallback(CemaFallback::AnswererRelayNoMiddlebox),
                direction,
            );
            return Ok(OfferOutcome::Established(s));
        }
        let status = if me_relay && active {
            CemaStatus::Fallback(CemaFallback::LocalRelayActive)
        } else {
            CemaStatus::NotSignalledByPeer
        };
        // R6714-013: "in other cases" an active offerer dials c/m.
        let s = session(
            cfg,
            answer,
            roles.offerer,
            dial_cm(answer, tls),
            status,
            direction,
        );
        return Ok(OfferOutcome::Established(s));
    }
    // The answer carries msrp-cema.
    if me_relay && active {
        // §4.1: a CEMA endpoint behind a relay cannot be active under CEMA (its relay would
        // need the c/m address in To-Path). A compliant answerer never does this.
        if mismatch {
            return reoffer(ReofferCriterion::MismatchOffererRelayActive);
        }
        let s = session(
            cfg,
            answer,
            roles.offerer,
            dial_path(answer, tls),
            CemaStatus::Fallback(CemaFallback::LocalRelayActive),
            direction,
        );
        return Ok(OfferOutcome::Established(s));
    }
    let status = if answer_relay && !active {
        CemaStatus::Fallback(CemaFallback::PeerRelayActive)
    } else {
        CemaStatus::Enabled
    };
    let s = session(
        cfg,
        answer,
        roles.offerer,
        dial_cm(answer, tls),
        status,
        direction,
    );
    Ok(OfferOutcome::Established(s))
}

/// Builds a whole offer: one MSRP media section from `cfg`.
///
/// # Errors
/// An invalid configuration.
pub fn create_offer(cfg: &LocalConfig, origin: &Origin) -> Result<SessionDescription, ConfigError> {
    Ok(session_description(
        origin,
        vec![offer_media(cfg)?.to_media_description()],
    ))
}

/// The result of [`create_answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// The answer to send (same number and order of m-lines as the offer, R3264-004). When
    /// the outcome is a rejection this already holds the port-0 form; send a 488 instead if
    /// preferred.
    pub sdp: SessionDescription,
    /// Index of the negotiated MSRP media section.
    pub media_index: usize,
    /// The outcome for it.
    pub outcome: AnswerOutcome,
}

/// Answers a whole offer: the first MSRP media section is negotiated with
/// [`answer_media`]; every other section is refused with port 0 (use [`answer_media`]
/// directly to accept several MSRP sections, e.g. one per file).
///
/// # Errors
/// Malformed SDP (with line number), no MSRP section, or as [`answer_media`].
pub fn create_answer(
    offer: &SessionDescription,
    cfg: &LocalConfig,
    res: &Resolutions,
    origin: &Origin,
) -> Result<Answer, NegotiationError> {
    let index = MsrpMedia::find(offer).ok_or(NegotiationError::NoMsrpMedia)?;
    let offered = MsrpMedia::from_sdp(offer, index)?;
    let outcome = answer_media(&offered, cfg, res)?;
    let mut media = Vec::with_capacity(offer.media().len());
    for (i, m) in offer.media().iter().enumerate() {
        if i == index {
            let a = match &outcome {
                AnswerOutcome::Accept { answer, .. } => answer,
                AnswerOutcome::Reject {
                    port_zero_answer, ..
                } => port_zero_answer,
            };
            media.push(a.to_media_description());
        } else {
            let mut ml = m
                .media_line()
                .map_err(|k| SdpError::new(offer.media_line_number(i, 0), k))?;
            ml.port = 0;
            media.push(MediaDescription::new(&ml, Vec::new()));
        }
    }
    Ok(Answer {
        sdp: session_description(origin, media),
        media_index: index,
        outcome,
    })
}

/// Applies a whole answer to the offer we sent (both as session descriptions).
///
/// # Errors
/// Malformed SDP (with line number), no MSRP section, or as [`apply_answer`].
pub fn apply_answer_sdp(
    cfg: &LocalConfig,
    offer: &SessionDescription,
    answer: &SessionDescription,
    res: &Resolutions,
) -> Result<OfferOutcome, NegotiationError> {
    let index = MsrpMedia::find(offer).ok_or(NegotiationError::NoMsrpMedia)?;
    let ours = MsrpMedia::from_sdp(offer, index)?;
    match answer.media().get(index).map(MediaDescription::media_line) {
        Some(Ok(ml)) if ml.port == 0 => return Ok(OfferOutcome::Refused),
        Some(Ok(ml)) if ml.is_msrp() => {}
        _ => return Err(NegotiationError::NoMsrpMedia),
    }
    let theirs = MsrpMedia::from_sdp(answer, index)?;
    apply_answer(cfg, &ours, &theirs, res)
}
