//! The one place where path URIs are checked. Uses `msrp_proto::uri` (the stack's only URI
//! parser) once it is available on this branch.

use crate::error::SdpErrorKind;

/// Checks one `a=path` URI: it must be an MSRP URI with an explicit port (R4975-176).
pub(crate) fn check_path_uri(uri: &str) -> Result<(), SdpErrorKind> {
    // Placeholder until msrp-proto's URI type lands: only reject obviously empty values.
    if uri.is_empty() {
        return Err(SdpErrorKind::InvalidPath);
    }
    Ok(())
}
