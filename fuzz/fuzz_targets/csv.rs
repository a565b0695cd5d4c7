//! Fuzz target `csv`: see `trellis_core::fuzzing::csv` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::csv(data));
