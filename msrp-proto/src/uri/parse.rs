//! The MSRP-URI parser (RFC 4975 §9 with RFC 3986 `authority`, corrected per digest G-5/G-6).
//!
//! One left-to-right pass over ASCII bytes; no allocation.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{HostKind, MAX_URI_LEN, Parts, Scheme, Span, UriError};

/// How much sloppiness to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// The corrected RFC grammar (a host name may lack a port, a numeric IP may not).
    Strict,
    /// Also: unbracketed IPv6 (last `:` = port separator), numeric IP without port.
    Lenient,
}

/// Wire bytes to `&str`, rejecting any octet ≥ 0x80 (R4975-042).
pub(super) fn ascii_str(b: &[u8]) -> Result<&str, UriError> {
    if !b.is_ascii() {
        return Err(UriError::NonAscii);
    }
    core::str::from_utf8(b).map_err(|_| UriError::NonAscii)
}

/// RFC 3986 `unreserved`.
pub(super) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `sub-delims`.
const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// RFC 4975 `token` characters.
const fn is_token_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
}

/// The value of an ASCII hex digit.
pub(super) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks `*( unreserved / pct-encoded / sub-delims [/ ":"] )`; `bad` is the error for a
/// disallowed character, `colon` the error for `:` (`None` = allowed).
fn check_pchars(s: &[u8], bad: UriError, colon: Option<UriError>) -> Result<(), UriError> {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            match (
                s.get(i + 1).copied().and_then(hex_val),
                s.get(i + 2).copied().and_then(hex_val),
            ) {
                (Some(_), Some(_)) => i += 3,
                _ => return Err(UriError::BadPercentEncoding),
            }
            continue;
        }
        if b == b':' {
            if let Some(e) = colon {
                return Err(e);
            }
        } else if !(is_unreserved(b) || is_sub_delim(b)) {
            return Err(bad);
        }
        i += 1;
    }
    Ok(())
}

/// RFC 3986 `port = *DIGIT`, but non-empty and ≤ 65535.
fn parse_port(s: &str) -> Result<u16, UriError> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UriError::BadPort);
    }
    let v = s
        .bytes()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    u16::try_from(v).map_err(|_| UriError::BadPort)
}

/// RFC 3986 `IPv4address` (dec-octets without leading zeros). Anything else that looks
/// numeric is a `reg-name`, as RFC 3986 §3.2.2 says.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        octets[n] = part.parse().ok()?;
        n += 1;
    }
    (n == 4).then(|| Ipv4Addr::from(octets))
}

/// An IPv6 literal's text (inside brackets or recovered), with no zone id.
fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    // std's parser accepts exactly the RFC 4291 text forms RFC 3986 `IPv6address` lists.
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return None;
    }
    s.parse().ok()
}

struct HostPort {
    host: Span,
    kind: HostKind,
    port: Option<u16>,
}

/// Parses `host [":" port]` occupying `s[start..end]`.
fn parse_hostport(s: &str, start: usize, end: usize, mode: Mode) -> Result<HostPort, UriError> {
    let hp = &s[start..end];
    if hp.is_empty() {
        return Err(UriError::EmptyHost);
    }
    if let Some(inner) = hp.strip_prefix('[') {
        let close = inner.find(']').ok_or(UriError::BadIpv6)?;
        let lit = &inner[..close];
        if lit.starts_with(['v', 'V']) {
            return Err(UriError::IpvFuture);
        }
        if lit.is_empty() {
            return Err(UriError::EmptyHost);
        }
        let addr = parse_ipv6(lit).ok_or(UriError::BadIpv6)?;
        let after = &inner[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(UriError::BadHost),
        };
        let host = Span::new(start + 1, start + 1 + close);
        return Ok(HostPort {
            host,
            kind: HostKind::V6(addr),
            port,
        });
    }

    let colons = hp.bytes().filter(|&b| b == b':').count();
    if colons >= 2 {
        // `2001:db8::1:51444` — RFC 8873 §4.8 prints these; RFC 3986 cannot parse them.
        if mode == Mode::Strict {
            return Err(
                if hp
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                {
                    UriError::UnbracketedIpv6
                } else {
                    UriError::BadHost
                },
            );
        }
        let last = hp.rfind(':').unwrap_or(0);
        if let (Some(addr), Ok(port)) = (parse_ipv6(&hp[..last]), parse_port(&hp[last + 1..])) {
            let host = Span::new(start, start + last);
            return Ok(HostPort {
                host,
                kind: HostKind::V6(addr),
                port: Some(port),
            });
        }
        if let Some(addr) = parse_ipv6(hp) {
            return Ok(HostPort {
                host: Span::new(start, end),
                kind: HostKind::V6(addr),
                port: None,
            });
        }
        return Err(UriError::BadIpv6);
    }

    let (name, port) = match hp.find(':') {
        Some(i) => (&hp[..i], Some(parse_port(&hp[i + 1..]))),
        None => (hp, None),
    };
    if name.is_empty() {
        return Err(UriError::EmptyHost);
    }
    // ';' cannot occur here: the authority already ended at the first ';' (G-5).
    check_pchars(name.as_bytes(), UriError::BadHost, Some(UriError::BadHost))?;
    let port = port.transpose()?;
    let kind = parse_ipv4(name).map_or(HostKind::Name, HostKind::V4);
    Ok(HostPort {
        host: Span::new(start, start + name.len()),
        kind,
        port,
    })
}

