//! Fuzz target `sealed_key`: see `trellis_core::fuzzing::sealed_key` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::sealed_key(data));
