//! The wire layer: framing, typed header values, identifiers and the encoder.

pub mod headers;
