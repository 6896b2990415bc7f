//! HTTP Digest headers as profiled by RFC 4976 §7 and §9.1: `WWW-Authenticate`,
//! `Authorization` and `Authentication-Info`.
//!
//! All three share [`ParamIter`], the comma-separated `name=value` tokenizer. Common
//! rules:
//!
//! * parameter names are case-insensitive; unknown parameters (`auth-param`, `domain`)
//!   are skipped (R4976-057);
//! * a known parameter given twice is [`HeaderError::DuplicateParameter`];
//! * an empty list element (`a="1",,b="2"`, a leading or trailing comma) is
//!   [`HeaderError::Syntax`] (erratum EID 1277);
//! * a value may be a token or a quoted string whatever the grammar prescribes (RFC 4976
//!   wants `qop` quoted in challenges and unquoted elsewhere, R4976-058; peers get it
//!   wrong); the writers emit the prescribed form;
//! * quoted values are returned as the raw text between the quotes, escapes not decoded
//!   (see the module documentation of [`super`]).

use super::{
    HeaderError,
    util::{self, Param, ParamIter},
};

/// Splits `Digest SP params`; any other scheme is [`HeaderError::UnknownValue`].
fn digest_params(v: &[u8]) -> Result<ParamIter<'_>, HeaderError> {
    let v = util::trim(v);
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    let s = core::str::from_utf8(v).map_err(|_| HeaderError::NonUtf8)?;
    let b = s.as_bytes();
    let end = b
        .iter()
        .position(|&c| !util::is_token_char(c))
        .unwrap_or(b.len());
    if end == 0 {
        return Err(HeaderError::Syntax);
    }
    if !b[..end].eq_ignore_ascii_case(b"Digest") {
        return Err(HeaderError::UnknownValue);
    }
    match b.get(end) {
        None => Ok(ParamIter::new("", b',', false)),
        Some(&c) if util::is_ws(c) => Ok(ParamIter::new(&s[end + 1..], b',', false)),
        Some(_) => Err(HeaderError::Syntax),
    }
}

fn params(v: &[u8]) -> Result<ParamIter<'_>, HeaderError> {
    let v = util::trim(v);
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    let s = core::str::from_utf8(v).map_err(|_| HeaderError::NonUtf8)?;
    Ok(ParamIter::new(s, b',', false))
}

fn value<'a>(p: &Param<'a>) -> &'a str {
    // The tokenizer is built with `allow_bare = false`, so a value is always present.
    p.value.unwrap_or("")
}

fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), HeaderError> {
    if slot.is_some() {
        return Err(HeaderError::DuplicateParameter);
    }
    *slot = Some(v);
    Ok(())
}

/// A value that must be a single token even if it was quoted (`qop` in credentials,
/// `algorithm`).
fn token<'a>(p: &Param<'a>) -> Result<&'a str, HeaderError> {
    let v = value(p);
    if util::is_token(v.as_bytes()) {
        Ok(v)
    } else {
        Err(HeaderError::Syntax)
    }
}

/// `*HEX` (`min_len` or more hex digits; upper case accepted).
fn hex<'a>(p: &Param<'a>, min_len: usize) -> Result<&'a str, HeaderError> {
    let v = value(p);
    if v.len() >= min_len && v.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(HeaderError::Syntax)
    }
}

/// `qop-list = qop-value *("," qop-value)` with optional white space.
fn qop_list_is_valid(v: &str) -> bool {
    v.split(',')
        .all(|t| util::is_token(util::trim(t.as_bytes())))
}

fn required<T>(v: Option<T>) -> Result<T, HeaderError> {
    v.ok_or(HeaderError::MissingParameter)
}

fn put_quoted(buf: &mut impl bytes::BufMut, name: &str, v: &str) {
    buf.put_slice(name.as_bytes());
    buf.put_slice(b"=\"");
    buf.put_slice(v.as_bytes());
    buf.put_u8(b'"');
}

fn put_token(buf: &mut impl bytes::BufMut, name: &str, v: &str) {
    buf.put_slice(name.as_bytes());
    buf.put_u8(b'=');
    buf.put_slice(v.as_bytes());
}

