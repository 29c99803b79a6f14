//! Proxy interop with real proxies nobody here wrote, which `.ci/run`
//! installs and starts with `.ci/start_proxies.sh`: squid (forward and
//! CONNECT; Basic and Digest auth; as an HTTPS proxy), tinyproxy, dante
//! (SOCKS4, SOCKS5, SOCKS5 with names resolved by the proxy) and microsocks
//! (SOCKS5 with username/password). The origins are in-process servers on
//! 127.0.0.1. Ignored by default; run with `--ignored` and
//! `FERROHTTP_PROXIES=<the directory start_proxies.sh prepared>`. Asked for
//! without the proxies, the tests fail: they never skip.
#![cfg(feature = "rustls")]

mod support;

mod blocking {
    #[allow(unused_imports, reason = "not every scenario uses every name")]
    use ferrohttp::{Client, ClientBuilder as Builder};
    use maybe_async::must_be_sync as maybe;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[test]
            #[ignore = "needs the CI's proxies: run with --ignored and FERROHTTP_PROXIES set (.ci/run does)"]
            fn $name() {
                #[maybe_async::must_be_sync]
                async fn run() $body
                run()
            }
        };
    }

    include!("scenarios/proxies_interop.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    #[allow(unused_imports, reason = "not every scenario uses every name")]
    use ferrohttp::{AsyncClient as Client, AsyncClientBuilder as Builder};
    use maybe_async::must_be_async as maybe;

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs the CI's proxies: run with --ignored and FERROHTTP_PROXIES set (.ci/run does)"]
            async fn $name() $body
        };
    }

    include!("scenarios/proxies_interop.rs");
}

/// `HTTP_PROXY` and `NO_PROXY` from the environment, through squid, for
/// both clients. One test sets the variables; every other test here gives
/// its proxies explicitly, so it never reads them.
#[test]
#[ignore = "needs the CI's proxies: run with --ignored and FERROHTTP_PROXIES set (.ci/run does)"]
fn squid_from_the_environment() {
    let dir = std::env::var("FERROHTTP_PROXIES").expect("FERROHTTP_PROXIES");
    let ports = std::fs::read_to_string(format!("{dir}/ports")).unwrap();
    let squid = ports
        .lines()
        .find_map(|l| l.strip_prefix("squid="))
        .unwrap()
        .to_string();
    let origin = support::Server::http(|req| {
        support::Reply::ok(format!(
            "{} via={}",
            req.target,
            req.header("via").unwrap_or("-")
        ))
    });
    std::env::set_var("HTTP_PROXY", format!("127.0.0.1:{squid}"));
    std::env::remove_var("NO_PROXY");
    let text = ferrohttp::Client::new()
        .get(origin.url("/env"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text.starts_with("/env via=") && text.contains("squid"),
        "through squid: {text}"
    );
    #[cfg(feature = "async")]
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let text = rt.block_on(async {
            let r = ferrohttp::AsyncClient::new()
                .get(origin.url("/env"))
                .send()
                .await
                .unwrap();
            r.text().await.unwrap()
        });
        assert!(text.contains("squid"), "async, through squid: {text}");
    }
    std::env::set_var("NO_PROXY", "127.0.0.0/8");
    let text = ferrohttp::Client::new()
        .get(origin.url("/direct"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(text, "/direct via=-", "NO_PROXY: direct");
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
}
