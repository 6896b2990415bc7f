//! Status codes (RFC 4975 §10, RFC 4976, RFC 7701) and the `Status` header (RFC 4975
//! §7.1.3).

use super::{HeaderError, util};

/// An MSRP status code (`3DIGIT`), as used on response start lines and in the `Status`
/// header.
///
/// Any three-digit value is representable; the associated constants name the codes of
/// the IANA "MSRP Parameters / Status Codes" registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// `200` — the transaction succeeded (RFC 4975 §10.1).
    pub const OK: Self = Self(200);
    /// `400` — the request was unintelligible (RFC 4975 §10.2).
    pub const BAD_REQUEST: Self = Self(400);
    /// `401` — authentication required or failed (RFC 4976 §10.3).
    pub const UNAUTHORIZED: Self = Self(401);
    /// `403` — the action is not allowed (RFC 4975 §10.3).
    pub const FORBIDDEN: Self = Self(403);
    /// `404` — the recipient's URI could not be resolved (RFC 7701 §10.3).
    pub const NOT_FOUND: Self = Self(404);
    /// `408` — a downstream transaction did not complete in time (RFC 4975 §10.4).
    pub const REQUEST_TIMEOUT: Self = Self(408);
    /// `413` — stop sending this message (RFC 4975 §10.5).
    pub const STOP_SENDING: Self = Self(413);
    /// `415` — the media type is not understood (RFC 4975 §10.6).
    pub const UNSUPPORTED_MEDIA_TYPE: Self = Self(415);
    /// `423` — a parameter is out of bounds, e.g. `Expires` (RFC 4975 §10.7, RFC 4976).
    pub const PARAMETER_OUT_OF_BOUNDS: Self = Self(423);
    /// `424` — malformed nickname (RFC 7701 §10.3).
    pub const MALFORMED_NICKNAME: Self = Self(424);
    /// `425` — nickname reserved or already in use (RFC 7701 §10.3).
    pub const NICKNAME_IN_USE: Self = Self(425);
    /// `428` — private messages not supported (RFC 7701 §10.3).
    pub const PRIVATE_MESSAGES_NOT_SUPPORTED: Self = Self(428);
    /// `481` — the session does not exist (RFC 4975 §10.8).
    pub const SESSION_DOES_NOT_EXIST: Self = Self(481);
    /// `501` — the request method is not understood (RFC 4975 §10.9).
    pub const METHOD_NOT_UNDERSTOOD: Self = Self(501);
    /// `506` — the session is already bound to another connection (RFC 4975 §10.10).
    pub const SESSION_ALREADY_IN_USE: Self = Self(506);

    /// The default comment (reason phrase) to send with this code.
    ///
    /// Registered codes get the phrase used in the RFC examples where there is one
    /// (`OK`, `Unauthorized`, `Nickname reserved or already in use`); other codes fall back
    /// to a phrase for their class. Received comments are free text and must never be
    /// interpreted.
    pub const fn reason(self) -> &'static str {
        match self.0 {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            408 => "Request Timeout",
            413 => "Stop Sending Message",
            415 => "Unsupported Media Type",
            423 => "Parameter Out Of Bounds",
            424 => "Malformed Nickname",
            425 => "Nickname reserved or already in use",
            428 => "Private Messages Not Supported",
            481 => "Session Does Not Exist",
            501 => "Method Not Understood",
            506 => "Session Already In Use",
            n => match n / 100 {
                2 => "Success",
                4 => "Client Error",
                5 => "Server Error",
                _ => "Unknown",
            },
        }
    }

    /// Is this a 2xx (success) code?
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 <= 299
    }

    /// Parses exactly three ASCII digits (`status-code = 3DIGIT`). No white space is
    /// skipped: this is also the start-line parser.
    pub fn parse(b: &[u8]) -> Result<Self, HeaderError> {
        match b {
            [] => Err(HeaderError::Empty),
            [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => Ok(
                Self(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')),
            ),
            _ => Err(HeaderError::Syntax),
        }
    }

    /// Writes the code as three digits (values above 999 in full).
    pub fn write(self, buf: &mut impl bytes::BufMut) {
        util::put_3digits(buf, self.0);
    }
}

impl core::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// The `Status` header of a REPORT: `namespace SP status-code [SP comment]`
/// (RFC 4975 §7.1.3, e.g. `000 200 OK`).
///
/// Only namespace `000` (MSRP response codes) is defined; other namespaces parse fine and
/// are left to the caller to ignore (P-23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status<'a> {
    /// The namespace (`000` for MSRP response codes).
    pub namespace: u16,
    /// The status code.
    pub code: StatusCode,
    /// The free-text comment, if any (`utf8text`, never empty when parsed).
    pub comment: Option<&'a str>,
}

impl<'a> Status<'a> {
    /// A `000` status with the code's default comment.
    pub const fn msrp(code: StatusCode) -> Self {
        Self {
            namespace: 0,
            code,
            comment: Some(code.reason()),
        }
    }

    /// Parses `namespace SP status-code [SP comment]`.
    ///
    /// Lenient: runs of SP/HTAB are accepted between the parts, and a trailing SP with an
    /// empty comment (G-8) yields `comment: None`. The comment must be valid UTF-8
    /// ([`HeaderError::NonUtf8`]) without control characters other than HTAB
    /// ([`HeaderError::Syntax`]).
    pub fn parse(v: &'a [u8]) -> Result<Self, HeaderError> {
        let v = util::trim(v);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let s = util::utf8text(v)?;
        let b = s.as_bytes();
        let (ns, rest) = b.split_at_checked(3).ok_or(HeaderError::Syntax)?;
        let namespace = StatusCode::parse(ns)?.0;
        let code_start = rest
            .iter()
            .position(|&c| !util::is_ws(c))
            .ok_or(HeaderError::Syntax)?;
        if code_start == 0 {
            return Err(HeaderError::Syntax);
        }
        let rest = &rest[code_start..];
        let (code, rest) = rest.split_at_checked(3).ok_or(HeaderError::Syntax)?;
        let code = StatusCode::parse(code)?;
        let comment = match rest.first() {
            None => None,
            Some(&c) if util::is_ws(c) => {
                // `v` is trimmed, so a non-white-space character follows.
                let skip = rest
                    .iter()
                    .position(|&c| !util::is_ws(c))
                    .unwrap_or(rest.len());
                let start = s.len() - rest.len() + skip;
                s.get(start..).filter(|c| !c.is_empty())
            }
            Some(_) => return Err(HeaderError::Syntax),
        };
        Ok(Self {
            namespace,
            code,
            comment,
        })
    }

    /// Writes `namespace SP status-code [SP comment]`; an empty comment is omitted.
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        util::put_3digits(buf, self.namespace);
        buf.put_u8(b' ');
        self.code.write(buf);
        if let Some(c) = self.comment.filter(|c| !c.is_empty()) {
            buf.put_u8(b' ');
            buf.put_slice(c.as_bytes());
        }
    }
}
