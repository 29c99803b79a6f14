#![cfg(feature = "rustls")]
//! Proxies from the environment with `trust_env`. Environment variables are
//! process-wide, so this binary has one test that sets them in turn.

mod support;

use ferrohttp::{Client, ErrorKind, Proxy};
use support::proxy::{ProxyOptions, ProxyServer};
use support::{Reply, Server};

fn clear() {
    for v in support::proxy::PROXY_ENV.iter().chain(&["REQUEST_METHOD"]) {
        std::env::remove_var(v);
    }
}

fn get(client: &Client, url: &str) -> String {
    client.get(url).send().unwrap().text().unwrap()
}

#[test]
fn proxies_from_the_environment() {
    clear();
    let origin = Server::http(|req| Reply::ok(format!("origin {}", req.target)));
    let proxy = ProxyServer::start(ProxyOptions::default());
    let port = origin.addr().port();
    let url = format!("http://origin.test:{port}/e");
    let resolve =
        |b: ferrohttp::ClientBuilder| b.resolve("origin.test", "127.0.0.1:0".parse().unwrap());

    // HTTP_PROXY without a scheme: http://.
    std::env::set_var("HTTP_PROXY", proxy.addr().to_string());
    let client = resolve(Client::builder()).build().unwrap();
    assert_eq!(get(&client, &url), "origin /e");
    assert_eq!(proxy.seen().len(), 1, "went through the proxy");
    assert_eq!(proxy.seen()[0].target, url);

    // NO_PROXY sends the host direct (a domain suffix, and a CIDR range).
    for no_proxy in [".test", "127.0.0.0/8, other.example"] {
        std::env::set_var("NO_PROXY", no_proxy);
        let client = resolve(Client::builder()).build().unwrap();
        let target = if no_proxy.starts_with('.') {
            url.clone()
        } else {
            origin.url("/e")
        };
        assert_eq!(get(&client, &target), "origin /e");
        assert_eq!(proxy.seen().len(), 1, "NO_PROXY={no_proxy}: direct");
    }
    std::env::remove_var("NO_PROXY");

    // A no_proxy pattern given to the builder beats the environment.
    let client = resolve(Client::builder())
        .no_proxy("all://")
        .build()
        .unwrap();
    assert_eq!(get(&client, &url), "origin /e");
    assert_eq!(proxy.seen().len(), 1, "no_proxy(\"all://\"): direct");

    // The CGI rule: HTTP_PROXY ignored when REQUEST_METHOD is set.
    std::env::set_var("REQUEST_METHOD", "GET");
    let client = resolve(Client::builder()).build().unwrap();
    assert_eq!(get(&client, &url), "origin /e");
    assert_eq!(proxy.seen().len(), 1, "httpoxy: not proxied");
    std::env::remove_var("REQUEST_METHOD");

    // trust_env(false), and an explicit proxy or transport, ignore it.
    let client = resolve(Client::builder()).trust_env(false).build().unwrap();
    assert_eq!(get(&client, &url), "origin /e");
    assert_eq!(proxy.seen().len(), 1);
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    let client = resolve(Client::builder())
        .proxy("all://", Proxy::new(proxy.url()).unwrap())
        .build()
        .unwrap();
    assert_eq!(get(&client, &url), "origin /e");
    assert_eq!(
        proxy.seen().len(),
        2,
        "the explicit proxy, not the environment's"
    );

    // A malformed value is an error naming the variable.
    std::env::set_var("HTTP_PROXY", "ftp://nope");
    let e = Client::builder().build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Proxy);
    assert!(e.to_string().contains("HTTP_PROXY"), "{e}");
    // Client::new() does not panic: its requests fail with that error.
    let e = Client::new().get(origin.url("/")).send().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Proxy);
    assert!(e.to_string().contains("HTTP_PROXY"), "{e}");
    let e = ferrohttp::get(origin.url("/")).send().unwrap_err();
    assert!(e.to_string().contains("HTTP_PROXY"), "{e}");
    // ... also for the async client.
    #[cfg(feature = "async")]
    {
        let e = ferrohttp::AsyncClient::builder().build().unwrap_err();
        assert!(e.to_string().contains("HTTP_PROXY"), "{e}");
    }
    clear();
}
