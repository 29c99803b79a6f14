//! Replays every seed and regression input under `fuzz/corpus/<target>/`
//! through the entry point its fuzz target calls, on stable Rust, so a
//! fixed crash stays fixed without the fuzzer.

use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = file.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
        n += 1;
    }
    assert!(n > 0, "no corpus for {target}");
}

macro_rules! corpus {
    ($($target:ident),* $(,)?) => {$(
        #[test]
        fn $target() {
            replay(stringify!($target), ferrohttp::fuzzing::$target);
        }
    )*};
}

corpus!(
    response_head,
    framing,
    chunked,
    exchange,
    decode,
    url_join,
    digest_challenge,
    netrc,
    cookie,
    proxy,
    hpack,
    h2_frame
);
