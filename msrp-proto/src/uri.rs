//! MSRP URIs (RFC 4975 §6): parsing, comparison (§6.1) and generation. (Being written.)
