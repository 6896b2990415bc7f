//! The decoder under arbitrary input and arbitrary read sizes; the body lives in
//! `msrp_proto::fuzzing::framer` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::framer(data));
