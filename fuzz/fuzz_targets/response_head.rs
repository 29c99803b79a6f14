#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::response_head`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::response_head(data);
});
