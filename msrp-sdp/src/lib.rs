//! # msrp-sdp — SDP for MSRP media, offer/answer, `a=setup`, fingerprints and CEMA
//!
//! Sans-IO: no sockets, no DNS, no clock.
#![forbid(unsafe_code)]

mod attrs;
mod error;
mod file;
mod model;
mod msrp;
mod uri_check;

pub use attrs::{
    Address, Connection, Direction, Fingerprint, FormatEntry, MediaLine, Setup, Transport,
    parse_format_list,
};
pub use error::{SdpError, SdpErrorKind};
pub use file::{FileDate, FileDateKind, FileHash, FileRange, FileSelector, FileTransfer};
pub use model::{DescriptionKind, Line, LineEnding, MediaDescription, SessionDescription};
pub use msrp::MsrpMedia;