fn sep(buf: &mut impl bytes::BufMut) {
    buf.put_slice(b", ");
}

/// `WWW-Authenticate: Digest realm="..", qop="auth", nonce=".." [, opaque=".."]
/// [, stale=true] [, algorithm=MD5]` (RFC 4976 §7, sent in a 401 to AUTH).
///
/// `realm`, `nonce` and `qop` are required (EID 1277, R4976-058). `domain` and other
/// `auth-param`s are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestChallenge<'a> {
    /// Protection space (raw quoted text).
    pub realm: &'a str,
    /// Server nonce (raw quoted text).
    pub nonce: &'a str,
    /// The raw `qop-list` between the quotes, e.g. `auth` or `auth,auth-int`.
    pub qop: &'a str,
    /// Opaque value to echo back (raw quoted text).
    pub opaque: Option<&'a str>,
    /// `stale=true`: the nonce expired, retry without asking the user. Absent = `false`.
    pub stale: bool,
    /// Algorithm token (e.g. `MD5`); absent means MD5.
    pub algorithm: Option<&'a str>,
}

impl<'a> DigestChallenge<'a> {
    /// Parses a `WWW-Authenticate` value. The scheme `Digest` is matched
    /// case-insensitively; any other scheme is [`HeaderError::UnknownValue`]. `stale`
    /// accepts `true`/`false` in any case (quoted or not); anything else is
    /// [`HeaderError::UnknownValue`].
    pub fn parse(v: &'a [u8]) -> Result<Self, HeaderError> {
        let (mut realm, mut nonce, mut qop, mut opaque, mut stale, mut algorithm) =
            (None, None, None, None, None, None);
        for p in digest_params(v)? {
            let p = p?;
            let n = p.name;
            if n.eq_ignore_ascii_case("realm") {
                set(&mut realm, value(&p))?;
            } else if n.eq_ignore_ascii_case("nonce") {
                set(&mut nonce, value(&p))?;
            } else if n.eq_ignore_ascii_case("qop") {
                let q = value(&p);
                if !qop_list_is_valid(q) {
                    return Err(HeaderError::Syntax);
                }
                set(&mut qop, q)?;
            } else if n.eq_ignore_ascii_case("opaque") {
                set(&mut opaque, value(&p))?;
            } else if n.eq_ignore_ascii_case("stale") {
                let s = value(&p);
                let b = if s.eq_ignore_ascii_case("true") {
                    true
                } else if s.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(HeaderError::UnknownValue);
                };
                set(&mut stale, b)?;
            } else if n.eq_ignore_ascii_case("algorithm") {
                set(&mut algorithm, token(&p)?)?;
            }
        }
        Ok(Self {
            realm: required(realm)?,
            nonce: required(nonce)?,
            qop: required(qop)?,
            opaque,
            stale: stale.unwrap_or(false),
            algorithm,
        })
    }

    /// The tokens of the `qop` list, trimmed.
    pub fn qop_options(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.qop.split(',').map(|t| t.trim_matches([' ', '\t']))
    }

    /// Does the challenge offer `qop=auth` (the only qop RFC 4976 uses)?
    pub fn offers_auth(&self) -> bool {
        self.qop_options().any(|t| t.eq_ignore_ascii_case("auth"))
    }

    /// Writes `Digest realm="..", qop="..", nonce=".."[, opaque=".."][, stale=true]
    /// [, algorithm=..]` (the parameter order of RFC 4976 §5.1).
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(b"Digest ");
        put_quoted(buf, "realm", self.realm);
        sep(buf);
        put_quoted(buf, "qop", self.qop);
        sep(buf);
        put_quoted(buf, "nonce", self.nonce);
        if let Some(o) = self.opaque {
            sep(buf);
            put_quoted(buf, "opaque", o);
        }
        if self.stale {
            sep(buf);
            buf.put_slice(b"stale=true");
        }
        if let Some(a) = self.algorithm {
            sep(buf);
            put_token(buf, "algorithm", a);
        }
    }
}

