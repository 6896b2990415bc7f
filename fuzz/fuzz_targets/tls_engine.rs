//! Two endpoints through two TLS connections with chosen splits and corruption.
//! The body lives in `msrp_proto::fuzzing::tls_engine` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::tls_engine(data));
