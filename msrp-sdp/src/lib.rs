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
mod matching;
mod negotiate;
mod setup;

pub use matching::{NeedsResolution, Resolutions, cm_matches_path};
pub use negotiate::{
    Answer, AnswerOutcome, CemaFallback, CemaStatus, ConfigError, Connect, DEFAULT_ACCEPT_TYPES,
    DialSource, LocalConfig, NegotiationError, OfferOutcome, Origin, RejectReason,
    ReofferCriterion, Session, answer_media, apply_answer, apply_answer_sdp, create_answer,
    create_offer, offer_media, session_description,
};
pub use setup::{
    Role, Roles, SetupError, answer_setup, effective as effective_setup,
    negotiate as negotiate_setup,
};
