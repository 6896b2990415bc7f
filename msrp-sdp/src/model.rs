//! The line-preserving SDP model: whole session descriptions and media-section-only fragments.
//!
//! Parsing keeps every line as written (value text and line ending), in order, so that
//! [`SessionDescription::to_string`](ToString::to_string) reproduces the input byte for byte.
//! Only the structure is checked here (line grammar, known type letters, `v=`/`o=`/`s=`/`t=`
//! for whole descriptions, the `m=` lines that delimit media sections). The meaning of the
//! MSRP lines is checked by the typed views ([`crate::MsrpMedia::from_sdp`]) and by
//! [`SessionDescription::validate`], which report errors with line numbers.

use core::fmt;

use crate::attrs::{Connection, MediaLine};
use crate::error::{SdpError, SdpErrorKind};

/// How a line ended in the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum LineEnding {
    /// `CRLF` (what RFC 8866 prescribes and what builders emit).
    #[default]
    CrLf,
    /// A bare `LF` (accepted on input, R8866-005).
    Lf,
    /// No line ending: the last line of a text that does not end with a newline.
    None,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            Self::CrLf => "\r\n",
            Self::Lf => "\n",
            Self::None => "",
        }
    }
}

/// One `<type>=<value>` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Line {
    kind: char,
    value: String,
    ending: LineEnding,
}

/// The type letters RFC 8866 §5 defines (including the obsolete `k=`).
const KNOWN_TYPES: &str = "vosiuepcbtrzkam";

impl Line {
    /// A line with a CRLF ending. `kind` is the type letter, `value` the text after `=`.
    ///
    /// The value must not contain CR, LF or NUL; such characters are replaced by a space so
    /// that the description stays well formed.
    #[must_use]
    pub fn new(kind: char, value: impl Into<String>) -> Self {
        let mut value: String = value.into();
        if value.contains(['\r', '\n', '\0']) {
            value = value.replace(['\r', '\n', '\0'], " ");
        }
        Self {
            kind,
            value,
            ending: LineEnding::CrLf,
        }
    }

    /// An attribute line `a=<name>` or `a=<name>:<value>`.
    #[must_use]
    pub fn attribute(name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => Self::new('a', format!("{name}:{v}")),
            None => Self::new('a', name),
        }
    }

    /// The type letter (`'a'`, `'m'`, `'c'`, …).
    #[must_use]
    pub fn kind(&self) -> char {
        self.kind
    }

    /// The text after `=`, exactly as written.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// How the line ended in the parsed text.
    #[must_use]
    pub fn ending(&self) -> LineEnding {
        self.ending
    }

    /// For an `a=` line: the attribute name and the value after the first `:` (if any).
    #[must_use]
    pub fn as_attribute(&self) -> Option<(&str, Option<&str>)> {
        if self.kind != 'a' {
            return None;
        }
        Some(match self.value.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (self.value.as_str(), None),
        })
    }

    /// True for an `a=` line whose name equals `name` (ASCII case-insensitively).
    #[must_use]
    pub fn is_attribute(&self, name: &str) -> bool {
        self.as_attribute()
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn parse(raw: &str, ending: LineEnding, line_no: usize) -> Result<Self, SdpError> {
        let err = |k| SdpError::new(line_no, k);
        if raw.is_empty() {
            return Err(err(SdpErrorKind::EmptyLine));
        }
        if raw.contains(['\r', '\0']) {
            return Err(err(SdpErrorKind::ForbiddenCharacter));
        }
        let mut chars = raw.chars();
        let kind = chars.next().ok_or_else(|| err(SdpErrorKind::EmptyLine))?;
        if chars.next() != Some('=') || !kind.is_ascii_alphabetic() {
            return Err(err(SdpErrorKind::MalformedLine));
        }
        if !KNOWN_TYPES.contains(kind) {
            return Err(err(SdpErrorKind::UnknownLineType(kind)));
        }
        Ok(Self {
            kind,
            value: raw[2..].to_owned(),
            ending,
        })
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}{}", self.kind, self.value, self.ending.as_str())
    }
}

/// One media section: its `m=` line followed by the lines up to the next `m=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    lines: Vec<Line>,
}

impl MediaDescription {
    /// A media section starting with `m_line` (must be an `m=` line) followed by `lines`.
    ///
    /// # Panics
    /// Never: a non-`m=` first line is turned into an `m=` line with the same value.
    #[must_use]
    pub fn new(m_line: &MediaLine, lines: Vec<Line>) -> Self {
        let mut all = Vec::with_capacity(lines.len() + 1);
        all.push(Line::new('m', m_line.to_string()));
        all.extend(lines.into_iter().filter(|l| l.kind != 'm'));
        Self { lines: all }
    }

