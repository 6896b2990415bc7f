//! MSRP URIs (RFC 4975 §6, §9): parsing, §6.1 comparison and generation.
//!
//! ```text
//! msrp://bob@host.example.com:8493/asfd34;tcp;extra=1
//! ^^^^   ^^^ ^^^^^^^^^^^^^^^^ ^^^^ ^^^^^^ ^^^ ^^^^^^^
//! scheme user host            port sess-  trans- URI-parameters
//!        info                      ion-id  port
//! ```
//!
//! [`UriRef`] is a borrowed, `Copy`, zero-allocation view over the text; [`Uri`] owns its
//! text and keeps the component offsets, so [`Uri::as_ref`] never re-parses.
//!
//! # Grammar as implemented
//!
//! The RFC 4975 grammar imports RFC 3986 `authority`, whose `reg-name` admits `;`; we use the
//! corrected reading from the spec digest: the authority ends at the first `/` or `;` (G-5),
//! and the session-id (which may contain `/` but never `%`) ends at the first `;` (G-6). URIs
//! are US-ASCII only (R4975-042); a userinfo with a `:` (a password) is rejected (R4975-047);
//! a numeric IP host must carry a port (R4975-044).
//!
//! * [`UriRef::parse`] — the RFC grammar, but a missing port on a *host name* is accepted,
//!   because AUTH To-Path URIs and relay device URIs legitimately lack one (RFC 4976 §8).
//! * [`UriRef::parse_lenient`] — additionally recovers an unbracketed IPv6 literal such as
//!   `msrps://2001:db8::1:51444/x;dc` (RFC 8873's own example) by taking the last `:` as the
//!   port separator, and accepts a numeric IP without a port.
//! * [`UriRef::check_session_uri`] — the extra rules for URIs exchanged in SDP and used to
//!   start sessions: explicit non-zero port (R4975-176), session-id present.
//!
//! # Comparison (RFC 4975 §6.1)
//!
//! [`UriRef::matches`] (and `==`/`Hash` on [`Uri`] and [`UriRef`]) implement §6.1 exactly,
//! without allocating:
//!
//! * schemes compare case-insensitively, `msrp` never equals `msrps`;
//! * userinfo is ignored;
//! * host names compare as case-insensitive strings after decoding percent-encoded
//!   *unreserved* characters (`%61lice` ≡ `alice`), with no DNS lookup, so a name never equals
//!   an address; IP addresses compare as addresses (`[2001:DB8:0::1]` ≡ `[2001:db8::1]`);
//! * an explicit port never equals an absent one, not even 2855;
//! * session-ids compare case-sensitively, byte for byte, with no path normalisation;
//! * transports compare case-insensitively; other URI parameters are ignored.
//!
//! An IPv4-mapped IPv6 literal (`[::ffff:192.0.2.1]`) is *not* equal to the IPv4 address:
//! §6.1 speaks of the address as written, and the two reach different sockets.
//!
//! # Example
//!
//! ```
//! use msrp_proto::rand::SeededRandom;
//! use msrp_proto::uri::{Host, Scheme, Uri, UriRef, path_iter};
//!
//! // our session URI, as put into SDP a=path (use OsRandom outside tests)
//! let local = Uri::generate(Scheme::Msrp, "alice.example.com", 7777, "tcp", &mut SeededRandom::new(1))?;
//! local.as_ref().check_session_uri()?;
//!
//! // a received To-Path, compared per §6.1 (host case and userinfo do not matter)
//! let sid = local.as_ref().session_id().unwrap();
//! let to_path = format!("msrp://bob@ALICE.example.com:7777/{sid};TCP");
//! let mut uris = path_iter(to_path.as_bytes());
//! let target = uris.next().unwrap()?;
//! assert!(local.matches(&target));
//! assert!(uris.next().is_none());
//!
//! let u = UriRef::parse("msrps://[2001:db8::1]:2855/s9;tcp")?;
//! assert_eq!(u.host(), Host::Ipv6("2001:db8::1".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cmp;
mod parse;
mod path;
#[cfg(test)]
mod tests;

pub(crate) use path::validate_path;
pub use path::{PathIter, path_iter, path_iter_lenient};

