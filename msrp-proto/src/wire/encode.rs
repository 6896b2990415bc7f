//! The encoder: requests and responses written into a caller-provided [`BufMut`], strictly
//! per the grammar, with no heap allocation.
//!
//! Large bodies are never copied: [`HeadWriter::finish_with_body`] ends the header block,
//! the caller writes (or sends directly) the body, and [`write_end_line`] closes it.
//!
//! ```
//! use msrp_proto::uri::UriRef;
//! use msrp_proto::wire::{encode::{HeadWriter, write_end_line}, Flag, Method};
//! use msrp_proto::wire::headers::ByteRange;
//!
//! let to = UriRef::parse("msrp://bob.example.com:8888/9di4eae923wzd;tcp").unwrap();
//! let from = UriRef::parse("msrp://alicepc.example.com:7777/iau39soe2843z;tcp").unwrap();
//! let mut buf = Vec::new();
//! let mut w = HeadWriter::request(&mut buf, "d93kswow", Method::Send, [to], [from]);
//! w.message_id("12339sdqwer").byte_range(ByteRange::whole(14));
//! w.finish_with_body("text/plain");
//! buf.extend_from_slice(b"Hi, I'm Alice!");
//! write_end_line(&mut buf, "d93kswow", Flag::End, true);
//! assert!(buf.starts_with(b"MSRP d93kswow SEND\r\nTo-Path: msrp://bob.example.com:8888/"));
//! assert!(buf.ends_with(b"Hi, I'm Alice!\r\n-------d93kswow$\r\n"));
//! ```

use bytes::BufMut;

use super::error::KnownHeader;
use super::head::{Flag, Head, Method};
use super::headers::{ByteRange, FailureReport, Status, StatusCode, SuccessReport};
use crate::uri::UriRef;

/// Writes a message head: start line, To-Path, From-Path (always first, R4975-072), then
/// the headers in call order, then either the end-line (bodiless) or Content-Type and the
/// blank line (Content-Type is always last, R4975-073).
#[must_use = "finish the head with finish_bodiless or finish_with_body"]
pub struct HeadWriter<'b, B: BufMut> {
    buf: &'b mut B,
    tid: &'b str,
}

fn put_path<'x, B: BufMut>(buf: &mut B, name: &str, uris: impl IntoIterator<Item = UriRef<'x>>) {
    buf.put_slice(name.as_bytes());
    buf.put_slice(b": ");
    for (i, uri) in uris.into_iter().enumerate() {
        if i > 0 {
            buf.put_u8(b' ');
        }
        buf.put_slice(uri.as_str().as_bytes());
    }
    buf.put_slice(b"\r\n");
}

/// Writes `n` in decimal without allocating.
pub(crate) fn put_u64<B: BufMut>(buf: &mut B, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.put_slice(&digits[i..]);
}

impl<'b, B: BufMut> HeadWriter<'b, B> {
    /// Starts a request: `MSRP <tid> <method>`, To-Path and From-Path.
    pub fn request<'x, 'y>(
        buf: &'b mut B,
        tid: &'b str,
        method: Method<'_>,
        to_path: impl IntoIterator<Item = UriRef<'x>>,
        from_path: impl IntoIterator<Item = UriRef<'y>>,
    ) -> Self {
        buf.put_slice(b"MSRP ");
        buf.put_slice(tid.as_bytes());
        buf.put_u8(b' ');
        buf.put_slice(method.as_str().as_bytes());
        buf.put_slice(b"\r\n");
        put_path(buf, "To-Path", to_path);
        put_path(buf, "From-Path", from_path);
        Self { buf, tid }
    }

    /// Starts a response: `MSRP <tid> <code> <comment>`, To-Path and From-Path. Prefer
    /// [`write_response`], which applies the addressing rules.
    pub fn response<'x, 'y>(
        buf: &'b mut B,
        tid: &'b str,
        status: StatusCode,
        comment: Option<&str>,
        to_path: impl IntoIterator<Item = UriRef<'x>>,
        from_path: impl IntoIterator<Item = UriRef<'y>>,
    ) -> Self {
        buf.put_slice(b"MSRP ");
        buf.put_slice(tid.as_bytes());
        buf.put_u8(b' ');
        put_u64(buf, u64::from(status.0 % 1000));
        if let Some(c) = comment {
            buf.put_u8(b' ');
            buf.put_slice(c.as_bytes());
        }
        buf.put_slice(b"\r\n");
        put_path(buf, "To-Path", to_path);
        put_path(buf, "From-Path", from_path);
        Self { buf, tid }
    }

    fn field(&mut self, h: KnownHeader) -> &mut B {
        self.buf.put_slice(h.as_str().as_bytes());
        self.buf.put_slice(b": ");
        self.buf
    }