/// `Authorization: Digest username="..", realm="..", nonce="..", [uri="..",] qop=auth,
/// nc=00000001, cnonce="..", response=".."` (RFC 4976 §7, sent in AUTH).
///
/// Required: `username`, `realm`, `nonce`, `response`, `qop`, `cnonce`, `nc` (EID 1277,
/// R4976-058/059). `uri` is optional: absent from RFC 4976's grammar and examples, present
/// in RFC 7977's (P-28). `response` must be hex digits (32 for MD5; any non-empty length is
/// accepted so other algorithms parse), `nc` exactly eight hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestCredentials<'a> {
    /// User name (raw quoted text).
    pub username: &'a str,
    /// Realm from the challenge (raw quoted text).
    pub realm: &'a str,
    /// Nonce from the challenge (raw quoted text).
    pub nonce: &'a str,
    /// Digest URI (raw quoted text); must equal the rightmost To-Path URI when present.
    pub uri: Option<&'a str>,
    /// The request digest (hex digits).
    pub response: &'a str,
    /// Algorithm token; absent means MD5.
    pub algorithm: Option<&'a str>,
    /// Client nonce (raw quoted text).
    pub cnonce: &'a str,
    /// Opaque value echoed from the challenge (raw quoted text).
    pub opaque: Option<&'a str>,
    /// The selected qop token (unquoted on the wire), normally `auth`.
    pub qop: &'a str,
    /// Nonce count (`nc`, eight hex digits on the wire).
    pub nc: u32,
}

impl<'a> DigestCredentials<'a> {
    /// Parses an `Authorization` value (see the type documentation for the rules).
    pub fn parse(v: &'a [u8]) -> Result<Self, HeaderError> {
        let mut username = None;
        let mut realm = None;
        let mut nonce = None;
        let mut uri = None;
        let mut response = None;
        let mut algorithm = None;
        let mut cnonce = None;
        let mut opaque = None;
        let mut qop = None;
        let mut nc = None;
        for p in digest_params(v)? {
            let p = p?;
            let n = p.name;
            if n.eq_ignore_ascii_case("username") {
                set(&mut username, value(&p))?;
            } else if n.eq_ignore_ascii_case("realm") {
                set(&mut realm, value(&p))?;
            } else if n.eq_ignore_ascii_case("nonce") {
                set(&mut nonce, value(&p))?;
            } else if n.eq_ignore_ascii_case("uri") {
                set(&mut uri, value(&p))?;
            } else if n.eq_ignore_ascii_case("response") {
                set(&mut response, hex(&p, 1)?)?;
            } else if n.eq_ignore_ascii_case("algorithm") {
                set(&mut algorithm, token(&p)?)?;
            } else if n.eq_ignore_ascii_case("cnonce") {
                set(&mut cnonce, value(&p))?;
            } else if n.eq_ignore_ascii_case("opaque") {
                set(&mut opaque, value(&p))?;
            } else if n.eq_ignore_ascii_case("qop") {
                set(&mut qop, token(&p)?)?;
            } else if n.eq_ignore_ascii_case("nc") {
                set(&mut nc, util::parse_hex8(value(&p).as_bytes())?)?;
            }
        }
        Ok(Self {
            username: required(username)?,
            realm: required(realm)?,
            nonce: required(nonce)?,
            uri,
            response: required(response)?,
            algorithm,
            cnonce: required(cnonce)?,
            opaque,
            qop: required(qop)?,
            nc: required(nc)?,
        })
    }

    /// Writes `Digest username="..", realm="..", nonce="..", [uri="..", ]qop=..,
    /// nc=xxxxxxxx, cnonce="..", response=".."[, algorithm=..][, opaque=".."]` — the
    /// parameter order of RFC 4976 §5.1, `uri` quoted (R4976-062), `qop` unquoted.
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(b"Digest ");
        put_quoted(buf, "username", self.username);
        sep(buf);
        put_quoted(buf, "realm", self.realm);
        sep(buf);
        put_quoted(buf, "nonce", self.nonce);
        if let Some(u) = self.uri {
            sep(buf);
            put_quoted(buf, "uri", u);
        }
        sep(buf);
        put_token(buf, "qop", self.qop);
        sep(buf);
        buf.put_slice(b"nc=");
        util::put_hex8(buf, self.nc);
        sep(buf);
        put_quoted(buf, "cnonce", self.cnonce);
        sep(buf);
        put_quoted(buf, "response", self.response);
        if let Some(a) = self.algorithm {
            sep(buf);
            put_token(buf, "algorithm", a);
        }
        if let Some(o) = self.opaque {
            sep(buf);
            put_quoted(buf, "opaque", o);
        }
    }
}

