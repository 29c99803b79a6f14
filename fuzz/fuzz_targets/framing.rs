#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::framing`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::framing(data);
});
