//! RFC 5547 file-transfer attributes: `file-selector`, `file-transfer-id`,
//! `file-disposition`, `file-date`, `file-icon`, `file-range`.

use core::fmt;

use crate::attrs::{is_token, parse_digits, parse_hex_octets, write_hex_octets};
use crate::error::SdpErrorKind;

/// One `hash:<algorithm>:<HEX:HEX…>` selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    /// Hash algorithm token (`sha-1`; RFC 8873 examples use `sha-256`).
    pub algorithm: String,
    /// Digest octets.
    pub value: Vec<u8>,
}

/// `a=file-selector` (RFC 5547 §6). An empty selector only signals capability (R5547-001).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FileSelector {
    /// The `name:"…"` selector, as written between the quotes (percent-encoding kept; decode
    /// and sanitise before touching a file system, R5547-002).
    pub name: Option<String>,
    /// The `type:` selector (`type/subtype` with `;attr="value"` parameters), as written.
    pub media_type: Option<String>,
    /// The `size:` selector in octets.
    pub size: Option<u64>,
    /// `hash:` selectors (several allowed, R5547-003).
    pub hashes: Vec<FileHash>,
}

impl FileSelector {
    /// Parses the attribute value (`None` for a bare `a=file-selector`).
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidFileSelector`].
    pub fn parse(value: Option<&str>) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::InvalidFileSelector;
        let mut sel = Self::default();
        let Some(mut rest) = value else {
            return Ok(sel);
        };
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(r) = rest.strip_prefix("name:\"") {
                let end = r.find('"').ok_or(bad.clone())?;
                let name = &r[..end];
                if name.is_empty() || sel.name.is_some() || !valid_quoted(name) {
                    return Err(bad);
                }
                sel.name = Some(name.into());
                rest = &r[end + 1..];
                if !(rest.is_empty() || rest.starts_with(' ')) {
                    return Err(bad);
                }
                continue;
            }
            // The other selectors end at the next space outside double quotes.
            let mut in_q = false;
            let end = rest.find(|c| {
                if c == '"' {
                    in_q = !in_q;
                }
                c == ' ' && !in_q
            });
            let (word, r) = rest.split_at(end.unwrap_or(rest.len()));
            rest = r;
            if let Some(t) = word.strip_prefix("type:") {
                if sel.media_type.is_some() || !valid_file_type(t) {
                    return Err(bad);
                }
                sel.media_type = Some(t.into());
            } else if let Some(s) = word.strip_prefix("size:") {
                if sel.size.is_some() {
                    return Err(bad);
                }
                sel.size = Some(parse_digits(s).ok_or(bad.clone())?);
            } else if let Some(h) = word.strip_prefix("hash:") {
                let (alg, hex) = h.split_once(':').ok_or(bad.clone())?;
                if !is_token(alg) {
                    return Err(bad);
                }
                sel.hashes.push(FileHash {
                    algorithm: alg.into(),
                    value: parse_hex_octets(hex).ok_or(bad.clone())?,
                });
            } else {
                return Err(bad);
            }
        }
        Ok(sel)
    }

    /// True when no selector is present (capability-only form).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.media_type.is_none()
            && self.size.is_none()
            && self.hashes.is_empty()
    }
}

/// filename-string: no NUL/CR/LF/`"`; `%` only as `%HH`.
fn valid_quoted(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0 | b'\r' | b'\n' | b'"' => return false,
            b'%' => {
                if i + 2 >= b.len()
                    || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

fn valid_file_type(t: &str) -> bool {
    let mut parts = t.split(';');
    let Some((ty, sub)) = parts.next().and_then(|m| m.split_once('/')) else {
        return false;
    };
    is_token(ty)
        && is_token(sub)
        && parts.all(|p| {
            p.split_once('=').is_some_and(|(a, v)| {
                is_token(a)
                    && v.len() >= 3
                    && v.starts_with('"')
                    && v.ends_with('"')
                    && valid_quoted(&v[1..v.len() - 1])
            })
        })
}

impl fmt::Display for FileSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(n) = &self.name {
            write!(f, "name:\"{n}\"")?;
            sep = " ";
        }
        if let Some(t) = &self.media_type {
            write!(f, "{sep}type:{t}")?;
            sep = " ";
        }
        if let Some(s) = self.size {
            write!(f, "{sep}size:{s}")?;
            sep = " ";
        }
        for h in &self.hashes {
            write!(f, "{sep}hash:{}:", h.algorithm)?;
            write_hex_octets(f, &h.value)?;
            sep = " ";
        }
        Ok(())
    }
}

/// Which date a `file-date` parameter gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileDateKind {
    /// `creation:`
    Creation,
    /// `modification:`
    Modification,
    /// `read:`
    Read,
}

