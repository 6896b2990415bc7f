//! `message/cpim` (RFC 3862), the envelope MSRP endpoints must support (RFC 4975 §13,
//! R4975-222): a parser that borrows from the received document and a builder for the
//! documents we send.
//!
//! A CPIM document is a block of message headers (`From`, `To`, `cc`, `DateTime`,
//! `Subject`, `NS`, `Require`, and extension headers behind an `NS` prefix), an empty
//! line, the encapsulated MIME headers (`Content-Type`, …), an empty line and the
//! content. RFC 4975's own example (§11.4) runs the two header blocks together; the
//! parser accepts that too: `Content-*` lines in the first block are then the MIME
//! headers.
//!
//! Wrapping happens before chunking (R4975-223): build the whole document, then send it
//! as the body of a `message/cpim` message; Byte-Range counts the whole document and the
//! CPIM headers travel in the first chunk only.
//!
//! ```
//! use msrp_proto::cpim::{Cpim, CpimBuilder};
//!
//! let doc = CpimBuilder::new("Alice <sip:alice@example.com>", "Bob <sip:bob@example.com>")
//!     .date_time("2006-05-15T15:02:31-03:00")
//!     .build("text/plain", b"Hello")?;
//! let cpim = Cpim::parse(&doc)?;
//! assert_eq!(cpim.from(), Some("Alice <sip:alice@example.com>"));
//! assert_eq!(cpim.to().collect::<Vec<_>>(), ["Bob <sip:bob@example.com>"]);
//! assert_eq!(cpim.content_type(), Some("text/plain"));
//! assert_eq!(cpim.body(), b"Hello");
//! # Ok::<(), msrp_proto::cpim::CpimError>(())
//! ```

use bytes::{BufMut, Bytes, BytesMut};
use smallvec::SmallVec;

/// Most header lines (message and MIME headers together) [`Cpim::parse`] takes; a
/// document with more is refused before anything is stored beyond this many entries.
pub const DEFAULT_MAX_HEADERS: usize = 64;

/// Headers that may appear more than once (R4975-226; RFC 3862 §5.3 lets `Subject`
/// repeat once per language).
const REPEATABLE: [&str; 4] = ["To", "cc", "NS", "Subject"];
/// The headers RFC 3862 defines (the others are extensions behind an NS prefix).
const KNOWN: [&str; 7] = ["From", "To", "cc", "DateTime", "Subject", "NS", "Require"];

/// Why a CPIM document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CpimError {
    /// No empty line ends the message headers (or the MIME headers).
    Truncated,
    /// Header line `n` (0-based) is not `Name: value`.
    BadHeaderLine(usize),
    /// A header that may appear once appeared again (R4975-226).
    Repeated(&'static str),
    /// More header lines than the limit.
    TooManyHeaders,
    /// A document we build needs `From` and at least one `To` (R4975-225).
    MissingFromOrTo,
    /// A value for a document we build holds CR or LF, or a name is not a token.
    BadValue,
}

impl core::fmt::Display for CpimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Truncated => f.write_str("CPIM: missing the empty line after the headers"),
            Self::BadHeaderLine(n) => write!(f, "CPIM: header line {n} is not `Name: value`"),
            Self::Repeated(h) => write!(f, "CPIM: {h} appears more than once"),
            Self::TooManyHeaders => f.write_str("CPIM: too many headers"),
            Self::MissingFromOrTo => f.write_str("CPIM: From and To are required"),
            Self::BadValue => f.write_str("CPIM: a header name or value is malformed"),
        }
    }
}

impl std::error::Error for CpimError {}

type Headers<'a> = SmallVec<[(&'a str, &'a str); 8]>;

/// A parsed CPIM document, borrowing from the bytes it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpim<'a> {
    headers: Headers<'a>,
    content: Headers<'a>,
    body: &'a [u8],
}

impl<'a> Cpim<'a> {
    /// Parses `doc` with at most [`DEFAULT_MAX_HEADERS`] header lines.
    ///
    /// # Errors
    /// See [`CpimError`].
    pub fn parse(doc: &'a [u8]) -> Result<Self, CpimError> {
        Self::parse_with_limit(doc, DEFAULT_MAX_HEADERS)
    }

    /// Parses `doc` with at most `max_headers` header lines in both blocks together.
    ///
    /// # Errors
    /// See [`CpimError`].
    pub fn parse_with_limit(doc: &'a [u8], max_headers: usize) -> Result<Self, CpimError> {
        let mut count = 0;
        let (first, rest) = block(doc, &mut count, max_headers)?;
        let mut headers = Headers::new();
        let mut content = Headers::new();
        // RFC 4975 §11.4 runs both blocks together: Content-* lines are then the MIME
        // headers and the rest is the body.
        let combined = first.iter().any(|(n, _)| is_content(n));
        let body = if combined {
            for h in first {
                if is_content(h.0) {
                    content.push(h);
                } else {
                    headers.push(h);
                }
            }
            rest
        } else {
            headers = first;
            let (second, body) = block(rest, &mut count, max_headers)?;
            content = second;
            body
        };
        for (i, name) in KNOWN.iter().enumerate() {
            if REPEATABLE.contains(name) {
                continue;
            }
            if headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .count()
                > 1
            {
                return Err(CpimError::Repeated(KNOWN[i]));
            }
        }
        Ok(Self {
            headers,
            content,
            body,
        })
    }

