//! Typed header field values (RFC 4975, 4976, 7701). (Being written.)
