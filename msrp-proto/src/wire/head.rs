//! The parsed start line and header block of one message, borrowed from the input.

use super::error::KnownHeader;
use super::headers::{ByteRange, ContentType, FailureReport, Status, StatusCode, SuccessReport};
use crate::uri::{PathIter, path_iter};

/// A byte range inside the frame (offsets from the start line's first byte).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) const NONE: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    pub(crate) fn new(start: usize, end: usize) -> Self {
        // Offsets are bounded by `Limits::max_header_bytes`, far below u32::MAX.
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub(crate) fn is_some(self) -> bool {
        self.start != u32::MAX
    }

    pub(crate) fn slice(self, buf: &[u8]) -> Option<&[u8]> {
        if self.is_some() {
            buf.get(self.start as usize..self.end as usize)
        } else {
            None
        }
    }
}

/// A request method (RFC 4975 §9 `method`, with the methods of RFC 4976 and RFC 7701).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method<'a> {
    /// `SEND` (RFC 4975): carries content, may be chunked.
    Send,
    /// `REPORT` (RFC 4975): delivery status; never answered.
    Report,
    /// `AUTH` (RFC 4976): a client authenticates to a relay.
    Auth,
    /// `NICKNAME` (RFC 7701): chat nickname.
    Nickname,
    /// Any other `1*UPALPHA` method (an endpoint answers 501, R4975-210).
    Other(&'a str),
}

impl<'a> Method<'a> {
    /// The method's name as it appears on the wire.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Send => "SEND",
            Self::Report => "REPORT",
            Self::Auth => "AUTH",
            Self::Nickname => "NICKNAME",
            Self::Other(s) => s,
        }
    }

    pub(crate) fn from_bytes(b: &'a [u8]) -> Option<Self> {
        if b == b"SEND" {
            return Some(Self::Send);
        }
        if b.is_empty() || !b.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        Some(match b {
            b"SEND" => Self::Send,
            b"REPORT" => Self::Report,
            b"AUTH" => Self::Auth,
            b"NICKNAME" => Self::Nickname,
            // Checked above: all ASCII upper case.
            other => Self::Other(core::str::from_utf8(other).ok()?),
        })
    }
}

/// The end-line's continuation flag (RFC 4975 §7.1, R4975-081).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `$`: this chunk ends the message.
    End,
    /// `+`: more chunks of this message follow.
    More,
    /// `#`: the sender aborts the message.
    Abort,
}

impl Flag {
    /// The flag character.
    #[must_use]
    pub const fn as_byte(self) -> u8 {
        match self {
            Self::End => b'$',
            Self::More => b'+',
            Self::Abort => b'#',
        }
    }

    pub(crate) const fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'$' => Some(Self::End),
            b'+' => Some(Self::More),
            b'#' => Some(Self::Abort),
            _ => None,
        }
    }
}

/// What the decoder learnt about the current frame; offsets are relative to the frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadIndex {
    pub(crate) tid: Span,
    /// The method name (requests) or the status code digits (responses).
    pub(crate) verb: Span,
    pub(crate) comment: Span,
    pub(crate) status: Option<StatusCode>,
    /// Bit `h.index()` set: `fields[h.index()]` holds header `h`. Stale spans of earlier
    /// messages stay in `fields`; only the mask is cleared per message (no 150-byte fill
    /// on the hot path).
    pub(crate) present: u32,
    pub(crate) fields: [Span; KnownHeader::ALL.len()],
    pub(crate) header_count: u16,
    pub(crate) headers_start: u32,
    pub(crate) headers_end: u32,
    pub(crate) has_body: bool,
    pub(crate) byte_range: Option<ByteRange>,
    pub(crate) success_report: Option<SuccessReport>,
    pub(crate) failure_report: Option<FailureReport>,
}

impl HeadIndex {
    pub(crate) fn has(&self, h: KnownHeader) -> bool {
        self.present & (1 << h.index()) != 0
    }

    /// Forgets the previous message: everything but the (masked-out) field spans.
    pub(crate) fn clear(&mut self) {
        self.tid = Span::NONE;
        self.verb = Span::NONE;
        self.comment = Span::NONE;
        self.status = None;
        self.present = 0;
        self.header_count = 0;
        self.headers_start = 0;
        self.headers_end = 0;
        self.has_body = false;
        self.byte_range = None;
        self.success_report = None;
        self.failure_report = None;
    }

    const NEW: HeadIndex = HeadIndex {
        tid: Span::NONE,
        verb: Span::NONE,
        comment: Span::NONE,
        status: None,
        present: 0,
        fields: [Span::NONE; KnownHeader::ALL.len()],
        header_count: 0,
        headers_start: 0,
        headers_end: 0,
        has_body: false,
        byte_range: None,
        success_report: None,
        failure_report: None,
    };
}

impl Default for HeadIndex {
    fn default() -> Self {
        Self::NEW
    }
}

/// The start line and header block of a message, borrowed from the decoder's input.
///
/// Typed accessors read values the decoder already validated (Byte-Range, report
/// headers, Message-ID, paths) or parse on demand (the rest). Nothing allocates.
#[derive(Clone, Copy)]
pub struct Head<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) ix: &'a HeadIndex,
}

impl core::fmt::Debug for Head<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Head")
            .field("transaction_id", &self.transaction_id())
            .field("method", &self.method())
            .field("status", &self.status())
            .field("has_body", &self.has_body())
            .finish_non_exhaustive()
    }
}

fn as_str(b: &[u8]) -> &str {
    // The decoder admitted only ASCII here (identifiers, method names).
    core::str::from_utf8(b).unwrap_or("")
}

