//! Offer/answer: arbitrary offers against arbitrary local configurations.
//! The body lives in `msrp_sdp::fuzzing::offer_answer` (see its docs for the input layout and the checks).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_sdp::fuzzing::offer_answer(data));
