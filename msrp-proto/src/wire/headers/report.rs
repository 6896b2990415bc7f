//! `Success-Report` and `Failure-Report` (RFC 4975 §7.1.1).

use super::{HeaderError, util};

/// `Success-Report: yes / no`. Absent means [`SuccessReport::No`] (R4975-098).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuccessReport {
    /// Send a success REPORT when the whole message has been received.
    Yes,
    /// No success REPORT (the default).
    #[default]
    No,
}

impl SuccessReport {
    /// Parses `yes` / `no`, case-insensitively (ABNF literals, P-21). Anything else is
    /// [`HeaderError::UnknownValue`]; a lenient receiver may substitute the default.
    pub fn parse(v: &[u8]) -> Result<Self, HeaderError> {
        let v = util::trim(v);
        if v.is_empty() {
            Err(HeaderError::Empty)
        } else if v.eq_ignore_ascii_case(b"yes") {
            Ok(Self::Yes)
        } else if v.eq_ignore_ascii_case(b"no") {
            Ok(Self::No)
        } else {
            Err(HeaderError::UnknownValue)
        }
    }

    /// The canonical (lowercase) wire form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }

    /// Writes the canonical wire form.
    pub fn write(self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(self.as_str().as_bytes());
    }
}

/// `Failure-Report: yes / no / partial`. Absent means [`FailureReport::Yes`] (R4975-098).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureReport {
    /// Responses and failure REPORTs (the default).
    #[default]
    Yes,
    /// Neither responses nor failure REPORTs (R4975-134).
    No,
    /// Only error responses / failure REPORTs, never a 200 (R4975-135).
    Partial,
}

impl FailureReport {
    /// Parses `yes` / `no` / `partial`, case-insensitively (P-21). Anything else is
    /// [`HeaderError::UnknownValue`].
    pub fn parse(v: &[u8]) -> Result<Self, HeaderError> {
        let v = util::trim(v);
        if v.is_empty() {
            Err(HeaderError::Empty)
        } else if v.eq_ignore_ascii_case(b"yes") {
            Ok(Self::Yes)
        } else if v.eq_ignore_ascii_case(b"no") {
            Ok(Self::No)
        } else if v.eq_ignore_ascii_case(b"partial") {
            Ok(Self::Partial)
        } else {
            Err(HeaderError::UnknownValue)
        }
    }

    /// The canonical (lowercase) wire form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
        }
    }

    /// Writes the canonical wire form.
    pub fn write(self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(self.as_str().as_bytes());
    }
}
