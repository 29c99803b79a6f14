#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::h2_frame`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::h2_frame(data);
});