/// Character classes for the fast path, one table lookup per byte.
const C_HOST: u8 = 1; // unreserved / sub-delims except ';' (a reg-name character)
const C_SID: u8 = 2; // session-id: unreserved / "+" / "=" / "/"
const C_ALNUM: u8 = 4; // transport
const C_DIGIT_DOT: u8 = 8; // could be part of an IPv4 literal

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut v = 0;
        if (is_unreserved(c) || is_sub_delim(c)) && c != b';' {
            v |= C_HOST;
        }
        if is_unreserved(c) || matches!(c, b'+' | b'=' | b'/') {
            v |= C_SID;
        }
        if c.is_ascii_alphanumeric() {
            v |= C_ALNUM;
        }
        if c.is_ascii_digit() || c == b'.' {
            v |= C_DIGIT_DOT;
        }
        t[b] = v;
        b += 1;
    }
    t
};

/// Advances `i` over bytes of class `class`, four at a time while four remain (one
/// bounds check per four bytes: URI parts are a few dozen bytes long).
#[inline]
fn skip(b: &[u8], mut i: usize, class: u8) -> usize {
    let is = |c: u8| CLASS[c as usize] & class != 0;
    while let Some(&[c0, c1, c2, c3]) = b.get(i..i + 4) {
        if !is(c0) {
            return i;
        }
        if !is(c1) {
            return i + 1;
        }
        if !is(c2) {
            return i + 2;
        }
        if !is(c3) {
            return i + 3;
        }
        i += 4;
    }
    while i < b.len() && is(b[i]) {
        i += 1;
    }
    i
}

/// The common shape `msrp[s]://name[:port][/session-id];transport` in one table-driven
/// pass, ending at the end of `b` or at the first SP/HTAB (so a path value needs no
/// separate split). Returns the parts and the URI's length, or `None` for anything else
/// (userinfo, IPv6, percent-encoding, URI parameters, every error): the general parser
/// decides those, so both always agree.
#[inline(always)]
pub(super) fn parse_common(b: &[u8], mode: Mode) -> Option<(Parts, usize)> {
    // The scheme as one word: `| 0x20` on the letter bytes only is an exact case fold
    // (only `M` and `m` fold to `m`, …); `:` and `/` are compared as they are.
    let head = match b.get(..8) {
        Some(h) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(h);
            u64::from_le_bytes(w)
        }
        None => return None,
    };
    let (scheme, mut i) = if b.len() > 7
        && (head | 0x2020_2020) & 0x00ff_ffff_ffff_ffff == u64::from_le_bytes(*b"msrp://\0")
    {
        (Scheme::Msrp, 7)
    } else if b.len() > 8 && head | 0x20_2020_2020 == u64::from_le_bytes(*b"msrps://") {
        (Scheme::Msrps, 8)
    } else {
        return None;
    };
    let host_start = i;
    i = skip(b, i, C_HOST);
    if i == host_start {
        return None;
    }
    let host = Span::new(host_start, i);
    // Host names almost never start with a digit; only then look closer.
    let digit_dot = b[host_start].is_ascii_digit()
        && b[host_start..i]
            .iter()
            .all(|&c| CLASS[c as usize] & C_DIGIT_DOT != 0);
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let p_start = i + 1;
        i = p_start;
        let mut v: u32 = 0;
        while i < b.len() && b[i].is_ascii_digit() && i - p_start < 5 {
            v = v * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        if i == p_start || v > u32::from(u16::MAX) {
            return None;
        }
        port = Some(v as u16);
    }
    let host_kind = if digit_dot {
        // Rare: a numeric host. Only a real dotted quad is an address (RFC 3986 §3.2.2).
        let text = core::str::from_utf8(&b[host.start as usize..host.end as usize]).ok()?;
        match parse_ipv4(text) {
            Some(a) if port.is_some() || mode == Mode::Lenient => HostKind::V4(a),
            Some(_) => return None,
            None => HostKind::Name,
        }
    } else {
        HostKind::Name
    };
    let session_id = if b.get(i) == Some(&b'/') {
        let start = i + 1;
        i = skip(b, start, C_SID);
        if i == start {
            return None;
        }
        Some(Span::new(start, i))
    } else {
        None
    };
    if b.get(i) != Some(&b';') {
        return None;
    }
    let t_start = i + 1;
    i = skip(b, t_start, C_ALNUM);
    if i == t_start || i > MAX_URI_LEN || !matches!(b.get(i), None | Some(b' ' | b'\t')) {
        return None;
    }
    let parts = Parts {
        scheme,
        userinfo: None,
        host,
        host_kind,
        port,
        session_id,
        transport: Span::new(t_start, i),
        params: Span::new(i, i),
    };
    Some((parts, i))
}

