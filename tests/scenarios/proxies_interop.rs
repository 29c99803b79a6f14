// Real-proxy scenarios shared by both clients (included by
// tests/interop_proxies.rs).

use crate::support::tls::{server_config, Pki, TlsServer};
use crate::support::{Reply, Server};
use ferrohttp::{Certificate, ErrorKind, Proxy, ProxyMode};
use std::path::PathBuf;

/// The directory `.ci/start_proxies.sh` prepared; fails the test when unset.
fn dir() -> PathBuf {
    PathBuf::from(
        std::env::var("FERROHTTP_PROXIES")
            .expect("FERROHTTP_PROXIES must name the directory .ci/start_proxies.sh prepared"),
    )
}

/// The port of proxy `name` (squid, squid_auth, squid_tls, squid_digest,
/// tinyproxy, dante, microsocks).
fn port(name: &str) -> u16 {
    let ports = std::fs::read_to_string(dir().join("ports")).expect("a ports file");
    ports
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no port for {name}"))
        .parse()
        .unwrap()
}

fn proxy(url: String) -> Proxy {
    Proxy::new(url).unwrap()
}

fn origin() -> Server {
    Server::http(|req| {
        Reply::ok(format!(
            "{} {} auth={}",
            req.method,
            req.target,
            req.header("proxy-authorization").unwrap_or("-")
        ))
    })
}

/// An HTTPS origin for `localhost`, and a builder trusting it.
fn tls_origin() -> (TlsServer, Builder) {
    let pki = Pki::new();
    let server = TlsServer::start(server_config(&pki.leaf(&["localhost"]), None), |req| {
        Reply::ok(format!("tls {}", req.target))
    });
    let builder = Client::builder()
        .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .tls_built_in_root_certs(false);
    (server, builder)
}

#[maybe]
async fn get(client: &Client, url: &str) -> ferrohttp::Result<(u16, String)> {
    let r = client.get(url).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.text().await?))
}

/// Forward for http://, CONNECT for https:// and for http:// with
/// TunnelOnly, through the HTTP proxy at `url`.
#[maybe]
async fn forward_and_tunnel(url: String) {
    let plain = origin();
    let (secure, builder) = tls_origin();
    let client = builder
        .proxy("all://", proxy(url.clone()))
        .build()
        .unwrap();
    let got = get(&client, &plain.url("/fwd")).await.unwrap();
    assert_eq!(got, (200, "GET /fwd auth=-".to_string()), "via {url}");
    let got = get(&client, &secure.url("localhost", "/tunnel")).await.unwrap();
    assert_eq!(got, (200, "tls /tunnel".to_string()), "via {url}");
    let tunnel = Client::builder()
        .proxy("all://", proxy(url.clone()).mode(ProxyMode::TunnelOnly))
        .build()
        .unwrap();
    let got = get(&tunnel, &plain.url("/t")).await.unwrap();
    assert_eq!(got, (200, "GET /t auth=-".to_string()), "tunnelled via {url}");
    // Kept alive through the proxy: both requests on one connection.
    let got = get(&tunnel, &plain.url("/t2")).await.unwrap();
    assert_eq!(got.0, 200);
    let conns: Vec<usize> = plain.requests().iter().map(|r| r.connection).collect();
    assert_eq!(conns[1], conns[2], "one tunnel for both requests: {conns:?}");
}

scenario! {
    async fn squid_forward_and_connect() {
        forward_and_tunnel(format!("http://127.0.0.1:{}", port("squid"))).await;
    }
}

scenario! {
    async fn tinyproxy_forward_and_connect() {
        forward_and_tunnel(format!("http://127.0.0.1:{}", port("tinyproxy"))).await;
    }
}

