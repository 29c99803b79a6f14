#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::url_join`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::url_join(data);
});
