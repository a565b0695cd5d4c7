//! Fuzz target `invite_code`: see `trellis_core::fuzzing::invite_code` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::invite_code(data));
