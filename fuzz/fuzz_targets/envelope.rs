//! Fuzz target `envelope`: see `trellis_core::fuzzing::envelope` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::envelope(data));
