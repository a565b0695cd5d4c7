//! Fuzz target `api_json`: see `trellis_core::fuzzing::api_json` for the decoder and the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trellis_core::fuzzing::api_json(data));