    /// `Message-ID`.
    pub fn message_id(&mut self, id: &str) -> &mut Self {
        self.field(KnownHeader::MessageId).put_slice(id.as_bytes());
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Byte-Range`.
    pub fn byte_range(&mut self, range: ByteRange) -> &mut Self {
        range.write(self.field(KnownHeader::ByteRange));
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Success-Report` (SEND only; omit it for the default `no`).
    pub fn success_report(&mut self, v: SuccessReport) -> &mut Self {
        self.field(KnownHeader::SuccessReport)
            .put_slice(v.as_str().as_bytes());
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Failure-Report` (omit it for the default `yes`).
    pub fn failure_report(&mut self, v: FailureReport) -> &mut Self {
        self.field(KnownHeader::FailureReport)
            .put_slice(v.as_str().as_bytes());
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Status` (REPORT).
    pub fn status(&mut self, status: &Status<'_>) -> &mut Self {
        status.write(self.field(KnownHeader::Status));
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Expires`, `Min-Expires` or `Max-Expires` and other numeric headers.
    pub fn number(&mut self, h: KnownHeader, n: u64) -> &mut Self {
        put_u64(self.field(h), n);
        self.buf.put_slice(b"\r\n");
        self
    }

    /// `Use-Path` (a 200 to AUTH, RFC 4976).
    pub fn use_path<'x>(&mut self, uris: impl IntoIterator<Item = UriRef<'x>>) -> &mut Self {
        put_path(self.buf, KnownHeader::UsePath.as_str(), uris);
        self
    }

    /// A known header whose value `write` produces (e.g. a Digest header's `write`).
    pub fn typed(&mut self, h: KnownHeader, write: impl FnOnce(&mut B)) -> &mut Self {
        write(self.field(h));
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Any other header, written as `name: value`. The caller vouches that `name` is a
    /// token and `value` has no CR or LF.
    pub fn header(&mut self, name: &str, value: &[u8]) -> &mut Self {
        debug_assert!(!value.contains(&b'\n') && !value.contains(&b'\r'));
        self.buf.put_slice(name.as_bytes());
        self.buf.put_slice(b": ");
        self.buf.put_slice(value);
        self.buf.put_slice(b"\r\n");
        self
    }

    /// Ends a bodiless message: the end-line follows the last header directly (R4975-077).
    pub fn finish_bodiless(self, flag: Flag) {
        write_end_line(self.buf, self.tid, flag, false);
    }

    /// Ends the header block of a message with a body: `Content-Type` (last, R4975-073)
    /// and the blank line. Write the body next, then [`write_end_line`] with
    /// `after_body = true`.
    pub fn finish_with_body(self, content_type: &str) {
        self.buf.put_slice(b"Content-Type: ");
        self.buf.put_slice(content_type.as_bytes());
        self.buf.put_slice(b"\r\n\r\n");
    }
}

/// Writes the end-line `-------<tid><flag>` + CRLF, preceded by the CRLF that closes a
/// body when there is one (R4975-080).
pub fn write_end_line<B: BufMut>(buf: &mut B, tid: &str, flag: Flag, after_body: bool) {
    if after_body {
        buf.put_slice(b"\r\n");
    }
    buf.put_slice(b"-------");
    buf.put_slice(tid.as_bytes());
    buf.put_u8(flag.as_byte());
    buf.put_slice(b"\r\n");
}

/// Writes the response to `request` (digest P-06, the one place this rule lives):
/// To-Path is only the leftmost From-Path URI for a SEND (the previous hop, R4975-143) and
/// the whole From-Path for any other method (R4975-144); From-Path is `own` (R4975-145);
/// the flag is `$`. `comment` defaults to the status's reason phrase.
///
/// Returns `false` (and writes nothing) if `request` is not a request or lacks a
/// From-Path, in which case no response can be addressed.
pub fn write_response<B: BufMut>(
    buf: &mut B,
    request: &Head<'_>,
    status: StatusCode,
    comment: Option<&str>,
    own: UriRef<'_>,
) -> bool {
    let (Some(method), Some(from)) = (request.method(), request.from_path()) else {
        return false;
    };
    write_response_to(
        buf,
        request.transaction_id(),
        method == Method::Send,
        from,
        status,
        comment,
        own,
    )
}

/// [`write_response`] from the parts of a request the engine keeps after its head is
/// gone: the same P-06 rule (SEND → leftmost From-Path URI only, else the whole path).
pub(crate) fn write_response_to<B: BufMut>(
    buf: &mut B,
    tid: &str,
    is_send: bool,
    from: crate::uri::PathIter<'_>,
    status: StatusCode,
    comment: Option<&str>,
    own: UriRef<'_>,
) -> bool {
    let mut from = from.flatten();
    let comment = comment.unwrap_or(status.reason());
    let w = if is_send {
        let Some(first) = from.next() else {
            return false;
        };
        HeadWriter::response(buf, tid, status, Some(comment), [first], [own])
    } else {
        let mut from = from.peekable();
        if from.peek().is_none() {
            return false;
        }
        HeadWriter::response(buf, tid, status, Some(comment), from, [own])
    };
    w.finish_bodiless(Flag::End);
    true
}

/// Writes the head of a REPORT about message `message_id` (R4975-129): To-Path is the
/// original request's whole From-Path, From-Path is `own`, and `range` says which bytes
/// the status covers. The REPORT is bodiless.
pub fn write_report<'x, B: BufMut>(
    buf: &mut B,
    tid: &str,
    to_path: impl IntoIterator<Item = UriRef<'x>>,
    own: UriRef<'_>,
    message_id: &str,
    range: Option<ByteRange>,
    status: &Status<'_>,
) {
    let mut w = HeadWriter::request(buf, tid, Method::Report, to_path, [own]);
    w.message_id(message_id);
    if let Some(r) = range {
        w.byte_range(r);
    }
    w.status(status);
    w.finish_bodiless(Flag::End);
}