/// `Authentication-Info: ainfo *("," ainfo)` with `nextnonce`, `qop`, `rspauth`,
/// `cnonce`, `nc` (RFC 4976 §7, sent in a 200 to AUTH).
///
/// Every field is optional at the syntax level; RFC 4976 requires `rspauth`, `cnonce`,
/// `nc` and `qop` in every 200 to AUTH (R4976-061) — check with
/// [`AuthenticationInfo::require_rfc4976`]. Commas with or without SP are accepted (E-13).
/// Unknown parameters are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthenticationInfo<'a> {
    /// Nonce for the next AUTH (raw quoted text).
    pub nextnonce: Option<&'a str>,
    /// qop token (unquoted on the wire).
    pub qop: Option<&'a str>,
    /// Response digest proving the relay knows the secret (`*LHEX`, may be empty).
    pub rspauth: Option<&'a str>,
    /// Client nonce echoed back (raw quoted text).
    pub cnonce: Option<&'a str>,
    /// Nonce count echoed back.
    pub nc: Option<u32>,
}

impl<'a> AuthenticationInfo<'a> {
    /// Parses an `Authentication-Info` value. At least one parameter is needed (an empty
    /// value is [`HeaderError::Empty`]).
    pub fn parse(v: &'a [u8]) -> Result<Self, HeaderError> {
        let mut info = Self::default();
        for p in params(v)? {
            let p = p?;
            let n = p.name;
            if n.eq_ignore_ascii_case("nextnonce") {
                set(&mut info.nextnonce, value(&p))?;
            } else if n.eq_ignore_ascii_case("qop") {
                set(&mut info.qop, token(&p)?)?;
            } else if n.eq_ignore_ascii_case("rspauth") {
                set(&mut info.rspauth, hex(&p, 0)?)?;
            } else if n.eq_ignore_ascii_case("cnonce") {
                set(&mut info.cnonce, value(&p))?;
            } else if n.eq_ignore_ascii_case("nc") {
                set(&mut info.nc, util::parse_hex8(value(&p).as_bytes())?)?;
            }
        }
        Ok(info)
    }

    /// Checks that `rspauth`, `cnonce`, `nc` and `qop` are present (R4976-061);
    /// otherwise [`HeaderError::MissingParameter`].
    pub const fn require_rfc4976(&self) -> Result<(), HeaderError> {
        if self.rspauth.is_some()
            && self.cnonce.is_some()
            && self.nc.is_some()
            && self.qop.is_some()
        {
            Ok(())
        } else {
            Err(HeaderError::MissingParameter)
        }
    }

    /// Writes the present fields in the order `nextnonce, rspauth, cnonce, nc, qop`
    /// (RFC 4976 §5.1), separated by `", "`. Writes nothing if no field is set.
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        let mut first = true;
        let mut next = |buf: &mut _| {
            if !core::mem::take(&mut first) {
                sep(buf);
            }
        };
        if let Some(v) = self.nextnonce {
            next(buf);
            put_quoted(buf, "nextnonce", v);
        }
        if let Some(v) = self.rspauth {
            next(buf);
            put_quoted(buf, "rspauth", v);
        }
        if let Some(v) = self.cnonce {
            next(buf);
            put_quoted(buf, "cnonce", v);
        }
        if let Some(v) = self.nc {
            next(buf);
            buf.put_slice(b"nc=");
            util::put_hex8(buf, v);
        }
        if let Some(v) = self.qop {
            next(buf);
            put_token(buf, "qop", v);
        }
    }
}
