//! Fuzz target `vcard`: see `trellis_core::fuzzing::vcard` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::vcard(data));
