#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::hpack`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::hpack(data);
});
