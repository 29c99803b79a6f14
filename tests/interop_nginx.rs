//! TLS interop with a real server nobody here wrote: nginx, which `.ci/run`
//! installs, configures (`.ci/nginx.conf.in`) and starts with certificates
//! from `.ci/gen_tls.py`. ignored by default (an `ignore` attribute with a reason); run with `--ignored` and
//! `FERROHTTP_NGINX_TLS=<dir with the certificates and a "ports" file>`.
//! Asked for without the server, the tests fail: they never skip.
#![cfg(feature = "rustls")]

mod blocking {
    use ferrohttp::Client;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[test]
            #[ignore = "needs nginx: run with --ignored and FERROHTTP_NGINX_TLS set (.ci/run does)"]
            fn $name() {
                #[maybe_async::must_be_sync]
                async fn run() $body
                run()
            }
        };
    }

    include!("scenarios/nginx.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    use ferrohttp::AsyncClient as Client;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[tokio::test]
            #[ignore = "needs nginx: run with --ignored and FERROHTTP_NGINX_TLS set (.ci/run does)"]
            async fn $name() $body
        };
    }

    include!("scenarios/nginx.rs");
}