impl<'a> Head<'a> {
    /// The transaction id from the start line.
    #[must_use]
    pub fn transaction_id(&self) -> &'a str {
        as_str(self.ix.tid.slice(self.buf).unwrap_or_default())
    }

    /// The method, for a request.
    #[must_use]
    pub fn method(&self) -> Option<Method<'a>> {
        if self.ix.status.is_some() {
            return None;
        }
        Method::from_bytes(self.ix.verb.slice(self.buf)?)
    }

    /// Whether this is a request (as opposed to a response).
    #[must_use]
    pub fn is_request(&self) -> bool {
        self.ix.status.is_none()
    }

    /// The status code, for a response.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.ix.status
    }

    /// The response comment (reason phrase), if any. Never interpret it.
    #[must_use]
    pub fn comment(&self) -> Option<&'a str> {
        core::str::from_utf8(self.ix.comment.slice(self.buf)?).ok()
    }

    /// Whether a body follows the header block (an empty body counts; a bodiless request
    /// does not, R4975-078).
    #[must_use]
    pub fn has_body(&self) -> bool {
        self.ix.has_body
    }

    /// The raw value of a known header, if present.
    #[must_use]
    pub fn raw(&self, h: KnownHeader) -> Option<&'a [u8]> {
        if self.ix.present & (1 << h.index()) == 0 {
            return None;
        }
        self.ix.fields[h.index()].slice(self.buf)
    }

    /// The value of the first header with this name (ASCII case-insensitive), known or not.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        if let Some(k) = KnownHeader::from_name(name.as_bytes()) {
            return self.raw(k);
        }
        self.fields()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }

    /// The To-Path URIs (leftmost = next hop). Validated by the decoder.
    #[must_use]
    pub fn to_path(&self) -> Option<PathIter<'a>> {
        self.raw(KnownHeader::ToPath).map(path_iter)
    }

    /// The From-Path URIs (leftmost = previous hop). Validated by the decoder.
    #[must_use]
    pub fn from_path(&self) -> Option<PathIter<'a>> {
        self.raw(KnownHeader::FromPath).map(path_iter)
    }

    /// The Use-Path URIs (RFC 4976, in a 200 to AUTH). Validated by the decoder.
    #[must_use]
    pub fn use_path(&self) -> Option<PathIter<'a>> {
        self.raw(KnownHeader::UsePath).map(path_iter)
    }

    /// The Message-ID. Validated as an `ident` by the decoder.
    #[must_use]
    pub fn message_id(&self) -> Option<&'a str> {
        self.raw(KnownHeader::MessageId).map(as_str)
    }

    /// The Byte-Range, parsed and checked by the decoder.
    #[must_use]
    pub fn byte_range(&self) -> Option<ByteRange> {
        self.ix.byte_range
    }

    /// Success-Report, with the RFC default (`no`) when absent (R4975-098).
    #[must_use]
    pub fn success_report(&self) -> SuccessReport {
        self.ix.success_report.unwrap_or(SuccessReport::No)
    }

    /// Failure-Report, with the RFC default (`yes`) when absent (R4975-098).
    #[must_use]
    pub fn failure_report(&self) -> FailureReport {
        self.ix.failure_report.unwrap_or(FailureReport::Yes)
    }

    /// Whether a Success-Report or Failure-Report header was present at all.
    #[must_use]
    pub fn has_report_headers(&self) -> bool {
        self.ix.success_report.is_some() || self.ix.failure_report.is_some()
    }

    /// The Status header of a REPORT, parsed by the decoder.
    #[must_use]
    pub fn report_status(&self) -> Option<Status<'a>> {
        Status::parse(self.raw(KnownHeader::Status)?).ok()
    }

    /// The Content-Type, parsed on demand (`None` if absent or malformed).
    #[must_use]
    pub fn content_type(&self) -> Option<ContentType<'a>> {
        ContentType::parse(self.raw(KnownHeader::ContentType)?).ok()
    }

    /// Every header field in wire order, unknown ones included (R4975-209: the caller
    /// ignores what it does not know).
    #[must_use]
    pub fn fields(&self) -> Fields<'a> {
        let block = self
            .buf
            .get(self.ix.headers_start as usize..self.ix.headers_end as usize);
        Fields {
            rest: block.unwrap_or_default(),
        }
    }

    /// The number of header fields.
    #[must_use]
    pub fn field_count(&self) -> usize {
        usize::from(self.ix.header_count)
    }

    /// The start line and every header line exactly as received, each with its CRLF, and
    /// the blank line when a body follows: the bytes a preserving re-serializer writes.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        let end = self.ix.headers_end as usize + if self.ix.has_body { 2 } else { 0 };
        &self.buf[..end.min(self.buf.len())]
    }
}

/// One header line: name and value as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The header name, as written.
    pub name: &'a str,
    /// The value: the bytes after the colon and its white space, without the CRLF.
    pub value: &'a [u8],
    /// The whole line without its CRLF (for byte-exact re-serialization).
    pub line: &'a [u8],
}

/// Iterator over the header lines of a [`Head`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', self.rest).unwrap_or(self.rest.len());
        let line = &self.rest[..end.saturating_sub(1)];
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        let colon = memchr::memchr(b':', line).unwrap_or(line.len());
        let mut value = line.get(colon + 1..).unwrap_or_default();
        while let [b' ' | b'\t', rest @ ..] = value {
            value = rest;
        }
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        Some(Field {
            name: as_str(&line[..colon]),
            value,
            line,
        })
    }
}