use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::rand::{RandomSource, fill_alphanumeric};

/// The longest URI text accepted, in octets (offsets are stored as `u16`).
pub const MAX_URI_LEN: usize = u16::MAX as usize;

/// Length of a session-id minted by [`Uri::generate`]: 16 base62 characters ≈ 95 bits,
/// above the 80 bits RFC 4975 §14.1 requires (R4975-230).
pub const GENERATED_SESSION_ID_LEN: usize = 16;

/// The URI scheme: `msrp` (clear) or `msrps` (TLS, or DTLS on data channels).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `msrp`: MSRP without transport security.
    Msrp,
    /// `msrps`: the connection must be protected by TLS (R4975-045).
    Msrps,
}

impl Scheme {
    /// The scheme as written in a generated URI (lower case, without `://`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Msrp => "msrp",
            Scheme::Msrps => "msrps",
        }
    }

    /// `true` for `msrps`.
    #[must_use]
    pub const fn is_secure(self) -> bool {
        matches!(self, Scheme::Msrps)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The host of a URI's authority.
///
/// The derived `PartialEq` is structural (a name compares case-sensitively as written);
/// use [`UriRef::matches`] for the RFC 4975 §6.1 rules.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A registered name (FQDN, `.invalid` token, …) exactly as written, possibly
    /// percent-encoded.
    Name(&'a str),
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 literal (written in brackets, or recovered by [`UriRef::parse_lenient`]).
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// `true` for a numeric IPv4 or IPv6 host.
    #[must_use]
    pub const fn is_ip(&self) -> bool {
        matches!(self, Host::Ipv4(_) | Host::Ipv6(_))
    }
}

impl fmt::Display for Host<'_> {
    /// Writes a name as written and addresses in canonical form (IPv6 per RFC 5952,
    /// without brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ipv4(a) => fmt::Display::fmt(a, f),
            Host::Ipv6(a) => fmt::Display::fmt(a, f),
        }
    }
}

/// Why a URI was rejected.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriError {
    /// The input is empty.
    Empty,
    /// The input is longer than [`MAX_URI_LEN`].
    TooLong,
    /// An octet ≥ 0x80: MSRP URIs are US-ASCII only (R4975-042).
    NonAscii,
    /// The scheme is not `msrp`/`msrps`, or `://` is missing.
    BadScheme,
    /// A character not allowed in userinfo (RFC 3986 `userinfo`).
    BadUserinfo,
    /// The userinfo contains `:`, i.e. a password (R4975-047).
    PasswordInUserinfo,
    /// A `%` not followed by two hex digits.
    BadPercentEncoding,
    /// The host is empty.
    EmptyHost,
    /// A character not allowed in a host name (RFC 3986 `reg-name`), or junk after an
    /// IP literal.
    BadHost,
    /// A bracketed IPv6 literal is malformed or unclosed.
    BadIpv6,
    /// An `IPvFuture` literal (`[v1.x]`): valid RFC 3986, unusable for MSRP.
    IpvFuture,
    /// An IPv6 address written without brackets (only [`UriRef::parse_lenient`] accepts it).
    UnbracketedIpv6,
    /// The port is empty, not decimal, or above 65535 (or 0 where a usable port is needed).
    BadPort,
    /// A numeric IP host without a port (R4975-044).
    IpWithoutPort,
    /// No port where one is required (SDP/session URIs, R4975-176; Use-Path, R4976-008).
    MissingPort,
    /// A numeric IP host where a host name is required (Use-Path, R4976-008).
    NumericHost,
    /// The session-id is empty or holds a character outside
    /// `unreserved / "+" / "=" / "/"` (no percent-encoding, G-6).
    BadSessionId,
    /// No session-id where one is required (session URIs, R4975-040).
    MissingSessionId,
    /// No `;transport` (or an empty one).
    MissingTransport,
    /// The transport is not `1*ALPHANUM`.
    BadTransport,
    /// A URI parameter is not `token ["=" token]`.
    BadParam,
}

