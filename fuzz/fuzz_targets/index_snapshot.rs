//! Fuzz target `index_snapshot`: see `trellis_core::fuzzing::index_snapshot` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::index_snapshot(data));
