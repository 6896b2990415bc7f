//! The one place where `a=path` URIs are read, using `msrp_proto::uri` (the stack's only URI
//! parser).

use msrp_proto::uri::{Uri, UriError, UriRef};

use crate::error::SdpErrorKind;

/// Parses one `a=path` URI: an MSRP URI with an explicit non-zero port (R4975-176). The
/// last URI of a path (the endpoint's own) must also carry a session-id (R4975-178).
pub(crate) fn parse_path_uri(text: &str, last: bool) -> Result<Uri, SdpErrorKind> {
    let uri = UriRef::parse(text).map_err(SdpErrorKind::InvalidPath)?;
    match uri.port() {
        None => return Err(SdpErrorKind::PathUriWithoutPort),
        Some(0) => return Err(SdpErrorKind::InvalidPath(UriError::BadPort)),
        Some(_) => {}
    }
    if last {
        uri.check_session_uri().map_err(SdpErrorKind::InvalidPath)?;
    }
    Ok(uri.to_owned())
}