impl UriError {
    /// A short, static description.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            UriError::Empty => "empty MSRP URI",
            UriError::TooLong => "MSRP URI too long",
            UriError::NonAscii => "non-ASCII octet in MSRP URI",
            UriError::BadScheme => "scheme is not msrp:// or msrps://",
            UriError::BadUserinfo => "invalid character in userinfo",
            UriError::PasswordInUserinfo => "password in userinfo",
            UriError::BadPercentEncoding => "malformed percent-encoding",
            UriError::EmptyHost => "empty host",
            UriError::BadHost => "invalid character in host",
            UriError::BadIpv6 => "malformed IPv6 literal",
            UriError::IpvFuture => "IPvFuture literal not supported",
            UriError::UnbracketedIpv6 => "IPv6 address without brackets",
            UriError::BadPort => "invalid port",
            UriError::IpWithoutPort => "numeric IP host without port",
            UriError::MissingPort => "port required",
            UriError::NumericHost => "host name required, numeric IP found",
            UriError::BadSessionId => "invalid session-id",
            UriError::MissingSessionId => "session-id required",
            UriError::MissingTransport => "missing transport parameter",
            UriError::BadTransport => "invalid transport parameter",
            UriError::BadParam => "invalid URI parameter",
        }
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for UriError {}

/// A byte range into the URI text (offsets fit `u16`, see [`MAX_URI_LEN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        // The parser rejects inputs longer than MAX_URI_LEN first, so these never truncate.
        Span {
            start: start as u16,
            end: end as u16,
        }
    }

    fn get(self, s: &str) -> &str {
        s.get(self.start as usize..self.end as usize).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKind {
    Name,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// The parsed components, as offsets into the text (shared by [`UriRef`] and [`Uri`]).
#[derive(Debug, Clone, Copy)]
struct Parts {
    scheme: Scheme,
    userinfo: Option<Span>,
    host: Span,
    host_kind: HostKind,
    port: Option<u16>,
    session_id: Option<Span>,
    transport: Span,
    /// Everything after the transport: empty, or `;p1[=v1];p2…`.
    params: Span,
}

/// A parsed MSRP URI borrowing its text: `Copy`, zero allocation.
///
/// `==` and `Hash` follow RFC 4975 §6.1 (see [`UriRef::matches`]).
#[derive(Clone, Copy)]
pub struct UriRef<'a> {
    s: &'a str,
    p: Parts,
}

impl<'a> UriRef<'a> {
    /// Parses `s` with the corrected RFC 4975 grammar (module docs): a host name may lack a
    /// port, a numeric IP may not.
    pub fn parse(s: &'a str) -> Result<UriRef<'a>, UriError> {
        parse::parse(s, parse::Mode::Strict).map(|p| UriRef { s, p })
    }

    /// Parses wire bytes like [`parse`](Self::parse); any octet ≥ 0x80 is
    /// [`UriError::NonAscii`] (R4975-042).
    pub fn parse_bytes(b: &'a [u8]) -> Result<UriRef<'a>, UriError> {
        Self::parse(parse::ascii_str(b)?)
    }

    /// Like [`parse`](Self::parse), and additionally accepts an unbracketed IPv6 host (the
    /// last `:` separates the port when what precedes it is an IPv6 address) and a numeric
    /// IP without a port. For peer input known to be sloppy (RFC 8873 §4.8 SDP, digest E-24).
    pub fn parse_lenient(s: &'a str) -> Result<UriRef<'a>, UriError> {
        parse::parse(s, parse::Mode::Lenient).map(|p| UriRef { s, p })
    }

    /// [`parse_lenient`](Self::parse_lenient) from wire bytes.
    pub fn parse_bytes_lenient(b: &'a [u8]) -> Result<UriRef<'a>, UriError> {
        Self::parse_lenient(parse::ascii_str(b)?)
    }

    /// The whole URI as written.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.s
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.p.scheme
    }

    /// The userinfo before `@`, as written (never a password: see R4975-047).
    #[must_use]
    pub fn userinfo(&self) -> Option<&'a str> {
        self.p.userinfo.map(|sp| sp.get(self.s))
    }

    /// The host: a name as written, or a parsed address.
    #[must_use]
    pub fn host(&self) -> Host<'a> {
        match self.p.host_kind {
            HostKind::Name => Host::Name(self.host_str()),
            HostKind::V4(a) => Host::Ipv4(a),
            HostKind::V6(a) => Host::Ipv6(a),
        }
    }

    /// The host as written; an IPv6 literal without its brackets.
    #[must_use]
    pub fn host_str(&self) -> &'a str {
        self.p.host.get(self.s)
    }

    /// The explicit port, if any. There is no default: an absent port never equals 2855.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.p.port
    }

    /// The session-id (text between the authority's `/` and the first `;`), if any. A URI
    /// without one names a device (relay) rather than a session (R4975-040).
    #[must_use]
    pub fn session_id(&self) -> Option<&'a str> {
        self.p.session_id.map(|sp| sp.get(self.s))
    }

    /// The transport parameter as written (`tcp`, `ws`, `dc`, …).
    #[must_use]
    pub fn transport(&self) -> &'a str {
        self.p.transport.get(self.s)
    }

    /// The URI parameters after the transport, as `(name, value)` pairs in order.
    #[must_use]
    pub fn params(&self) -> Params<'a> {
        Params {
            rest: self.p.params.get(self.s),
        }
    }

    /// The value of the first URI parameter named `name` (case-insensitive): `None` if
    /// absent, `Some(None)` for a parameter without `=value`.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// RFC 4975 §6.1 equivalence (module docs; R4975-048..056). Allocation-free.
    #[must_use]
    pub fn matches(&self, other: &UriRef<'_>) -> bool {
        cmp::matches(self, other)
    }

    /// Checks the extra rules for a URI that identifies a session endpoint — one put in or
    /// read from SDP `a=path`, or handed to the session layer: an explicit, non-zero port
    /// (R4975-176, which also covers R4975-044 for numeric hosts) and a session-id.
    pub fn check_session_uri(&self) -> Result<(), UriError> {
        match self.p.port {
            None => return Err(UriError::MissingPort),
            Some(0) => return Err(UriError::BadPort),
            Some(_) => {}
        }
        if self.p.session_id.is_none() {
            return Err(UriError::MissingSessionId);
        }
        Ok(())
    }

    /// Checks a URI received in a relay's `Use-Path` (R4976-008): a host name, never a
    /// numeric IP, and an explicit non-zero port.
    pub fn check_use_path_uri(&self) -> Result<(), UriError> {
        if self.p.host_kind != HostKind::Name {
            return Err(UriError::NumericHost);
        }
        match self.p.port {
            None => Err(UriError::MissingPort),
            Some(0) => Err(UriError::BadPort),
            Some(_) => Ok(()),
        }
    }

    /// An owned copy (one allocation for the text; the offsets are copied, not re-parsed).
    #[must_use]
    pub fn to_owned(&self) -> Uri {
        Uri {
            s: Box::from(self.s),
            p: self.p,
        }
    }
}

