//! Typed values of the SDP lines and attributes an MSRP media section uses.
//!
//! Each type parses the text after `=` (for `m=`/`c=`) or after `a=<name>:` and prints the
//! canonical form with `Display`. Parse errors are [`SdpErrorKind`]s; the typed views attach the
//! line number.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::SdpErrorKind;

/// RFC 2045 / RFC 8866 token characters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                )
        })
}

/// The transport an MSRP m-line announces (RFC 4975 §8.1, §15.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// `TCP/MSRP` (scheme `msrp`).
    Tcp,
    /// `TCP/TLS/MSRP` (scheme `msrps`).
    Tls,
}

impl Transport {
    /// The m-line proto string.
    #[must_use]
    pub fn proto(self) -> &'static str {
        match self {
            Self::Tcp => "TCP/MSRP",
            Self::Tls => "TCP/TLS/MSRP",
        }
    }

    /// Recognises an m-line proto (ASCII case-insensitive).
    #[must_use]
    pub fn from_proto(proto: &str) -> Option<Self> {
        if proto.eq_ignore_ascii_case("TCP/MSRP") {
            Some(Self::Tcp)
        } else if proto.eq_ignore_ascii_case("TCP/TLS/MSRP") {
            Some(Self::Tls)
        } else {
            None
        }
    }
}

/// An `m=` line: `<media> <port>[/<count>] <proto> <fmt> …` (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaLine {
    /// Media type (`message` for MSRP).
    pub media: String,
    /// Transport port (0 = stream refused or removed).
    pub port: u16,
    /// The optional `/<count>` after the port.
    pub port_count: Option<u32>,
    /// Transport protocol (`TCP/MSRP`, `TCP/TLS/MSRP`, …).
    pub proto: String,
    /// Format list (`*` for MSRP).
    pub formats: Vec<String>,
}

impl MediaLine {
    /// The MSRP m-line `m=message <port> <proto> *`.
    #[must_use]
    pub fn msrp(port: u16, transport: Transport) -> Self {
        Self {
            media: "message".into(),
            port,
            port_count: None,
            proto: transport.proto().into(),
            formats: vec!["*".into()],
        }
    }

    /// Parses the value of an `m=` line.
    ///
    /// # Errors
    /// [`SdpErrorKind::MalformedMediaLine`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::MalformedMediaLine;
        let mut it = value.split(' ');
        let media = it.next().filter(|m| is_token(m)).ok_or(bad.clone())?;
        let port_field = it.next().ok_or(bad.clone())?;
        let (port, count) = match port_field.split_once('/') {
            Some((p, c)) => (p, Some(c)),
            None => (port_field, None),
        };
        let port = parse_digits::<u16>(port).ok_or(bad.clone())?;
        let port_count = count
            .map(|c| parse_digits::<u32>(c).ok_or(bad.clone()))
            .transpose()?;
        let proto = it
            .next()
            .filter(|p| !p.is_empty() && p.split('/').all(is_token))
            .ok_or(bad.clone())?;
        let formats: Vec<String> = it.map(str::to_owned).collect();
        if formats.is_empty() || formats.iter().any(|f| !is_token(f) && f != "*") {
            return Err(bad);
        }
        Ok(Self {
            media: media.into(),
            port,
            port_count,
            proto: proto.into(),
            formats,
        })
    }

    /// True for `m=message … TCP/MSRP|TCP/TLS/MSRP …` (whatever the format list).
    #[must_use]
    pub fn is_msrp(&self) -> bool {
        self.media.eq_ignore_ascii_case("message") && Transport::from_proto(&self.proto).is_some()
    }
}

impl fmt::Display for MediaLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.media, self.port)?;
        if let Some(c) = self.port_count {
            write!(f, "/{c}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt_ in &self.formats {
            write!(f, " {fmt_}")?;
        }
        Ok(())
    }
}

