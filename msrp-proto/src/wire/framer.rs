//! The streaming decoder: bytes exactly as they come from a socket in, frame events out.
//!
//! The contract is documented on [`Decoder`], where the public API shows it.

use super::error::{KnownHeader, Limit, ParseError};
use super::head::{Flag, Head, HeadIndex, Method, Span};
use super::headers::{ByteRange, FailureReport, HeaderError, Status, StatusCode, SuccessReport};
use super::limits::{IDENT_CEILING, Limits};
use super::search::EndLineFinder;
use crate::uri::validate_path;

/// `CRLF "-------"`: the fixed part of every end-line needle.
const END_PREFIX: &[u8; 9] = b"\r\n-------";
const NEEDLE_MAX: usize = END_PREFIX.len() + IDENT_CEILING;

/// What one call to [`Decoder::decode`] found.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The start line and the header block are complete. For a bodiless message the
    /// end-line has been consumed too and [`Event::End`] follows without input.
    Head(Head<'a>),
    /// Body bytes, borrowed from the input. The CRLF before the end-line is never body.
    Body(&'a [u8]),
    /// The end-line: the message (chunk) is over.
    End(Flag),
    /// Nothing more can be decoded until more bytes arrive (not an error).
    NeedMore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the start line and header lines; `line` is where the current line starts,
    /// `searched` how far its LF has been looked for.
    Head {
        line: u32,
        searched: u32,
        dirty: bool,
    },
    /// The bodiless message's end-line was consumed with the head; report it.
    PendingEnd(Flag),
    /// Scanning the body for the end-line.
    Body,
    /// Skipping the rest of a malformed message up to its end-line.
    Skip,
    /// A parse error happened; sticky until [`Decoder::skip_message`] or forever. The
    /// flag says whether it happened in the head (so [`Decoder::failed_head`] applies).
    Failed(ParseError, bool),
}

impl State {
    const IDLE: State = State::Head {
        line: 0,
        searched: 0,
        dirty: false,
    };
}

/// The streaming MSRP frame decoder (sans-IO).
///
/// # Contract
///
/// [`decode`](Self::decode) looks at the caller's unconsumed bytes and returns how many of them
/// it consumed plus one [`Event`]. The caller drops `consumed` bytes from the front, appends
/// what the socket delivers next, and calls again; bytes not consumed must be presented
/// again, unchanged, at the front of the next call. Two things are retained that way, both
/// bounded: a header block still being received (at most [`Limits::max_header_bytes`]) and
/// the tail of a body that could be the start of the end-line (fewer than 9 + tid bytes).
///
/// Nothing is scanned twice: the header parser remembers how far it got (resumable, unlike
/// httparse), and the body scan resumes after the retained tail. Body bytes are returned as
/// slices of the input: the decoder never copies a body.
///
/// ```
/// use msrp_proto::wire::{Decoder, Event, Flag};
///
/// let wire = b"MSRP a786hjs2 SEND\r\n\
/// To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
/// From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
/// Message-ID: 87652491\r\n\
/// Byte-Range: 1-25/25\r\n\
/// Content-Type: text/plain\r\n\
/// \r\n\
/// Hey Bob, are you there?\r\n\
/// -------a786hjs2$\r\n";
///
/// let mut decoder = Decoder::default();
/// let mut input: &[u8] = wire;
/// let mut body = Vec::new();
/// loop {
///     let (consumed, event) = decoder.decode(input).unwrap();
///     match event {
///         Event::Head(head) => assert_eq!(head.message_id(), Some("87652491")),
///         Event::Body(bytes) => body.extend_from_slice(bytes),
///         Event::End(flag) => {
///             assert_eq!(flag, Flag::End);
///             break;
///         }
///         _ => unreachable!("the whole frame is here"),
///     }
///     input = &input[consumed..];
/// }
/// assert_eq!(body, b"Hey Bob, are you there?");
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    state: State,
    ix: HeadIndex,
    needle: [u8; NEEDLE_MAX],
    needle_len: u8,
    finder: EndLineFinder,
    body_len: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Decoder {
    /// A decoder with these limits.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: State::IDLE,
            ix: HeadIndex::default(),
            needle: [0; NEEDLE_MAX],
            needle_len: 0,
            finder: EndLineFinder::new(),
            body_len: 0,
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes the next event from `input` (the caller's unconsumed bytes).
    ///
    /// Returns the number of bytes consumed and the event; see the [`Decoder`] docs
    /// for the contract. An `Err` leaves the decoder failed: call
    /// [`skip_message`](Self::skip_message) to resynchronise at the end-line of the bad
    /// message, or close the connection.
    pub fn decode<'a>(&'a mut self, input: &'a [u8]) -> Result<(usize, Event<'a>), ParseError> {
        match self.state {
            State::Head {
                line,
                searched,
                dirty,
            } => match self.parse_head(input, line as usize, searched as usize, dirty) {
                Ok(Some((consumed, end))) => {
                    if let Some(flag) = end {
                        self.state = State::PendingEnd(flag);
                    } else {
                        self.finder = EndLineFinder::new();
                        self.state = State::Body;
                    }
                    Ok((
                        consumed,
                        Event::Head(Head {
                            buf: &input[..consumed],
                            ix: &self.ix,
                        }),
                    ))
                }
                Ok(None) => Ok((0, Event::NeedMore)),
                Err(e) => {
                    self.state = State::Failed(e, true);
                    Err(e)
                }
            },
            State::PendingEnd(flag) => {
                self.reset();
                Ok((0, Event::End(flag)))
            }
            State::Body => self.scan_body(input, false),
            State::Skip => self.scan_body(input, true),
            State::Failed(e, _) => Err(e),
        }
    }

    /// After an error, skips the rest of the bad message up to its end-line so the next
    /// message can be decoded; the following `decode` calls consume the skipped bytes
    /// (reporting [`Event::NeedMore`]) and end with [`Event::End`].
    ///
    /// Returns `false` when the stream cannot be resynchronised (the error was in the
    /// transaction id itself, so the end-line is unknown): close the connection then.
    pub fn skip_message(&mut self) -> bool {
        if !matches!(self.state, State::Failed(..))
            || !self.ix.tid.is_some()
            || self.needle_len == 0
        {
            return false;
        }
        self.finder = EndLineFinder::new();
        self.state = State::Skip;
        true
    }

    /// What was parsed of the message whose head failed to parse (its transaction id,
    /// method, paths and report headers as far as they were read), so the caller can
    /// address a 400. `input` must be the bytes last passed to [`decode`](Self::decode).
    /// `None` if the failure was not in a head or came before the transaction id.
    #[must_use]
    pub fn failed_head<'a>(&'a self, input: &'a [u8]) -> Option<Head<'a>> {
        match self.state {
            State::Failed(_, true) if self.ix.tid.is_some() => Some(Head {
                buf: input,
                ix: &self.ix,
            }),
            _ => None,
        }
    }

    /// Call at end of input with the bytes still unconsumed: `Ok` if the stream ended
    /// between messages, [`ParseError::Truncated`] if it ended inside one.
    pub fn finish(&self, rest: &[u8]) -> Result<(), ParseError> {
        match self.state {
            State::Head { .. } if rest.is_empty() => Ok(()),
            State::Failed(e, _) => Err(e),
            _ => Err(ParseError::Truncated),
        }
    }

    /// Whether the decoder is between messages (nothing of a frame seen yet).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.state == State::IDLE
    }

    fn reset(&mut self) {
        self.state = State::IDLE;
        self.ix.clear();
        self.needle_len = 0;
        self.body_len = 0;
    }

    /// Stores `CRLF "-------" tid` once the transaction id is known.
    fn set_needle(&mut self, tid: &[u8]) {
        let n = END_PREFIX.len();
        self.needle[..n].copy_from_slice(END_PREFIX);
        self.needle[n..n + tid.len()].copy_from_slice(tid);
        self.needle_len = (n + tid.len()) as u8;
    }

    // ---------------------------------------------------------------------------------
    // Body

    fn scan_body<'a>(
        &'a mut self,
        input: &'a [u8],
        skipping: bool,
    ) -> Result<(usize, Event<'a>), ParseError> {
        let nlen = usize::from(self.needle_len);
        let needle = &self.needle[..nlen];
        let mut from = 0;
        let found = loop {
            match self.finder.find(&input[from..], needle) {
                None => break None,
                Some(p) => {
                    let at = from + p;
                    match input.get(at + nlen..at + nlen + 3) {
                        // The needle matched but its flag and CRLF have not arrived yet:
                        // everything before it is body, the rest waits.
                        None => break Some((at, None)),
                        Some(&[f, b'\r', b'\n']) if Flag::from_byte(f).is_some() => {
                            break Some((at, Flag::from_byte(f)));
                        }
                        // `-------<tid>` followed by anything else is body data (P-10).
                        Some(_) => from = at + 1,
                    }
                }
            }
        };
        let body_end = match found {
            Some((0, Some(flag))) => {
                self.reset();
                return Ok((nlen + 3, Event::End(flag)));
            }
            Some((at, _)) => at,
            None => input.len() - partial_needle_suffix(input, needle),
        };
        if body_end == 0 {
            return Ok((0, Event::NeedMore));
        }
        if skipping {
            return Ok((body_end, Event::NeedMore));
        }
        let mut chunk = &input[..body_end];
        if let Some(max) = self.limits.max_chunk_body {
            // Deliver up to the limit, fail on the first byte beyond it: the same events
            // whatever the read sizes (failing on a whole read would depend on them).
            let allowed = max.saturating_sub(self.body_len);
            if allowed == 0 {
                let e = ParseError::Limit(Limit::ChunkBody);
                self.state = State::Failed(e, false);
                return Err(e);
            }
            if chunk.len() as u64 > allowed {
                chunk = &chunk[..allowed as usize];
            }
        }
        self.body_len += chunk.len() as u64;
        Ok((chunk.len(), Event::Body(chunk)))
    }

    // ---------------------------------------------------------------------------------
    // Start line and headers

    /// Parses header lines from `line` on. `Ok(None)`: need more input. `Ok(Some)`: the
    /// block (and, for a bodiless message, its end-line) spans `consumed` bytes.
    fn parse_head(
        &mut self,
        input: &[u8],
        mut line: usize,
        mut searched: usize,
        mut dirty: bool,
    ) -> Result<Option<(usize, Option<Flag>)>, ParseError> {
        loop {
            let is_start = line == 0;
            let max_line = if is_start {
                self.limits.max_start_line
            } else {
                self.limits.max_header_line
            };
            let window_end = input
                .len()
                .min(line + max_line)
                .min(self.limits.max_header_bytes);
            // Fast path: one SWAR pass finds the CRLF and proves the line free of control
            // characters (HTAB aside). Anything irregular takes the byte-exact slow path,
            // which reports the precise error.
            let from = searched.max(line);
            // `dirty`: an earlier read of this line already found something irregular.
            let scan = if dirty {
                LineScan::Irregular
            } else {
                scan_line(input, from, window_end)
            };
            let (lf, clean) = match scan {
                LineScan::Lf(lf) => (Some(lf), true),
                LineScan::Partial(upto) => {
                    searched = upto;
                    (None, false)
                }
                LineScan::Irregular => {
                    dirty = true;
                    let lf = input
                        .get(from..window_end)
                        .and_then(|w| memchr::memchr(b'\n', w));
                    if lf.is_none() {
                        searched = window_end;
                    }
                    (lf.map(|p| p + from), false)
                }
            };
            let Some(lf) = lf else {
                if window_end == line + max_line {
                    return Err(ParseError::Limit(if is_start {
                        Limit::StartLine
                    } else {
                        Limit::HeaderLine
                    }));
                }
                if window_end == self.limits.max_header_bytes {
                    return Err(ParseError::Limit(Limit::HeaderBytes));
                }
                self.state = State::Head {
                    line: line as u32,
                    searched: searched as u32,
                    dirty,
                };
                return Ok(None);
            };
            if lf == line || input[lf - 1] != b'\r' {
                return Err(ParseError::BareLf);
            }
            let text = &input[line..lf - 1];
            let next = lf + 1;
            if is_start {
                self.parse_start_line(text, clean)?;
                self.ix.headers_start = next as u32;
            } else if text.is_empty() {
                // The blank line: a body follows.
                self.ix.headers_end = line as u32;
                self.ix.has_body = true;
                self.check_block()?;
                return Ok(Some((next, None)));
            } else if text.starts_with(b"-------") {
                // A bodiless message's end-line right after the last header (R4975-077).
                let tid = self.ix.tid.slice(input).unwrap_or_default();
                let flag = match text
                    .strip_prefix(b"-------")
                    .and_then(|r| r.strip_prefix(tid))
                {
                    Some(&[f]) => Flag::from_byte(f),
                    _ => None,
                };
                let Some(flag) = flag else {
                    return Err(ParseError::EndLineMismatch);
                };
                self.ix.headers_end = line as u32;
                self.check_block()?;
                return Ok(Some((next, Some(flag))));
            } else {
                self.parse_header_line(line, text, clean)?;
            }
            line = next;
            searched = next;
            dirty = false;
        }
    }

    fn check_block(&self) -> Result<(), ParseError> {
        if self.ix.has_body && self.ix.status.is_some() {
            return Err(ParseError::ResponseWithBody);
        }
        // The per-line order check only sees headers that exist: a block that ends before
        // both paths were read (no headers, or To-Path alone) is caught here (R4975-072).
        if self.limits.strict
            && !(self.ix.has(KnownHeader::ToPath) && self.ix.has(KnownHeader::FromPath))
        {
            return Err(ParseError::HeaderOrder);
        }
        Ok(())
    }

    fn parse_start_line(&mut self, text: &[u8], clean: bool) -> Result<(), ParseError> {
        let rest = text.strip_prefix(b"MSRP ").ok_or(ParseError::NotMsrp)?;
        let tid_len = memchr::memchr(b' ', rest).ok_or(if rest.is_empty() {
            ParseError::BadTransactionId
        } else {
            ParseError::BadMethod
        })?;
        let tid = &rest[..tid_len];
        check_ident(tid, self.limits.ident_len()).map_err(|long| {
            if long {
                ParseError::Limit(Limit::TransactionIdLength)
            } else {
                ParseError::BadTransactionId
            }
        })?;
        let tid_start = 5;
        self.ix.tid = Span::new(tid_start, tid_start + tid_len);
        self.set_needle(tid);
        let verb_start = tid_start + tid_len + 1;
        let verb = &rest[tid_len + 1..];
        if !clean && has_ctl(verb) {
            return Err(ParseError::ControlCharacter);
        }
        if verb.first().is_some_and(u8::is_ascii_digit) {
            // Response: 3DIGIT [SP comment]; an empty comment after the SP is legal (G-8).
            let code = verb.get(..3).ok_or(ParseError::BadStatusLine)?;
            let status = StatusCode::parse(code).map_err(|_| ParseError::BadStatusLine)?;
            match verb.get(3) {
                None => {}
                Some(b' ') => {
                    let comment = &verb[4..];
                    if core::str::from_utf8(comment).is_err() {
                        return Err(ParseError::BadStatusLine);
                    }
                    self.ix.comment = Span::new(verb_start + 4, verb_start + verb.len());
                }
                Some(_) => return Err(ParseError::BadStatusLine),
            }
            self.ix.status = Some(status);
            self.ix.verb = Span::new(verb_start, verb_start + 3);
        } else {
            Method::from_bytes(verb).ok_or(ParseError::BadMethod)?;
            self.ix.verb = Span::new(verb_start, verb_start + verb.len());
        }
        Ok(())
    }

    fn parse_header_line(
        &mut self,
        line: usize,
        text: &[u8],
        clean: bool,
    ) -> Result<(), ParseError> {
        if matches!(text[0], b' ' | b'\t') {
            return Err(ParseError::FoldedHeader);
        }
        // `hname = ALPHA *tchar` then ":" (G-3). A name that is one of ours (the common
        // case) is made of letters and `-` by construction; any other is checked byte by
        // byte. On an irregular line the check comes first: `from_name`'s case folding is
        // only exact on tokens.
        let colon = find_colon(text);
        let known = if clean {
            colon.and_then(|c| KnownHeader::from_name(&text[..c]))
        } else {
            None
        };
        let colon = match (known, colon) {
            (Some(_), Some(c)) => c,
            _ => {
                let c = text
                    .iter()
                    .position(|&b| !is_tchar(b))
                    .unwrap_or(text.len());
                if c == 0 || !text[0].is_ascii_alphabetic() || text.get(c) != Some(&b':') {
                    return Err(ParseError::BadHeaderName);
                }
                c
            }
        };
        let name = &text[..colon];
        let mut vstart = colon + 1;
        if text.get(vstart) == Some(&b' ') {
            vstart += 1;
        }
        while matches!(text.get(vstart), Some(b' ' | b'\t')) {
            vstart += 1;
        }
        if self.limits.strict && (vstart != colon + 2 || text[colon + 1] != b' ') {
            return Err(ParseError::HeaderSpacing);
        }
        let mut vend = text.len();
        while vend > vstart && matches!(text[vend - 1], b' ' | b'\t') {
            vend -= 1;
        }
        let value = &text[vstart..vend];
        if !clean && has_ctl(value) {
            return Err(ParseError::ControlCharacter);
        }
        self.ix.header_count += 1;
        if usize::from(self.ix.header_count) > self.limits.max_headers {
            return Err(ParseError::Limit(Limit::HeaderCount));
        }
        let Some(known) = known.or_else(|| KnownHeader::from_name(name)) else {
            return if self.limits.strict && self.ix.header_count <= 2 {
                Err(ParseError::HeaderOrder)
            } else {
                Ok(())
            };
        };
        if self.limits.strict {
            let expected = match self.ix.header_count {
                1 => Some(KnownHeader::ToPath),
                2 => Some(KnownHeader::FromPath),
                _ => None,
            };
            if expected.is_some_and(|e| e != known)
                || (expected.is_none()
                    && matches!(known, KnownHeader::ToPath | KnownHeader::FromPath))
            {
                return Err(ParseError::HeaderOrder);
            }
        }
        if self.ix.has(known) {
            return Err(ParseError::DuplicateHeader(known));
        }
        self.ix.present |= 1 << known.index();
        let slot = &mut self.ix.fields[known.index()];
        *slot = Span::new(line + vstart, line + vend);
        let bad = |e: HeaderError| ParseError::BadHeaderValue(known, e);
        match known {
            KnownHeader::ToPath | KnownHeader::FromPath | KnownHeader::UsePath => {
                match validate_path(value, self.limits.max_path_uris) {
                    Ok(0) => return Err(bad(HeaderError::Empty)),
                    Ok(_) => {}
                    Err(None) => return Err(ParseError::Limit(Limit::PathUris)),
                    Err(Some(_)) => return Err(bad(HeaderError::Syntax)),
                }
            }
            KnownHeader::MessageId => {
                check_ident(value, self.limits.ident_len()).map_err(|long| {
                    if long {
                        ParseError::Limit(Limit::MessageIdLength)
                    } else {
                        ParseError::BadMessageId
                    }
                })?;
            }
            KnownHeader::ByteRange => {
                self.ix.byte_range = Some(ByteRange::parse(value).map_err(bad)?);
            }
            KnownHeader::SuccessReport => {
                self.ix.success_report = match SuccessReport::parse(value) {
                    Ok(v) => Some(v),
                    Err(e) if self.limits.strict => return Err(bad(e)),
                    // Lenient (P-21): an unknown value means the default.
                    Err(_) => Some(SuccessReport::No),
                };
            }
            KnownHeader::FailureReport => {
                self.ix.failure_report = match FailureReport::parse(value) {
                    Ok(v) => Some(v),
                    Err(e) if self.limits.strict => return Err(bad(e)),
                    Err(_) => Some(FailureReport::Yes),
                };
            }
            KnownHeader::Status => {
                Status::parse(value).map_err(bad)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// How many bytes at the end of `input` could be the beginning of `needle` (which starts
/// with CR, a byte that occurs nowhere else in it), so must wait for more input.
fn partial_needle_suffix(input: &[u8], needle: &[u8]) -> usize {
    // The end-line continues past the needle with a flag and CRLF, but a full needle is
    // handled by the caller; only proper prefixes of the needle are retained here.
    let window = needle.len().saturating_sub(1).min(input.len());
    let tail = &input[input.len() - window..];
    // The window is shorter than the needle: a plain loop beats memchr's setup.
    for (i, &b) in tail.iter().enumerate() {
        if b == b'\r' && needle.starts_with(&tail[i..]) {
            return window - i;
        }
    }
    0
}

/// Validates an RFC 4975 `ident`: ALPHANUM then `ALPHANUM . - + % =`, 4..=max characters.
/// `Err(true)` means too long, `Err(false)` malformed.
fn check_ident(b: &[u8], max: usize) -> Result<(), bool> {
    if b.len() > max {
        return Err(true);
    }
    let ok = b.len() >= 4
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'%' | b'='));
    if ok { Ok(()) } else { Err(false) }
}

/// The first `:` in `text`, eight bytes at a time (header names are short; the
/// "has zero byte" trick on `word ^ ':'…` flags the lowest colon exactly).
#[inline]
fn find_colon(text: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = text.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b':'));
        let m = x.wrapping_sub(ONES) & !x & HIGH;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    text[i..].iter().position(|&b| b == b':').map(|p| p + i)
}

