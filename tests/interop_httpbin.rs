//! Interop with a real server nobody here wrote: httpbin under gunicorn,
//! which `.ci/run` installs and starts. The tests are ignored by default so a plain
//! `cargo test` needs no server; run them with `--ignored` and
//! `FERROHTTP_HTTPBIN=http://127.0.0.1:PORT`. Asked for without the server,
//! they fail: they never skip.

mod blocking {
    use ferrohttp::Client;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[test]
            #[ignore = "needs httpbin: run with --ignored and FERROHTTP_HTTPBIN set"]
            fn $name() {
                #[maybe_async::must_be_sync]
                async fn run() $body
                run()
            }
        };
    }

    include!("scenarios/httpbin.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    use ferrohttp::AsyncClient as Client;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[tokio::test]
            #[ignore = "needs httpbin: run with --ignored and FERROHTTP_HTTPBIN set"]
            async fn $name() $body
        };
    }

    include!("scenarios/httpbin.rs");
}
