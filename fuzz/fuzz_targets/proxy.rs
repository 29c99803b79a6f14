#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::proxy`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::proxy(data);
});
