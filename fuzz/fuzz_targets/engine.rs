//! Two endpoints on an in-memory link driven by a program of commands.
//! The body lives in `msrp_proto::fuzzing::engine` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::engine(data));
