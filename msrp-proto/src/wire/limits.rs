//! Parser limits: every one configurable, every one enforced before anything is buffered.

/// The hard ceiling for transaction ids and Message-IDs accepted on receive.
///
/// RFC 4975's grammar allows 4–32 characters (`ident`, digest G-9). Real traffic carries
/// textual UUIDs (36 characters) as Message-IDs, so the lenient receive side accepts up to
/// [`Limits::max_ident_len`], which may be raised to this ceiling and no further: every
/// stored identifier costs its maximum inline, so the ceiling bounds engine memory too.
pub const IDENT_CEILING: usize = 64;

/// Limits applied by the [`Decoder`](super::Decoder).
///
/// A violation yields [`ParseError::Limit`](super::ParseError::Limit) naming the limit; the
/// caller decides between a 400 response (the frame can be skipped, see
/// [`Decoder::skip_message`](super::Decoder::skip_message)) and closing the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest start line, CRLF included. Default 1024 (a response comment is free text).
    pub max_start_line: usize,
    /// Longest header line, CRLF included. Default 8192 (a To-Path of 32 URIs fits).
    pub max_header_line: usize,
    /// Most header fields in one message. Default 32.
    pub max_headers: usize,
    /// Longest header block: start line, header lines and the blank line. Default 16 KiB.
    pub max_header_bytes: usize,
    /// Most URIs in one To-Path, From-Path or Use-Path. Default 32 (RFC 4976 has no limit;
    /// a path longer than a handful of relays is an attack).
    pub max_path_uris: usize,
    /// Longest transaction id or Message-ID accepted (4 is always the minimum). Default 64,
    /// at most [`IDENT_CEILING`]; the grammar's 32 is what we send.
    pub max_ident_len: usize,
    /// Largest body of one chunk, if any. Default `None`: the engine bounds whole messages.
    pub max_chunk_body: Option<u64>,
    /// Strict mode: exactly one SP after a header colon, known report values only, header
    /// order as in the ABNF. Default `false` (lenient, digest P-18/P-21). The generator is
    /// always strict.
    pub strict: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_start_line: 1024,
            max_header_line: 8192,
            max_headers: 32,
            max_header_bytes: 16 * 1024,
            max_path_uris: 32,
            max_ident_len: IDENT_CEILING,
            max_chunk_body: None,
            strict: false,
        }
    }
}

impl Limits {
    /// The limits with `strict` set (the conformance suite's view of the grammar).
    #[must_use]
    pub fn strict() -> Self {
        Self {
            strict: true,
            max_ident_len: 32,
            ..Self::default()
        }
    }

    pub(crate) fn ident_len(&self) -> usize {
        self.max_ident_len.clamp(4, IDENT_CEILING)
    }
}