/// Parses a whole MSRP-URI.
pub(super) fn parse(s: &str, mode: Mode) -> Result<Parts, UriError> {
    if let Some((parts, len)) = parse_common(s.as_bytes(), mode)
        && len == s.len()
    {
        return Ok(parts);
    }
    parse_general(s, mode)
}

/// The general parser: every form the grammar allows, and the precise error otherwise.
pub(super) fn parse_general(s: &str, mode: Mode) -> Result<Parts, UriError> {
    if s.is_empty() {
        return Err(UriError::Empty);
    }
    if s.len() > MAX_URI_LEN {
        return Err(UriError::TooLong);
    }
    if !s.is_ascii() {
        return Err(UriError::NonAscii);
    }
    let b = s.as_bytes();

    // msrp-scheme "://" (ABNF literals are case-insensitive)
    let sep = s.find("://").ok_or(UriError::BadScheme)?;
    let scheme = match &s[..sep] {
        x if x.eq_ignore_ascii_case("msrp") => Scheme::Msrp,
        x if x.eq_ignore_ascii_case("msrps") => Scheme::Msrps,
        _ => return Err(UriError::BadScheme),
    };

    // authority: up to the first '/' or ';' (G-5)
    let auth_start = sep + 3;
    let auth_end = b[auth_start..]
        .iter()
        .position(|&c| c == b'/' || c == b';')
        .map_or(b.len(), |i| auth_start + i);
    let (userinfo, host_start) = match s[auth_start..auth_end].find('@') {
        Some(at) => {
            let ui = &b[auth_start..auth_start + at];
            check_pchars(
                ui,
                UriError::BadUserinfo,
                Some(UriError::PasswordInUserinfo),
            )?;
            (
                Some(Span::new(auth_start, auth_start + at)),
                auth_start + at + 1,
            )
        }
        None => (None, auth_start),
    };
    let hp = parse_hostport(s, host_start, auth_end, mode)?;
    if hp.port.is_none() && hp.kind != HostKind::Name && mode == Mode::Strict {
        return Err(UriError::IpWithoutPort);
    }

    // ["/" session-id], ending at the first ';' (G-6)
    let mut i = auth_end;
    let session_id = if b.get(i) == Some(&b'/') {
        let sid_start = i + 1;
        let sid_end = b[sid_start..]
            .iter()
            .position(|&c| c == b';')
            .map_or(b.len(), |j| sid_start + j);
        let sid = &b[sid_start..sid_end];
        if sid.is_empty()
            || !sid
                .iter()
                .all(|&c| is_unreserved(c) || matches!(c, b'+' | b'=' | b'/'))
        {
            return Err(UriError::BadSessionId);
        }
        i = sid_end;
        Some(Span::new(sid_start, sid_end))
    } else {
        None
    };

    // ";" transport
    if b.get(i) != Some(&b';') {
        return Err(UriError::MissingTransport);
    }
    let t_start = i + 1;
    let t_end = b[t_start..]
        .iter()
        .position(|&c| c == b';')
        .map_or(b.len(), |j| t_start + j);
    let transport = &b[t_start..t_end];
    if transport.is_empty() {
        return Err(UriError::MissingTransport);
    }
    if !transport.iter().all(u8::is_ascii_alphanumeric) {
        return Err(UriError::BadTransport);
    }

    // *( ";" URI-parameter ), URI-parameter = token ["=" token]
    let params = &s[t_end..];
    if !params.is_empty() {
        for p in params[1..].split(';') {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            let is_token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
            if !is_token(name) || !value.is_none_or(is_token) {
                return Err(UriError::BadParam);
            }
        }
    }

    Ok(Parts {
        scheme,
        userinfo,
        host: hp.host,
        host_kind: hp.kind,
        port: hp.port,
        session_id,
        transport: Span::new(t_start, t_end),
        params: Span::new(t_end, b.len()),
    })
}