    /// The first value of message header `name` (case-insensitive; an extension header
    /// is named with its NS prefix, `Prefix.Name`).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// Every value of message header `name`, in order.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// `From` (R4975-224).
    #[must_use]
    pub fn from(&self) -> Option<&'a str> {
        self.header("From")
    }

    /// Every `To` (R4975-224).
    pub fn to(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.all("To")
    }

    /// Every `cc`.
    pub fn cc(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.all("cc")
    }

    /// `DateTime` (R4975-224), as written (RFC 3339).
    #[must_use]
    pub fn date_time(&self) -> Option<&'a str> {
        self.header("DateTime")
    }

    /// Every `Subject` (one per language).
    pub fn subject(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.all("Subject")
    }

    /// The name space declarations: (prefix, URI) of every `NS: prefix <uri>`.
    pub fn ns(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.all("NS").filter_map(|v| {
            let (prefix, uri) = v.split_once('<')?;
            Some((prefix.trim(), uri.trim_end().strip_suffix('>')?))
        })
    }

    /// The header names listed in `Require` (several values, comma-separated).
    pub fn require(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.all("Require")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// The first `Require`d header this receiver does not understand, given the
    /// extension headers it does (the RFC 3862 ones are always understood).
    #[must_use]
    pub fn unsupported_required(&self, understood: &[&str]) -> Option<&'a str> {
        self.require().find(|r| {
            !KNOWN
                .iter()
                .chain(understood)
                .any(|k| k.eq_ignore_ascii_case(r))
        })
    }

    /// A MIME header of the encapsulated content (e.g. `Content-Type`).
    #[must_use]
    pub fn content_header(&self, name: &str) -> Option<&'a str> {
        self.content
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The encapsulated content's Content-Type.
    #[must_use]
    pub fn content_type(&self) -> Option<&'a str> {
        self.content_header("Content-Type")
    }

    /// The encapsulated content.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

fn is_content(name: &str) -> bool {
    name.len() > 8 && name[..8].eq_ignore_ascii_case("content-")
}

/// One header block up to its empty line: (headers, what follows the empty line).
fn block<'a>(
    doc: &'a [u8],
    count: &mut usize,
    max: usize,
) -> Result<(Headers<'a>, &'a [u8]), CpimError> {
    let mut out = Headers::new();
    let mut at = 0;
    loop {
        let rest = &doc[at..];
        let end = memchr::memmem::find(rest, b"\r\n").ok_or(CpimError::Truncated)?;
        let line = &rest[..end];
        at += end + 2;
        if line.is_empty() {
            return Ok((out, &doc[at..]));
        }
        if *count >= max {
            return Err(CpimError::TooManyHeaders);
        }
        let n = *count;
        *count += 1;
        let line = core::str::from_utf8(line).map_err(|_| CpimError::BadHeaderLine(n))?;
        let (name, value) = line.split_once(':').ok_or(CpimError::BadHeaderLine(n))?;
        if name.is_empty() || !name.bytes().all(is_name_byte) {
            return Err(CpimError::BadHeaderLine(n));
        }
        out.push((name, value.trim()));
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._".contains(&b)
}

/// Builds a CPIM document to send: `From` and at least one `To` are required
/// (R4975-225); values may not hold CR or LF.
#[derive(Debug, Clone)]
pub struct CpimBuilder {
    headers: Vec<(String, String)>,
}

impl CpimBuilder {
    /// A document from `from` to `to` (e.g. `Alice <sip:alice@example.com>`).
    #[must_use]
    pub fn new(from: &str, to: &str) -> Self {
        Self {
            headers: vec![("From".into(), from.into()), ("To".into(), to.into())],
        }
    }

    /// Another recipient.
    #[must_use]
    pub fn to(self, to: &str) -> Self {
        self.header("To", to)
    }

    /// A `cc` recipient.
    #[must_use]
    pub fn cc(self, cc: &str) -> Self {
        self.header("cc", cc)
    }

    /// `DateTime` (RFC 3339; required when the content is S/MIME protected, R4975-225).
    #[must_use]
    pub fn date_time(self, rfc3339: &str) -> Self {
        self.header("DateTime", rfc3339)
    }

    /// A `Subject`.
    #[must_use]
    pub fn subject(self, subject: &str) -> Self {
        self.header("Subject", subject)
    }

    /// Declares name space `prefix` as `uri` (for extension headers `prefix.Name`).
    #[must_use]
    pub fn ns(self, prefix: &str, uri: &str) -> Self {
        let v = format!("{prefix} <{uri}>");
        self.header("NS", &v)
    }

    /// Any other header (an extension: name it `Prefix.Name` after [`ns`](Self::ns)).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The whole document around `body` of `content_type`.
    ///
    /// # Errors
    /// [`CpimError::MissingFromOrTo`] for an empty From or To, [`CpimError::BadValue`]
    /// for CR/LF in a value or a malformed name, [`CpimError::Repeated`] for a second
    /// `From`, `DateTime` or `Require`.
    pub fn build(&self, content_type: &str, body: &[u8]) -> Result<Bytes, CpimError> {
        let has = |n: &str| {
            self.headers
                .iter()
                .any(|(k, v)| k == n && !v.trim().is_empty())
        };
        if !has("From") || !has("To") {
            return Err(CpimError::MissingFromOrTo);
        }
        let bad = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n');
        if bad(content_type)
            || self
                .headers
                .iter()
                .any(|(k, v)| bad(v) || k.is_empty() || !k.bytes().all(is_name_byte))
        {
            return Err(CpimError::BadValue);
        }
        for name in KNOWN.iter().filter(|n| !REPEATABLE.contains(n)) {
            if self
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .count()
                > 1
            {
                return Err(CpimError::Repeated(name));
            }
        }
        let mut out = BytesMut::with_capacity(body.len() + 128);
        for (k, v) in &self.headers {
            out.put_slice(k.as_bytes());
            out.put_slice(b": ");
            out.put_slice(v.as_bytes());
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\nContent-Type: ");
        out.put_slice(content_type.as_bytes());
        out.put_slice(b"\r\n\r\n");
        out.put_slice(body);
        Ok(out.freeze())
    }
}
