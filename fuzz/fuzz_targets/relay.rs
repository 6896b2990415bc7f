//! The relay server between clients sending arbitrary bytes, AUTHs and SENDs.
//! The body lives in `msrp_proto::fuzzing::relay` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::relay(data));