scenario! {
    async fn squid_basic_auth_missing_wrong_right() {
        let plain = origin();
        let (secure, builder) = tls_origin();
        let at = format!("127.0.0.1:{}", port("squid_auth"));
        let with = |p: Proxy| Client::builder().proxy("all://", p).build().unwrap();
        // Missing: a forwarded 407 is the response; a CONNECT fails.
        let got = get(&with(proxy(format!("http://{at}"))), &plain.url("/")).await.unwrap();
        assert_eq!(got.0, 407);
        let client = builder.proxy("all://", proxy(format!("http://{at}"))).build().unwrap();
        let e = client.get(secure.url("localhost", "/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy, "{e}");
        assert!(e.to_string().contains("407") && e.to_string().contains(&at), "{e}");
        // Wrong.
        let wrong = with(proxy(format!("http://squser:wrong@{at}")));
        let got = get(&wrong, &plain.url("/")).await.unwrap();
        assert_eq!(got.0, 407);
        let e = wrong.get(secure.url("localhost", "/")).send().await.unwrap_err();
        assert!(e.to_string().contains("not accepted") && !e.to_string().contains("wrong"), "{e}");
        // Right: and the origin never sees the credentials.
        let right = proxy(format!("http://squser:sq%20pass@{at}"));
        let got = get(&with(right.clone()), &plain.url("/ok")).await.unwrap();
        assert_eq!(got, (200, "GET /ok auth=-".to_string()));
        let (secure, builder) = tls_origin();
        let client = builder.proxy("all://", right).build().unwrap();
        let got = get(&client, &secure.url("localhost", "/ok")).await.unwrap();
        assert_eq!(got, (200, "tls /ok".to_string()));
    }
}

scenario! {
    async fn squid_digest_auth() {
        let plain = origin();
        let (secure, builder) = tls_origin();
        let at = format!("127.0.0.1:{}", port("squid_digest"));
        let digest = proxy(format!("http://{at}")).basic_auth("dguser", "dg pass");
        let client = builder.proxy("all://", digest).build().unwrap();
        let got = get(&client, &plain.url("/d")).await.unwrap();
        assert_eq!(got, (200, "GET /d auth=-".to_string()), "forwarded, Digest answered");
        let got = get(&client, &secure.url("localhost", "/d")).await.unwrap();
        assert_eq!(got, (200, "tls /d".to_string()), "CONNECT, Digest answered");
        let wrong = Client::builder()
            .proxy("all://", proxy(format!("http://{at}")).basic_auth("dguser", "bad"))
            .build()
            .unwrap();
        let got = get(&wrong, &plain.url("/")).await.unwrap();
        assert_eq!(got.0, 407);
    }
}

scenario! {
    async fn squid_as_an_https_proxy() {
        let plain = origin();
        let (secure, builder) = tls_origin();
        let url = format!("https://localhost:{}", port("squid_tls"));
        let p = proxy(url.clone()).ca_file(dir().join("ca.pem"));
        let client = builder.proxy("all://", p).build().unwrap();
        let got = get(&client, &plain.url("/over-tls")).await.unwrap();
        assert_eq!(got, (200, "GET /over-tls auth=-".to_string()));
        // TLS to squid, CONNECT, TLS to the origin inside it.
        let got = get(&client, &secure.url("localhost", "/nested")).await.unwrap();
        assert_eq!(got, (200, "tls /nested".to_string()));
        // Without the CI's CA the proxy's certificate is refused.
        let client = Client::builder().proxy("all://", proxy(url)).build().unwrap();
        let e = client.get(plain.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    }
}

scenario! {
    async fn dante_socks4_socks5_and_socks5h() {
        let plain = origin();
        let (secure, builder) = tls_origin();
        let at = format!("127.0.0.1:{}", port("dante"));
        for scheme in ["socks4", "socks5", "socks5h"] {
            let client = Client::builder().proxy("all://", proxy(format!("{scheme}://{at}"))).build().unwrap();
            let got = get(&client, &plain.url(&format!("/{scheme}"))).await.unwrap();
            assert_eq!(got, (200, format!("GET /{scheme} auth=-")), "{scheme}");
        }
        // socks5h: the name goes to the proxy, which resolves localhost.
        let client = builder.proxy("all://", proxy(format!("socks5h://{at}"))).build().unwrap();
        let got = get(&client, &secure.url("localhost", "/h")).await.unwrap();
        assert_eq!(got, (200, "tls /h".to_string()));
        // A destination dante refuses (not loopback): its reply, named.
        let client = Client::builder().proxy("all://", proxy(format!("socks5://{at}"))).build().unwrap();
        let e = client.get("http://192.0.2.1:9/").send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy, "{e}");
        assert!(e.to_string().contains("SOCKS5 proxy refused"), "{e}");
    }
}

scenario! {
    async fn microsocks_socks5_username_password() {
        let plain = origin();
        let at = format!("127.0.0.1:{}", port("microsocks"));
        let client = Client::builder()
            .proxy("all://", proxy(format!("socks5://msuser:ms%20pass@{at}")))
            .build()
            .unwrap();
        let got = get(&client, &plain.url("/ms")).await.unwrap();
        assert_eq!(got, (200, "GET /ms auth=-".to_string()));
        let wrong = Client::builder()
            .proxy("all://", proxy(format!("socks5://msuser:bad@{at}")))
            .build()
            .unwrap();
        let e = wrong.get(plain.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy, "{e}");
        let missing = Client::builder().proxy("all://", proxy(format!("socks5://{at}"))).build().unwrap();
        let e = missing.get(plain.url("/")).send().await.unwrap_err();
        assert!(e.to_string().contains("requires authentication"), "{e}");
    }
}
