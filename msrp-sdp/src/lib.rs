//! # msrp-sdp — SDP for MSRP media, offer/answer, `a=setup`, fingerprints and CEMA
//!
//! Sans-IO: no sockets, no DNS, no clock. SDP text goes in; a plain [`Session`] value comes
//! out that says who connects, where to, with which To-Path, and what became of CEMA.
//!
//! * [`SessionDescription`] keeps every line as written: whole descriptions and the
//!   media-section-only fragments RFCs print round-trip byte for byte; unknown lines and
//!   attributes stay in place.
//! * [`MsrpMedia`] is the typed view of an `m=message … TCP/MSRP *` section: `c=`, `a=path`
//!   ([`msrp_proto::uri::Uri`]), accept-types, max-size, `a=setup` (RFC 6135),
//!   `a=fingerprint` (RFC 8122), `a=msrp-cema` (RFC 6714), direction, RFC 5547 file transfer.
//!   Errors are [`SdpError`]s with the line number.
//! * [`offer_media`]/[`create_offer`], [`answer_media`]/[`create_answer`] and
//!   [`apply_answer`]/[`apply_answer_sdp`] implement offer/answer from a [`LocalConfig`].
//! * [`negotiate_setup`] is the RFC 4145 pair table; [`cm_matches_path`] is RFC 6714 §4.4.
//! * The [`cema`] page explains CEMA and holds the full decision table.
//!
//! ```
//! use msrp_proto::uri::Uri;
//! use msrp_sdp::*;
//!
//! let origin = |name: &str| Origin {
//!     username: "-".into(), session_id: 1, version: 1, address: Address::Name(name.into()),
//! };
//! // Alice offers, with CEMA.
//! let mut alice = LocalConfig::new(Uri::parse("msrp://alice.example.com:7777/a1;tcp").unwrap());
//! alice.cema = true;
//! let offer = create_offer(&alice, &origin("alice.example.com")).unwrap();
//! assert!(offer.to_string().contains("a=msrp-cema\r\n"));
//!
//! // A middlebox rewrites the offer's c/m to anchor the media …
//! let text = offer.to_string().replace("c=IN IP4 alice.example.com", "c=IN IP4 192.0.2.99");
//! let offer_seen_by_bob = SessionDescription::parse(&text).unwrap();
//!
//! // … Bob (CEMA, cannot accept connections) answers and must dial the middlebox.
//! let mut bob = LocalConfig::new(Uri::parse("msrp://bob.example.com:8888/b1;tcp").unwrap());
//! bob.cema = true;
//! bob.reachable = false;
//! let answer = create_answer(&offer_seen_by_bob, &bob, &Resolutions::new(), &origin("bob.example.com")).unwrap();
//! let AnswerOutcome::Accept { session, .. } = &answer.outcome else { panic!() };
//! assert_eq!(session.role, Role::Active);
//! assert_eq!(session.cema, CemaStatus::Enabled);
//! assert!(matches!(
//!     &session.connect,
//!     Connect::Dial { port: 7777, source: DialSource::CmLine, .. }
//! ));
//! assert_eq!(session.to_path[0].as_str(), "msrp://alice.example.com:7777/a1;tcp");
//!
//! // Alice applies the answer: she is passive and waits for Bob's connection.
//! match apply_answer_sdp(&alice, &offer, &answer.sdp, &Resolutions::new()).unwrap() {
//!     OfferOutcome::Established(s) => assert_eq!(s.role, Role::Passive),
//!     other => panic!("{other:?}"),
//! }
//! ```
#![forbid(unsafe_code)]

#[doc = include_str!("../docs/cema.md")]
pub mod cema {
    #[doc(no_inline)]
    pub use crate::{NeedsResolution, Resolutions, cm_matches_path};
}

mod attrs;
mod error;
mod file;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
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
    Answer, AnswerOutcome, CONTAINER_TYPES, CemaFallback, CemaStatus, ConfigError, Connect,
    DEFAULT_ACCEPT_TYPES, DialSource, LocalConfig, NegotiationError, OfferOutcome, Origin,
    RejectReason, ReofferCriterion, Session, answer_media, apply_answer, apply_answer_sdp,
    create_answer, create_offer, offer_media, session_description,
};
pub use setup::{
    Role, Roles, SetupError, answer_setup, effective as effective_setup,
    negotiate as negotiate_setup,
};
