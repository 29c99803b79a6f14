#![no_main]
//! Fuzz target: see `ferrohttp::fuzzing::digest_challenge`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrohttp::fuzzing::digest_challenge(data);
});