/// `tchar`: the RFC 4975 `token` characters (no colon, no separators).
#[inline]
fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'^'..=b'~');
        i += 1;
    }
    t
};

/// What [`scan_line`] found.
enum LineScan {
    /// A CRLF; the value is the LF's index. Everything before it on the line is free of
    /// control characters other than HTAB.
    Lf(usize),
    /// No line end before `end`; scanning may resume at the value.
    Partial(usize),
    /// A control character other than HTAB, or a CR not followed by LF.
    Irregular,
}

/// Scans `input[from..end]` for the line's CR LF, eight bytes at a time: a word holds a
/// control character if it has a byte below 0x20 or equal to 0x7F, and the lowest such
/// byte is located exactly by the classic "has less than" / "has zero" bit tricks (a
/// false positive can only sit above a true one; bytes ≥ 0x80 never trigger).
fn scan_line(input: &[u8], from: usize, end: usize) -> LineScan {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let at = |j: usize| match input[j] {
        b'\r' if j + 1 < end => {
            if input[j + 1] == b'\n' {
                Some(LineScan::Lf(j + 1))
            } else {
                Some(LineScan::Irregular)
            }
        }
        b'\r' => Some(LineScan::Partial(j)),
        b'\t' => None,
        _ => Some(LineScan::Irregular),
    };
    let mut i = from;
    while i + 8 <= end {
        let mut w = [0u8; 8];
        w.copy_from_slice(&input[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let del = w ^ (ONES * 0x7f);
        let del = del.wrapping_sub(ONES) & !del & HIGH;
        let m = below_space | del;
        if m == 0 {
            i += 8;
            continue;
        }
        let j = i + (m.trailing_zeros() / 8) as usize;
        match at(j) {
            Some(r) => return r,
            None => i = j + 1,
        }
    }
    while i < end {
        let c = input[i];
        if (c < 0x20 || c == 0x7f)
            && let Some(r) = at(i)
        {
            return r;
        }
        i += 1;
    }
    LineScan::Partial(i)
}

/// Control characters other than HTAB (NUL, CR, LF, DEL, ...). Written as a fold without
/// early exit so that it vectorises.
#[inline]
fn has_ctl(b: &[u8]) -> bool {
    b.iter().fold(false, |acc, &c| {
        acc | ((c < 0x20 && c != b'\t') | (c == 0x7f))
    })
}