    /// All lines of the section, the `m=` line first.
    #[must_use]
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Appends a line (an `m=` line is ignored: it would start a new section).
    pub fn push(&mut self, line: Line) {
        if line.kind != 'm' {
            self.lines.push(line);
        }
    }

    /// Removes every `a=` line with this name (ASCII case-insensitive).
    pub fn remove_attributes(&mut self, name: &str) {
        let mut first = true;
        self.lines.retain(|l| {
            let keep = first || !l.is_attribute(name);
            first = false;
            keep
        });
    }

    /// The parsed `m=` line.
    ///
    /// # Errors
    /// [`SdpErrorKind::MalformedMediaLine`] (cannot happen for parsed or built sections).
    pub fn media_line(&self) -> Result<MediaLine, SdpErrorKind> {
        MediaLine::parse(self.lines[0].value())
    }

    /// Replaces the `m=` line.
    pub fn set_media_line(&mut self, m: &MediaLine) {
        let ending = self.lines[0].ending;
        self.lines[0] = Line {
            ending,
            ..Line::new('m', m.to_string())
        };
    }

    /// The `a=` lines with this name, in order, as `(index in lines(), value)`.
    pub fn attributes<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, Option<&'a str>)> + 'a {
        self.lines
            .iter()
            .enumerate()
            .filter_map(move |(i, l)| match l.as_attribute() {
                Some((n, v)) if n.eq_ignore_ascii_case(name) => Some((i, v)),
                _ => None,
            })
    }

    /// The media-level `c=` line, if any, with its index in [`MediaDescription::lines`].
    #[must_use]
    pub fn connection_line(&self) -> Option<(usize, &Line)> {
        self.lines.iter().enumerate().find(|(_, l)| l.kind == 'c')
    }
}

/// Whether a description was parsed as a whole SDP or as a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DescriptionKind {
    /// A whole session description (`v=`, `o=`, `s=`, `t=` present).
    Full,
    /// Media-section-only text as printed in many RFCs: optional session-level lines (often
    /// just `c=`), then media sections.
    Fragment,
}

