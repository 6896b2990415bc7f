//! The typed view of one MSRP media section (RFC 4975 §8, RFC 6135, RFC 6714, RFC 8122,
//! RFC 5547) and its canonical serialization.

use msrp_proto::uri::Uri;

use crate::attrs::{
    Connection, Direction, Fingerprint, FormatEntry, MediaLine, Setup, Transport, parse_format_list,
};
use crate::error::{SdpError, SdpErrorKind};
use crate::file::{FileDate, FileRange, FileSelector, FileTransfer, parse_icon, parse_token_value};
use crate::model::{Line, MediaDescription, SessionDescription};

/// Everything an MSRP endpoint needs from one `m=message … TCP/MSRP *` section, with the
/// session-level defaults (`c=`, `a=fingerprint`, direction) already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsrpMedia {
    /// The m-line port (0 = refused/removed stream).
    pub port: u16,
    /// `TCP/MSRP` or `TCP/TLS/MSRP`.
    pub transport: Transport,
    /// The applicable `c=` (media level, else session level).
    pub connection: Connection,
    /// The `a=path` URIs in order (several `a=path` lines are concatenated; runs of spaces
    /// separate URIs, P-34). [`Uri::as_str`] gives each as written.
    pub path: Vec<Uri>,
    /// `a=accept-types` (mandatory, R4975-184).
    pub accept_types: Vec<FormatEntry>,
    /// `a=accept-wrapped-types`.
    pub accept_wrapped_types: Vec<FormatEntry>,
    /// `a=max-size` in octets.
    pub max_size: Option<u64>,
    /// `a=setup` as written (`holdconn` is kept here; negotiation ignores it, R6135-004).
    pub setup: Option<Setup>,
    /// `a=fingerprint` lines (media level, else session level, R8122-003).
    pub fingerprints: Vec<Fingerprint>,
    /// `a=msrp-cema` present (a value, if any, is ignored: P-30).
    pub cema: bool,
    /// The effective direction (R8866-003).
    pub direction: Direction,
    /// RFC 5547 attributes.
    pub file: FileTransfer,
}

impl MsrpMedia {
    /// A minimal media section: port, transport, `c=`, path, accept-types; everything else
    /// empty/default.
    #[must_use]
    pub fn new(
        port: u16,
        transport: Transport,
        connection: Connection,
        path: Vec<Uri>,
        accept_types: Vec<FormatEntry>,
    ) -> Self {
        Self {
            port,
            transport,
            connection,
            path,
            accept_types,
            accept_wrapped_types: Vec::new(),
            max_size: None,
            setup: None,
            fingerprints: Vec::new(),
            cema: false,
            direction: Direction::SendRecv,
            file: FileTransfer::default(),
        }
    }

    /// Index of the first MSRP media section of `sdp`.
    #[must_use]
    pub fn find(sdp: &SessionDescription) -> Option<usize> {
        sdp.media()
            .iter()
            .position(|m| m.media_line().is_ok_and(|ml| ml.is_msrp()))
    }

