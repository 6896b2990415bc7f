//! TLS for `msrps` through rustls' unbuffered API. (Being written.)
