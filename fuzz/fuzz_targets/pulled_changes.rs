//! Fuzz target `pulled_changes`: see `trellis_core::fuzzing::pulled_changes` for the apply path and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::pulled_changes(data));
