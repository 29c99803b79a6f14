//! The `fetch` example as a program for tests: built once per test run
//! with the test binary's features, and run with arguments, or on a
//! pseudo-terminal.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Every feature of Cargo.toml's `[features]` but `default`, and whether
/// this test binary has it (`features_are_cargo_tomls` keeps the list in
/// step).
pub const FEATURES: [(&str, bool); 13] = [
    ("json", cfg!(feature = "json")),
    ("charset", cfg!(feature = "charset")),
    ("rustls", cfg!(feature = "rustls")),
    ("encrypted-keys", cfg!(feature = "encrypted-keys")),
    ("cookies", cfg!(feature = "cookies")),
    ("multipart", cfg!(feature = "multipart")),
    ("mime-guess", cfg!(feature = "mime-guess")),
    ("aws-lc-rs", cfg!(feature = "aws-lc-rs")),
    ("native-roots", cfg!(feature = "native-roots")),
    ("async", cfg!(feature = "async")),
    ("tower", cfg!(feature = "tower")),
    ("brotli", cfg!(feature = "brotli")),
    ("zstd", cfg!(feature = "zstd")),
];

/// `target/<profile>/examples/fetch`, built (once per test run) with this
/// test binary's features and profile. A whole `cargo test` has built it
/// already, and cargo finds it up to date; when only this test target was
/// asked for, a binary left from an earlier build must not be the one
/// tested.
pub fn fetch_bin() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("fetch{}", std::env::consts::EXE_SUFFIX));
    BUILD.call_once(|| {
        // The same feature set as this binary's: cargo then finds a whole
        // `cargo test`'s build up to date instead of rebuilding it.
        let features: Vec<&str> = FEATURES
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "--example",
            "fetch",
            "--no-default-features",
        ]);
        build.args(["--features", &features.join(",")]);
        if dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(status.success(), "building the fetch example failed");
    });
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

pub fn fetch(args: &[&str]) -> Output {
    Command::new(fetch_bin()).args(args).output().unwrap()
}

/// `fetch args` with a pseudo-terminal as its stdin, stdout and stderr
/// (Python's `pty.spawn`, which copies the terminal's output to ours): what
/// it draws when a person is watching. Output is the terminal's, stdout and
/// stderr together.
pub fn fetch_on_a_terminal(args: &[&str]) -> Output {
    Command::new("python3")
        .args([
            "-c",
            "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
        ])
        .arg(fetch_bin())
        .args(args)
        .output()
        .expect("python3 runs (the terminal tests need it)")
}