/// Decimal digits only (no sign, no spaces), fitting `T`.
pub(crate) fn parse_digits<T: core::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The address of a `c=` line: an IP literal or a domain name (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// An IPv4 or IPv6 literal (IPv6 is never bracketed in `c=`).
    Ip(IpAddr),
    /// A fully qualified domain name (needs DNS for CEMA matching, RFC 6714 §4.4).
    Name(String),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // std prints IPv6 in RFC 5952 form.
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Name(n) => f.write_str(n),
        }
    }
}

/// A `c=IN IP4|IP6 <address>` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// True for `IP6`, false for `IP4`.
    pub ipv6: bool,
    /// The connection address.
    pub address: Address,
}

fn is_domain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').enumerate().all(|(i, label)| {
            (!label.is_empty() || i > 0 && s.ends_with('.'))
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

impl Connection {
    /// A connection line for an address; IPv6 literals get `IP6`, everything else `IP4`.
    #[must_use]
    pub fn new(address: Address) -> Self {
        let ipv6 = matches!(address, Address::Ip(IpAddr::V6(_)));
        Self { ipv6, address }
    }

    /// Parses the value of a `c=` line. Only unicast `IN IP4`/`IN IP6` addresses are valid for
    /// MSRP (no multicast `/ttl` suffix).
    ///
    /// # Errors
    /// [`SdpErrorKind::MalformedConnection`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::MalformedConnection;
        let parts: Vec<&str> = value.split(' ').collect();
        let [net, addrtype, addr] = parts.as_slice() else {
            return Err(bad);
        };
        if *net != "IN" {
            return Err(bad);
        }
        let ipv6 = match *addrtype {
            "IP4" => false,
            "IP6" => true,
            _ => return Err(bad),
        };
        let address = if ipv6 {
            match addr.parse::<Ipv6Addr>() {
                Ok(ip) => Address::Ip(IpAddr::V6(ip)),
                Err(_) if is_domain_name(addr) => Address::Name((*addr).to_owned()),
                Err(_) => return Err(bad),
            }
        } else {
            match addr.parse::<Ipv4Addr>() {
                Ok(ip) => Address::Ip(IpAddr::V4(ip)),
                Err(_) if is_domain_name(addr) => Address::Name((*addr).to_owned()),
                Err(_) => return Err(bad),
            }
        };
        Ok(Self { ipv6, address })
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IN {} {}",
            if self.ipv6 { "IP6" } else { "IP4" },
            self.address
        )
    }
}

/// `a=setup` roles (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setup {
    /// Will open the connection.
    Active,
    /// Will accept the connection.
    Passive,
    /// Either; the answerer decides (offers only).
    ActPass,
    /// Not now. RFC 6135: never sent by MSRP, and ignored when received (R6135-004).
    HoldConn,
}

impl Setup {
    /// Parses the role (ASCII case-insensitive).
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidSetup`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let v = value.trim();
        Ok(if v.eq_ignore_ascii_case("active") {
            Self::Active
        } else if v.eq_ignore_ascii_case("passive") {
            Self::Passive
        } else if v.eq_ignore_ascii_case("actpass") {
            Self::ActPass
        } else if v.eq_ignore_ascii_case("holdconn") {
            Self::HoldConn
        } else {
            return Err(SdpErrorKind::InvalidSetup);
        })
    }

    /// The attribute value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Media direction attributes (RFC 3264 §5.1, RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Direction {
    /// `sendrecv` (the default).
    #[default]
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    /// Recognises a direction attribute name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::SendRecv,
            Self::SendOnly,
            Self::RecvOnly,
            Self::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// The attribute name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction an answer uses for an offered direction (RFC 3264 §6.1), given what the
    /// answerer itself wants.
    #[must_use]
    pub fn answer_to(offered: Self, wanted: Self) -> Self {
        let (can_send, can_recv) = match offered {
            Self::SendRecv => (true, true),
            Self::SendOnly => (false, true),
            Self::RecvOnly => (true, false),
            Self::Inactive => (false, false),
        };
        let (want_send, want_recv) = match wanted {
            Self::SendRecv => (true, true),
            Self::SendOnly => (true, false),
            Self::RecvOnly => (false, true),
            Self::Inactive => (false, false),
        };
        match (can_send && want_send, can_recv && want_recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }
}

/// `a=fingerprint:<hash-func> <HEX:HEX:…>` (RFC 8122 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function name as written (`sha-256`, `SHA-1`, …); compare case-insensitively.
    pub hash: String,
    /// The digest octets.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// Parses `<hash-func> <fingerprint>`. Lower-case hex is accepted (many implementations
    /// send it); output is upper case as the grammar requires.
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidFingerprint`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::InvalidFingerprint;
        let (hash, hex) = value.trim().split_once(' ').ok_or(bad.clone())?;
        if !is_token(hash) {
            return Err(bad);
        }
        let value = parse_hex_octets(hex.trim()).ok_or(bad)?;
        Ok(Self {
            hash: hash.into(),
            value,
        })
    }

    /// True when the hash function is MD2 or MD5, which must never be used (R8122-002).
    #[must_use]
    pub fn is_forbidden_hash(&self) -> bool {
        self.hash.eq_ignore_ascii_case("md5") || self.hash.eq_ignore_ascii_case("md2")
    }
}

