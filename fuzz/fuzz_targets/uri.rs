//! URI parsing, §6.1 comparison, path splitting and generation.
//! The body lives in `msrp_proto::fuzzing::uri` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::uri(data));