impl fmt::Debug for UriRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UriRef").field(&self.s).finish()
    }
}

impl fmt::Display for UriRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.s)
    }
}

impl PartialEq for UriRef<'_> {
    /// RFC 4975 §6.1 equivalence, same as [`UriRef::matches`].
    fn eq(&self, other: &Self) -> bool {
        self.matches(other)
    }
}

impl Eq for UriRef<'_> {}

impl Hash for UriRef<'_> {
    /// Hashes the §6.1 canonical form, so equal URIs hash equally.
    fn hash<H: Hasher>(&self, state: &mut H) {
        cmp::hash_canonical(self, state);
    }
}

/// Iterator over the URI parameters after the transport (see [`UriRef::params`]).
#[derive(Debug, Clone)]
pub struct Params<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        // `rest` is empty or starts with ';' (validated by the parser).
        let body = self.rest.strip_prefix(';')?;
        let (param, rest) = match body.find(';') {
            Some(i) => (&body[..i], &body[i..]),
            None => (body, ""),
        };
        self.rest = rest;
        Some(match param.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (param, None),
        })
    }
}

impl core::iter::FusedIterator for Params<'_> {}

/// An owned MSRP URI: the text plus the component offsets.
///
/// `==` and `Hash` follow RFC 4975 §6.1 (a canonical form is hashed), so `Uri` can key a
/// session table looked up by received To-Path URIs.
#[derive(Clone)]
pub struct Uri {
    s: Box<str>,
    p: Parts,
}

