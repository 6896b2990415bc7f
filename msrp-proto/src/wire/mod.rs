//! The wire layer: the streaming [`Decoder`], typed [`headers`], identifiers and the
//! encoder.
//!
//! Data flow: socket bytes → [`Decoder::decode`] → [`Event`]s ([`Head`], body slices,
//! [`Flag`]) → the engine. Outgoing: the engine → [`encode`] functions → a caller-owned
//! [`bytes::BufMut`] → socket. Neither direction allocates.

pub mod encode;
mod error;
mod framer;
mod head;
pub mod headers;
mod ids;
mod limits;
mod search;

pub use error::{KnownHeader, Limit, ParseError};
pub use framer::{Decoder, Event};
pub use head::{Field, Fields, Flag, Head, Method};
pub use ids::{IdentError, MessageId, TransactionId};
pub use limits::{IDENT_CEILING, Limits};