impl FileDateKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Creation => "creation",
            Self::Modification => "modification",
            Self::Read => "read",
        }
    }
}

/// `a=file-date` (RFC 5547 §6): each kind at most once; the RFC 5322 date text is kept as
/// written (this crate has no clock and no calendar).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDate(pub Vec<(FileDateKind, String)>);

impl FileDate {
    /// Parses the attribute value.
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidFileDate`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::InvalidFileDate;
        let mut out: Vec<(FileDateKind, String)> = Vec::new();
        let mut rest = value.trim_start_matches(' ');
        while !rest.is_empty() {
            let (kind, r) = [
                FileDateKind::Creation,
                FileDateKind::Modification,
                FileDateKind::Read,
            ]
            .into_iter()
            .find_map(|k| {
                rest.strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix(":\""))
                    .map(|r| (k, r))
            })
            .ok_or(bad.clone())?;
            let end = r.find('"').ok_or(bad.clone())?;
            let date = &r[..end];
            // Numeric zone required: the text ends with +HHMM or -HHMM.
            let zone_ok = date.len() > 5 && {
                let z = &date.as_bytes()[date.len() - 5..];
                (z[0] == b'+' || z[0] == b'-') && z[1..].iter().all(u8::is_ascii_digit)
            };
            if !zone_ok || out.iter().any(|(k, _)| *k == kind) {
                return Err(bad);
            }
            out.push((kind, date.into()));
            rest = &r[end + 1..];
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return Err(bad);
            }
            rest = rest.trim_start_matches(' ');
        }
        if out.is_empty() {
            return Err(bad);
        }
        Ok(Self(out))
    }
}

impl fmt::Display for FileDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, d)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}:\"{d}\"", k.as_str())?;
        }
        Ok(())
    }
}

/// `a=file-range:<start>-<stop|*>` (RFC 5547 §6, 1-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// First octet (≥ 1).
    pub start: u64,
    /// Last octet, `None` for `*` (end of file).
    pub stop: Option<u64>,
}

impl FileRange {
    /// Parses the attribute value.
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidFileRange`].
    pub fn parse(value: &str) -> Result<Self, SdpErrorKind> {
        let bad = SdpErrorKind::InvalidFileRange;
        let (a, b) = value.trim().split_once('-').ok_or(bad.clone())?;
        let start: u64 = parse_digits(a).filter(|s| *s >= 1).ok_or(bad.clone())?;
        let stop = if b == "*" {
            None
        } else {
            Some(parse_digits::<u64>(b).filter(|s| *s >= start).ok_or(bad)?)
        };
        Ok(Self { start, stop })
    }
}

impl fmt::Display for FileRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stop {
            Some(s) => write!(f, "{}-{s}", self.start),
            None => write!(f, "{}-*", self.start),
        }
    }
}

/// All RFC 5547 attributes of one media section.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FileTransfer {
    /// `a=file-selector`.
    pub selector: Option<FileSelector>,
    /// `a=file-transfer-id` (a token).
    pub transfer_id: Option<String>,
    /// `a=file-disposition` (a token; default `render`, R5547-007).
    pub disposition: Option<String>,
    /// `a=file-date`.
    pub date: Option<FileDate>,
    /// `a=file-icon` (a `cid:` URL).
    pub icon: Option<String>,
    /// `a=file-range`.
    pub range: Option<FileRange>,
}

impl FileTransfer {
    /// True when no RFC 5547 attribute is present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

pub(crate) fn parse_token_value(
    value: Option<&str>,
    err: SdpErrorKind,
) -> Result<String, SdpErrorKind> {
    value
        .map(str::trim)
        .filter(|v| is_token(v))
        .map(str::to_owned)
        .ok_or(err)
}

pub(crate) fn parse_icon(value: Option<&str>) -> Result<String, SdpErrorKind> {
    let v = value.map(str::trim).ok_or(SdpErrorKind::InvalidFileIcon)?;
    match v.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("cid:") && v.len() > 4 && !v.contains(' ') => {
            Ok(v.into())
        }
        _ => Err(SdpErrorKind::InvalidFileIcon),
    }
}