/// `HH:HH:…` with two hex digits per octet.
pub(crate) fn parse_hex_octets(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        return None;
    }
    s.split(':')
        .map(|o| {
            if o.len() == 2 && o.bytes().all(|b| b.is_ascii_hexdigit()) {
                u8::from_str_radix(o, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

pub(crate) fn write_hex_octets(f: &mut fmt::Formatter<'_>, v: &[u8]) -> fmt::Result {
    for (i, b) in v.iter().enumerate() {
        if i > 0 {
            f.write_str(":")?;
        }
        write!(f, "{b:02X}")?;
    }
    Ok(())
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.hash)?;
        write_hex_octets(f, &self.value)
    }
}

/// One entry of `accept-types` / `accept-wrapped-types` (RFC 4975 §8.6): `*`, `type/*` or
/// `type/subtype` with optional parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormatEntry(String);

impl FormatEntry {
    /// Parses one entry.
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidFormatList`].
    pub fn parse(s: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::InvalidFormatList;
        if s == "*" {
            return Ok(Self(s.into()));
        }
        let mut parts = s.split(';');
        let main = parts.next().ok_or(bad.clone())?;
        let (t, st) = main.split_once('/').ok_or(bad.clone())?;
        if !is_token(t) || !(st == "*" || is_token(st)) {
            return Err(bad);
        }
        for p in parts {
            let (a, v) = p.split_once('=').ok_or(bad.clone())?;
            let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
            if !is_token(a) || !(is_token(v) || quoted) {
                return Err(bad);
            }
        }
        Ok(Self(s.into()))
    }

    /// The entry text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when this entry admits the media type `mime` (`type/subtype`, parameters ignored
    /// on both sides, R4975-185, R4975-191).
    #[must_use]
    pub fn admits(&self, mime: &str) -> bool {
        if self.0 == "*" {
            return true;
        }
        let strip = |s: &str| {
            s.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        };
        let (me, other) = (strip(&self.0), strip(mime));
        match (me.split_once('/'), other.split_once('/')) {
            (Some((t, "*")), Some((ot, _))) => t == ot,
            (Some(_), Some(_)) => me == other,
            _ => false,
        }
    }
}

impl fmt::Display for FormatEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a format list, splitting on runs of white space (lenient about the leading space and
/// double spaces in RFC examples, P-34).
///
/// # Errors
/// [`SdpErrorKind::InvalidFormatList`] for an empty list or a bad entry.
pub fn parse_format_list(value: &str) -> Result<Vec<FormatEntry>, SdpErrorKind> {
    let list: Vec<FormatEntry> = value
        .split_ascii_whitespace()
        .map(FormatEntry::parse)
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err(SdpErrorKind::InvalidFormatList);
    }
    Ok(list)
}
