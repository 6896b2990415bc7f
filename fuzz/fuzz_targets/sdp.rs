//! SDP parse → serialize → parse, and the typed MSRP media view.
//! The body lives in `msrp_sdp::fuzzing::sdp` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_sdp::fuzzing::sdp(data));
