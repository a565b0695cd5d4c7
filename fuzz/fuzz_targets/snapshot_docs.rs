//! Fuzz target `snapshot_docs`: see `trellis_core::fuzzing::snapshot_docs` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::snapshot_docs(data));