impl Uri {
    /// Parses and copies `s` (see [`UriRef::parse`]).
    pub fn parse(s: &str) -> Result<Uri, UriError> {
        UriRef::parse(s).map(|u| u.to_owned())
    }

    /// Parses and copies `s` leniently (see [`UriRef::parse_lenient`]).
    pub fn parse_lenient(s: &str) -> Result<Uri, UriError> {
        UriRef::parse_lenient(s).map(|u| u.to_owned())
    }

    /// A borrowed view; cheap (no re-parse).
    #[must_use]
    pub fn as_ref(&self) -> UriRef<'_> {
        UriRef {
            s: &self.s,
            p: self.p,
        }
    }

    /// The URI text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// RFC 4975 §6.1 equivalence (see [`UriRef::matches`]).
    #[must_use]
    pub fn matches(&self, other: &UriRef<'_>) -> bool {
        self.as_ref().matches(other)
    }

    /// A new local session URI `scheme://host:port/<session-id>;transport` with a fresh
    /// session-id of [`GENERATED_SESSION_ID_LEN`] base62 characters from `rng` (≈ 95 bits,
    /// R4975-230). Use [`OsRandom`](crate::rand::OsRandom) outside simulations.
    ///
    /// `host` is a name, an IPv4 address, or an IPv6 address with or without brackets
    /// (written back bracketed, in RFC 5952 form). `port` must be non-zero (R4975-176);
    /// `transport` must be `1*ALPHANUM` (`tcp`, R4975-043; `ws`; `dc`).
    pub fn generate(
        scheme: Scheme,
        host: &str,
        port: u16,
        transport: &str,
        rng: &mut dyn RandomSource,
    ) -> Result<Uri, UriError> {
        use core::fmt::Write as _;

        if port == 0 {
            return Err(UriError::BadPort);
        }
        let unbracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        let v6 = unbracketed.unwrap_or(host).parse::<Ipv6Addr>().ok();
        if unbracketed.is_some() && v6.is_none() {
            return Err(UriError::BadIpv6);
        }
        let mut sid = [0u8; GENERATED_SESSION_ID_LEN];
        fill_alphanumeric(rng, &mut sid);
        let sid = parse::ascii_str(&sid)?;

        let mut s = String::with_capacity(host.len() + transport.len() + 40);
        s.push_str(scheme.as_str());
        s.push_str("://");
        match v6 {
            Some(a) => {
                let _ = write!(s, "[{a}]");
            }
            None => s.push_str(host),
        }
        let _ = write!(s, ":{port}/{sid};{transport}");

        let uri = Uri::parse(&s)?;
        let r = uri.as_ref();
        // `host`/`transport` must not smuggle in other components (`a@b`, `tcp;x`, …).
        if r.userinfo().is_some() || (v6.is_none() && r.host_str() != host) {
            return Err(UriError::BadHost);
        }
        if r.transport() != transport {
            return Err(UriError::BadTransport);
        }
        r.check_session_uri()?;
        Ok(uri)
    }
}

impl fmt::Debug for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Uri").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl FromStr for Uri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Uri, UriError> {
        Uri::parse(s)
    }
}

impl From<UriRef<'_>> for Uri {
    fn from(u: UriRef<'_>) -> Uri {
        u.to_owned()
    }
}

impl PartialEq for Uri {
    /// RFC 4975 §6.1 equivalence.
    fn eq(&self, other: &Self) -> bool {
        self.as_ref().matches(&other.as_ref())
    }
}

impl Eq for Uri {}

impl PartialEq<UriRef<'_>> for Uri {
    /// RFC 4975 §6.1 equivalence.
    fn eq(&self, other: &UriRef<'_>) -> bool {
        self.matches(other)
    }
}

impl PartialEq<Uri> for UriRef<'_> {
    /// RFC 4975 §6.1 equivalence.
    fn eq(&self, other: &Uri) -> bool {
        self.matches(&other.as_ref())
    }
}

impl Hash for Uri {
    /// Hashes the §6.1 canonical form (same as for [`UriRef`]), consistent with `==`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        cmp::hash_canonical(&self.as_ref(), state);
    }
}