/// A session description (or fragment) that keeps every line as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    kind: DescriptionKind,
    session: Vec<Line>,
    media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Builds a description from its parts. Use [`DescriptionKind::Full`] with session lines
    /// that begin `v=`, `o=`, `s=` and include `t=`.
    #[must_use]
    pub fn from_parts(
        kind: DescriptionKind,
        session: Vec<Line>,
        media: Vec<MediaDescription>,
    ) -> Self {
        Self {
            kind,
            session,
            media,
        }
    }

    /// Parses a whole session description (RFC 8866), preserving every line.
    ///
    /// # Errors
    /// Structural errors with the line number: see [`SdpErrorKind`].
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        Self::parse_as(text, DescriptionKind::Full)
    }

    /// Like [`SessionDescription::parse`] for bytes (must be UTF-8).
    ///
    /// # Errors
    /// [`SdpErrorKind::InvalidUtf8`] on the first line with invalid UTF-8, else as `parse`.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, SdpError> {
        Self::parse(utf8(bytes)?)
    }

    /// Parses a media-section-only fragment: any session-level lines (no `v=` required),
    /// then media sections.
    ///
    /// # Errors
    /// Structural errors with the line number.
    pub fn parse_fragment(text: &str) -> Result<Self, SdpError> {
        Self::parse_as(text, DescriptionKind::Fragment)
    }

    /// Parses a whole description when the text starts with `v=`, a fragment otherwise.
    ///
    /// # Errors
    /// As [`SessionDescription::parse`] / [`SessionDescription::parse_fragment`].
    pub fn parse_any(text: &str) -> Result<Self, SdpError> {
        if text.starts_with("v=") {
            Self::parse(text)
        } else {
            Self::parse_fragment(text)
        }
    }

    fn parse_as(text: &str, kind: DescriptionKind) -> Result<Self, SdpError> {
        if text.is_empty() {
            return Err(SdpError::new(1, SdpErrorKind::Empty));
        }
        let mut session = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();
        let mut rest = text;
        let mut line_no = 0usize;
        while !rest.is_empty() {
            line_no += 1;
            let (raw, ending, next) = match rest.find('\n') {
                Some(i) => {
                    let (raw, ending) = match rest[..i].strip_suffix('\r') {
                        Some(r) => (r, LineEnding::CrLf),
                        None => (&rest[..i], LineEnding::Lf),
                    };
                    (raw, ending, &rest[i + 1..])
                }
                None => (rest, LineEnding::None, ""),
            };
            rest = next;
            let line = Line::parse(raw, ending, line_no)?;
            if line.kind == 'm' {
                MediaLine::parse(line.value()).map_err(|k| SdpError::new(line_no, k))?;
                media.push(MediaDescription { lines: vec![line] });
            } else if let Some(m) = media.last_mut() {
                m.lines.push(line);
            } else {
                session.push(line);
            }
        }
        let sdp = Self {
            kind,
            session,
            media,
        };
        if kind == DescriptionKind::Full {
            sdp.check_session_header()?;
        }
        Ok(sdp)
    }

    fn check_session_header(&self) -> Result<(), SdpError> {
        let s = &self.session;
        match s.first() {
            Some(l) if l.kind == 'v' => {
                if l.value != "0" {
                    return Err(SdpError::new(1, SdpErrorKind::UnsupportedVersion));
                }
            }
            _ => return Err(SdpError::new(1, SdpErrorKind::MissingVersion)),
        }
        match s.get(1) {
            Some(l) if l.kind == 'o' => {
                if l.value.split(' ').count() != 6 || l.value.split(' ').any(str::is_empty) {
                    return Err(SdpError::new(2, SdpErrorKind::MalformedOrigin));
                }
            }
            _ => return Err(SdpError::new(2, SdpErrorKind::MissingSessionLine('o'))),
        }
        if !matches!(s.get(2), Some(l) if l.kind == 's') {
            return Err(SdpError::new(3, SdpErrorKind::MissingSessionLine('s')));
        }
        if !s.iter().any(|l| l.kind == 't') {
            return Err(SdpError::new(
                s.len().max(1),
                SdpErrorKind::MissingSessionLine('t'),
            ));
        }
        Ok(())
    }

    /// Full description or fragment.
    #[must_use]
    pub fn kind(&self) -> DescriptionKind {
        self.kind
    }

    /// The session-level lines (everything before the first `m=`).
    #[must_use]
    pub fn session_lines(&self) -> &[Line] {
        &self.session
    }

    /// Mutable session-level lines.
    pub fn session_lines_mut(&mut self) -> &mut Vec<Line> {
        &mut self.session
    }

    /// The media sections in order.
    #[must_use]
    pub fn media(&self) -> &[MediaDescription] {
        &self.media
    }

    /// Mutable media sections.
    pub fn media_mut(&mut self) -> &mut Vec<MediaDescription> {
        &mut self.media
    }

    /// The 1-based line number of line `index` of media section `media` (index 0 = `m=`).
    #[must_use]
    pub fn media_line_number(&self, media: usize, index: usize) -> usize {
        self.session.len()
            + self.media[..media]
                .iter()
                .map(|m| m.lines.len())
                .sum::<usize>()
            + index
            + 1
    }

    /// The session-level `c=` line and its 1-based line number.
    #[must_use]
    pub fn session_connection(&self) -> Option<(usize, &Line)> {
        self.session
            .iter()
            .enumerate()
            .find(|(_, l)| l.kind == 'c')
            .map(|(i, l)| (i + 1, l))
    }

    /// Session-level `a=` lines with this name: `(1-based line number, value)`.
    pub fn session_attributes<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, Option<&'a str>)> + 'a {
        self.session
            .iter()
            .enumerate()
            .filter_map(move |(i, l)| match l.as_attribute() {
                Some((n, v)) if n.eq_ignore_ascii_case(name) => Some((i + 1, v)),
                _ => None,
            })
    }

    /// Strict check on top of the structural parse: every `c=` line is well formed and every
    /// MSRP media section passes [`crate::MsrpMedia::from_sdp`].
    ///
    /// The RFC 8873 §4.8 answer (`c=IN IP6 IP6 2001:db8::1`, defect E-25) parses (and
    /// round-trips) but fails here.
    ///
    /// # Errors
    /// The first problem found, with its line number.
    pub fn validate(&self) -> Result<(), SdpError> {
        if let Some((n, l)) = self.session_connection() {
            Connection::parse(l.value()).map_err(|k| SdpError::new(n, k))?;
        }
        for (mi, m) in self.media.iter().enumerate() {
            if let Some((i, l)) = m.connection_line() {
                Connection::parse(l.value())
                    .map_err(|k| SdpError::new(self.media_line_number(mi, i), k))?;
            }
            if m.media_line().is_ok_and(|ml| ml.is_msrp()) {
                crate::MsrpMedia::from_sdp(self, mi)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.session {
            write!(f, "{l}")?;
        }
        for m in &self.media {
            for l in &m.lines {
                write!(f, "{l}")?;
            }
        }
        Ok(())
    }
}

impl core::str::FromStr for SessionDescription {
    type Err = SdpError;
    fn from_str(s: &str) -> Result<Self, SdpError> {
        Self::parse_any(s)
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, SdpError> {
    core::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        SdpError::new(line, SdpErrorKind::InvalidUtf8)
    })
}
