//! HTTP/2 interop with real servers nobody here wrote, which `.ci/run`
//! installs and starts: nginx (`listen ... ssl http2`, ALPN) in front of
//! httpbin, and hypercorn serving httpbin over TLS (ALPN) and cleartext
//! (h2c with prior knowledge). Ignored by default (an `ignore` attribute
//! with a reason); run with `--ignored` and `FERROHTTP_NGINX_TLS=<dir>`
//! holding the CA and an `h2ports` file. Asked for without the servers,
//! the tests fail: they never skip.
#![cfg(feature = "rustls")]

mod blocking {
    use ferrohttp::{Body, Client};

    /// A streamed body of known length (hypercorn's WSGI side reads no
    /// body without a Content-Length).
    fn stream_body(data: Vec<u8>) -> Body {
        let len = data.len() as u64;
        Body::sized(std::io::Cursor::new(data), len)
    }

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[test]
            #[ignore = "needs nginx and hypercorn: run with --ignored and FERROHTTP_NGINX_TLS set (.ci/run does)"]
            fn $name() {
                #[maybe_async::must_be_sync]
                async fn run() $body
                run()
            }
        };
    }

    include!("scenarios/h2_interop.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    use ferrohttp::{AsyncBody, AsyncClient as Client, Body};

    /// A streamed body of known length (hypercorn's WSGI side reads no
    /// body without a Content-Length).
    fn stream_body(data: Vec<u8>) -> Body {
        let len = data.len() as u64;
        AsyncBody::sized(std::io::Cursor::new(data), len).into()
    }

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs nginx and hypercorn: run with --ignored and FERROHTTP_NGINX_TLS set (.ci/run does)"]
            async fn $name() $body
        };
    }

    include!("scenarios/h2_interop.rs");
}