    /// Reads media section `index` of `sdp` as MSRP media, checking every MSRP rule.
    ///
    /// # Errors
    /// An [`SdpError`] with the number of the offending line (for a missing mandatory line:
    /// the `m=` line).
    pub fn from_sdp(sdp: &SessionDescription, index: usize) -> Result<Self, SdpError> {
        let Some(media) = sdp.media().get(index) else {
            return Err(SdpError::new(
                sdp.session_lines().len().max(1),
                SdpErrorKind::NoSuchMedia,
            ));
        };
        let ln = |i: usize| sdp.media_line_number(index, i);
        let m_line = media.media_line().map_err(|k| SdpError::new(ln(0), k))?;
        let transport = Transport::from_proto(&m_line.proto)
            .filter(|_| {
                m_line.media.eq_ignore_ascii_case("message")
                    && m_line.formats == ["*"]
                    && m_line.port_count.is_none()
            })
            .ok_or_else(|| SdpError::new(ln(0), SdpErrorKind::NotMsrpMedia))?;

        let connection = match media.connection_line() {
            Some((i, l)) => Connection::parse(l.value()).map_err(|k| SdpError::new(ln(i), k))?,
            None => match sdp.session_connection() {
                Some((n, l)) => Connection::parse(l.value()).map_err(|k| SdpError::new(n, k))?,
                None => return Err(SdpError::new(ln(0), SdpErrorKind::MissingConnection)),
            },
        };

        let mut out = Self::new(m_line.port, transport, connection, Vec::new(), Vec::new());
        let mut seen_accept = false;
        let mut seen_wrapped = false;
        let mut seen_max = false;
        let mut seen_setup = false;
        let mut direction: Option<Direction> = None;
        let mut path_lines: Vec<(usize, &str)> = Vec::new();
        for (i, line) in media.lines().iter().enumerate().skip(1) {
            let Some((name, value)) = line.as_attribute() else {
                continue;
            };
            let at = |k: SdpErrorKind| SdpError::new(ln(i), k);
            let dup = |seen: &mut bool, n: &'static str| {
                if *seen {
                    Err(SdpError::new(ln(i), SdpErrorKind::DuplicateAttribute(n)))
                } else {
                    *seen = true;
                    Ok(())
                }
            };
            let name = name.to_ascii_lowercase();
            match name.as_str() {
                "path" => path_lines.push((i, value.unwrap_or(""))),
                "accept-types" => {
                    dup(&mut seen_accept, "accept-types")?;
                    out.accept_types = parse_format_list(value.unwrap_or("")).map_err(at)?;
                }
                "accept-wrapped-types" => {
                    dup(&mut seen_wrapped, "accept-wrapped-types")?;
                    out.accept_wrapped_types =
                        parse_format_list(value.unwrap_or("")).map_err(at)?;
                }
                "max-size" => {
                    dup(&mut seen_max, "max-size")?;
                    out.max_size = Some(
                        crate::attrs::parse_digits(value.unwrap_or("").trim())
                            .ok_or_else(|| at(SdpErrorKind::InvalidMaxSize))?,
                    );
                }
                "setup" => {
                    dup(&mut seen_setup, "setup")?;
                    out.setup = Some(Setup::parse(value.unwrap_or("")).map_err(at)?);
                }
                "fingerprint" => out
                    .fingerprints
                    .push(Fingerprint::parse(value.unwrap_or("")).map_err(at)?),
                "msrp-cema" => out.cema = true,
                "file-selector" => {
                    if out.file.selector.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-selector")));
                    }
                    out.file.selector = Some(FileSelector::parse(value).map_err(at)?);
                }
                "file-transfer-id" => {
                    if out.file.transfer_id.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-transfer-id")));
                    }
                    out.file.transfer_id = Some(
                        parse_token_value(value, SdpErrorKind::InvalidFileTransferId)
                            .map_err(at)?,
                    );
                }
                "file-disposition" => {
                    if out.file.disposition.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-disposition")));
                    }
                    out.file.disposition = Some(
                        parse_token_value(value, SdpErrorKind::InvalidFileDisposition)
                            .map_err(at)?,
                    );
                }
                "file-date" => {
                    if out.file.date.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-date")));
                    }
                    out.file.date = Some(FileDate::parse(value.unwrap_or("")).map_err(at)?);
                }
                "file-icon" => {
                    if out.file.icon.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-icon")));
                    }
                    out.file.icon = Some(parse_icon(value).map_err(at)?);
                }
                "file-range" => {
                    if out.file.range.is_some() {
                        return Err(at(SdpErrorKind::DuplicateAttribute("file-range")));
                    }
                    out.file.range = Some(FileRange::parse(value.unwrap_or("")).map_err(at)?);
                }
                other => {
                    if let Some(d) = Direction::from_name(other)
                        && direction.replace(d).is_some()
                    {
                        return Err(at(SdpErrorKind::DuplicateDirection));
                    }
                    // `a=connection` (R6135-013) and unknown attributes: ignored.
                }
            }
        }
        if path_lines.is_empty() {
            return Err(SdpError::new(ln(0), SdpErrorKind::MissingPath));
        }
        let total: usize = path_lines
            .iter()
            .map(|(_, v)| v.split_ascii_whitespace().count())
            .sum();
        for (i, v) in path_lines {
            if v.split_ascii_whitespace().next().is_none() {
                return Err(SdpError::new(
                    ln(i),
                    SdpErrorKind::InvalidPath(msrp_proto::uri::UriError::Empty),
                ));
            }
            for text in v.split_ascii_whitespace() {
                let last = out.path.len() + 1 == total;
                out.path.push(
                    crate::uri_check::parse_path_uri(text, last)
                        .map_err(|k| SdpError::new(ln(i), k))?,
                );
            }
        }
        if !seen_accept {
            return Err(SdpError::new(ln(0), SdpErrorKind::MissingAcceptTypes));
        }
        if out.fingerprints.is_empty() {
            for (n, v) in sdp.session_attributes("fingerprint") {
                out.fingerprints
                    .push(Fingerprint::parse(v.unwrap_or("")).map_err(|k| SdpError::new(n, k))?);
            }
        }
        out.direction = match direction {
            Some(d) => d,
            None => {
                let mut session_dir = None;
                for (n, l) in sdp.session_lines().iter().enumerate() {
                    if let Some(d) = l
                        .as_attribute()
                        .and_then(|(name, _)| Direction::from_name(name))
                        && session_dir.replace(d).is_some()
                    {
                        return Err(SdpError::new(n + 1, SdpErrorKind::DuplicateDirection));
                    }
                }
                session_dir.unwrap_or_default()
            }
        };
        Ok(out)
    }

    /// True when the path has more than one URI, i.e. the endpoint that wrote it uses a relay
    /// (RFC 6714 §4.3 criterion 1).
    #[must_use]
    pub fn uses_relay(&self) -> bool {
        self.path.len() > 1
    }

    /// Canonical media section: `m=`, media-level `c=`, then the attributes in a fixed order
    /// (accept-types, accept-wrapped-types, max-size, path, setup, fingerprints, msrp-cema,
    /// direction when not `sendrecv`, RFC 5547 attributes). CRLF endings.
    #[must_use]
    pub fn to_media_description(&self) -> MediaDescription {
        let mut lines = vec![Line::new('c', self.connection.to_string())];
        let join = |v: &[FormatEntry]| {
            v.iter()
                .map(FormatEntry::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        };
        lines.push(Line::attribute(
            "accept-types",
            Some(&join(&self.accept_types)),
        ));
        if !self.accept_wrapped_types.is_empty() {
            lines.push(Line::attribute(
                "accept-wrapped-types",
                Some(&join(&self.accept_wrapped_types)),
            ));
        }
        if let Some(m) = self.max_size {
            lines.push(Line::attribute("max-size", Some(&m.to_string())));
        }
        lines.push(Line::attribute(
            "path",
            Some(
                &self
                    .path
                    .iter()
                    .map(Uri::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ));
        if let Some(s) = self.setup {
            lines.push(Line::attribute("setup", Some(s.as_str())));
        }
        for f in &self.fingerprints {
            lines.push(Line::attribute("fingerprint", Some(&f.to_string())));
        }
        if self.cema {
            lines.push(Line::attribute("msrp-cema", None));
        }
        if self.direction != Direction::SendRecv {
            lines.push(Line::attribute(self.direction.as_str(), None));
        }
        let f = &self.file;
        if let Some(s) = &f.selector {
            let v = s.to_string();
            lines.push(Line::attribute(
                "file-selector",
                if v.is_empty() { None } else { Some(&v) },
            ));
        }
        if let Some(v) = &f.transfer_id {
            lines.push(Line::attribute("file-transfer-id", Some(v)));
        }
        if let Some(v) = &f.disposition {
            lines.push(Line::attribute("file-disposition", Some(v)));
        }
        if let Some(v) = &f.date {
            lines.push(Line::attribute("file-date", Some(&v.to_string())));
        }
        if let Some(v) = &f.icon {
            lines.push(Line::attribute("file-icon", Some(v)));
        }
        if let Some(v) = &f.range {
            lines.push(Line::attribute("file-range", Some(&v.to_string())));
        }
        MediaDescription::new(&MediaLine::msrp(self.port, self.transport), lines)
    }

    /// True when the peer that wrote this section can receive a top-level message of type
    /// `mime` (R4975-189: listed in accept-types, wildcards count).
    #[must_use]
    pub fn accepts(&self, mime: &str) -> bool {
        self.accept_types.iter().any(|e| e.admits(mime))
    }

    /// True when `inner` may be sent wrapped in a container of type `container` (R4975-187):
    /// the container must be in accept-types and the inner type in either list.
    #[must_use]
    pub fn accepts_wrapped(&self, container: &str, inner: &str) -> bool {
        self.accepts(container)
            && (self.accepts(inner) || self.accept_wrapped_types.iter().any(|e| e.admits(inner)))
    }
}
