//! Fuzz target `pull_batch`: see `trellis_core::fuzzing::pull_batch` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::pull_batch(data));
