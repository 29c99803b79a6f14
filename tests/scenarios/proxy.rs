// Proxy and routing scenarios shared by both clients (included by
// tests/proxy.rs): forward and tunnel through an in-process proxy, modes,
// credentials, 407, bytes after the CONNECT reply, an HTTPS proxy (TLS in
// TLS), and routing patterns with mounts.

use crate::support::proxy::{ProxyOptions, ProxyServer};
use crate::support::socks::SocksServer;
use crate::support::tls::{server_config, Pki, TlsServer};
use crate::support::{Reply, Server};
use ferrohttp::{Certificate, ErrorKind, MockTransport, Proxy, ProxyMode};
use std::sync::Arc;

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `Basic` for user `u`, password `p w` (as `u:p%20w` in a URL).
const CREDENTIALS: &str = "Basic dTpwIHc=";

fn echo_server() -> Server {
    Server::http(|req| {
        if req.method == "POST" {
            return Reply::ok(format!(
                "POST {} ct={} accept={} len={} body={}",
                req.target,
                req.header("content-type").unwrap_or("-"),
                req.header("accept").unwrap_or("-"),
                req.header("content-length").unwrap_or("-"),
                String::from_utf8_lossy(&req.body)
            ));
        }
        Reply::ok(format!("origin saw {} {}", req.method, req.target))
    })
}

#[maybe]
async fn text(client: &Client, url: &str) -> ferrohttp::Result<(u16, String)> {
    let r = client.get(url).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.text().await?))
}

scenario! {
    async fn http_requests_are_forwarded_in_absolute_form() {
        let origin = echo_server();
        let proxy = ProxyServer::start(ProxyOptions {
            require_auth: Some(CREDENTIALS.into()),
            ..ProxyOptions::default()
        });
        let url = format!("http://u:p%20w@{}", proxy.addr());
        let client = Client::builder()
            .proxy("all://", Proxy::new(&url).unwrap().header("x-proxy-tag", "a"))
            .build()
            .unwrap();
        for _ in 0..2 {
            let got = text(&client, &origin.url("/a?b=1")).await.unwrap();
            assert_eq!(got, (200, "origin saw GET /a?b=1".to_string()));
        }
        let seen = proxy.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].target, origin.url("/a?b=1"), "absolute-form to the proxy");
        assert_eq!(seen[0].header("proxy-authorization"), Some(CREDENTIALS));
        assert_eq!(seen[0].header("x-proxy-tag"), Some("a"));
        assert_eq!(seen[1].connection, seen[0].connection, "the proxy connection is reused");
        let at_origin = origin.requests();
        assert_eq!(at_origin[0].header("proxy-authorization"), None, "credentials stay with the proxy");
        assert_eq!(at_origin[0].header("host"), Some(origin.addr().to_string().as_str()));
    }
}

scenario! {
    async fn https_requests_go_through_a_connect_tunnel() {
        let pki = Pki::new();
        let origin = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| {
            Reply::ok(format!("tls origin saw {}", req.target))
        });
        let proxy = ProxyServer::start(ProxyOptions {
            require_auth: Some(CREDENTIALS.into()),
            ..ProxyOptions::default()
        });
        let client = Client::builder()
            .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .proxy("https://", Proxy::new(proxy.url()).unwrap().basic_auth("u", "p w").header("x-proxy-tag", "t"))
            .build()
            .unwrap();
        let url = origin.url("secure.test", "/x");
        for _ in 0..2 {
            let got = text(&client, &url).await.unwrap();
            assert_eq!(got, (200, "tls origin saw /x".to_string()));
        }
        let seen = proxy.seen();
        assert_eq!(seen.len(), 1, "one CONNECT per pooled connection: {seen:?}");
        let port = origin.server.addr().port();
        assert_eq!(seen[0].method, "CONNECT");
        assert_eq!(seen[0].target, format!("secure.test:{port}"));
        assert_eq!(seen[0].header("host"), Some(format!("secure.test:{port}").as_str()));
        assert_eq!(seen[0].header("proxy-authorization"), Some(CREDENTIALS));
        assert_eq!(seen[0].header("x-proxy-tag"), Some("t"));
        assert_eq!(origin.handshakes()[0].sni.as_deref(), Some("secure.test"), "TLS to the origin, through the tunnel");
        let at_origin = origin.requests.lock().unwrap().clone();
        assert_eq!(at_origin.len(), 2);
        assert_eq!(at_origin[0].target, "/x", "origin-form inside the tunnel");
        assert_eq!(at_origin[0].header("proxy-authorization"), None);
        assert_eq!(at_origin[0].header("x-proxy-tag"), None);
    }
}

scenario! {
    async fn modes_choose_forward_or_tunnel() {
        let origin = echo_server();
        let proxy = ProxyServer::start(ProxyOptions {
            answer_https: Some("the proxy answered"),
            ..ProxyOptions::default()
        });
        // TunnelOnly: CONNECT even for http://.
        let client = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap().mode(ProxyMode::TunnelOnly))
            .build()
            .unwrap();
        let got = text(&client, &origin.url("/t")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /t");
        assert_eq!(proxy.seen()[0].method, "CONNECT");
        assert_eq!(proxy.seen()[0].target, origin.addr().to_string());
        // ForwardOnly: https:// in absolute-form, to the proxy, no TLS to the origin.
        let client = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap().mode(ProxyMode::ForwardOnly))
            .build()
            .unwrap();
        let got = text(&client, "https://secure.test:4433/f").await.unwrap();
        assert_eq!(got.1, "the proxy answered");
        let last = proxy.seen().pop().unwrap();
        assert_eq!((last.method.as_str(), last.target.as_str()), ("GET", "https://secure.test:4433/f"));
    }
}

scenario! {
    async fn a_refused_tunnel_is_a_proxy_error_and_a_refused_forward_a_response() {
        let origin = echo_server();
        let proxy = ProxyServer::start(ProxyOptions {
            require_auth: Some(CREDENTIALS.into()),
            ..ProxyOptions::default()
        });
        let client = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap().mode(ProxyMode::TunnelOnly))
            .build()
            .unwrap();
        let e = client.get(origin.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy, "{e}");
        let msg = e.to_string();
        assert!(msg.contains("407") && msg.contains(&proxy.addr().to_string()), "{msg}");
        assert!(msg.contains("asks for credentials"), "{msg}");
        // A refusal is an answer: connect retries do not ask again.
        let seen = proxy.seen().len();
        let retrying = Client::builder()
            .retries(3)
            .proxy("all://", Proxy::new(proxy.url()).unwrap().mode(ProxyMode::TunnelOnly))
            .build()
            .unwrap();
        let e = retrying.get(origin.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy);
        assert_eq!(proxy.seen().len(), seen + 1, "one CONNECT, not four");

        // Wrong credentials: said so, and not shown.
        let wrong = Proxy::new(proxy.url()).unwrap().basic_auth("u", "hunter2").mode(ProxyMode::TunnelOnly);
        let client = Client::builder().proxy("all://", wrong).build().unwrap();
        let e = client.get(origin.url("/")).send().await.unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(msg.contains("not accepted") && !msg.contains("hunter2"), "{msg}");

        // A 407 answering a forwarded request is the response.
        let client = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap())
            .build()
            .unwrap();
        let got = text(&client, &origin.url("/")).await.unwrap();
        assert_eq!(got, (407, "denied".to_string()));
        assert!(origin.requests().is_empty(), "nothing reached the origin");
    }
}

scenario! {
    async fn bytes_after_the_connect_reply_are_not_lost() {
        // The proxy's 200 and the "origin's" response arrive in one write:
        // the tunnel step reads past its reply and hands the rest on.
        let proxy = ProxyServer::start(ProxyOptions {
            after_connect: Some(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nearly".to_vec()),
            ..ProxyOptions::default()
        });
        let client = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap().mode(ProxyMode::TunnelOnly))
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap();
        let got = text(&client, "http://127.0.0.1:9/").await.unwrap();
        assert_eq!(got, (200, "early".to_string()));
    }
}

scenario! {
    async fn tls_to_an_https_proxy_and_tls_to_the_origin_inside_it() {
        let pki = Pki::new();
        let origin = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| {
            Reply::ok(format!("inner {}", req.target))
        });
        // The proxy's certificate comes from a CA of its own, trusted for
        // the proxy only.
        let proxy_pki = Pki::new();
        let proxy = ProxyServer::start(ProxyOptions {
            tls: Some(Arc::new(server_config(&proxy_pki.leaf(&["proxy.test"]), None))),
            answer_https: Some("forwarded over TLS"),
            ..ProxyOptions::default()
        });
        let proxy_url = format!("https://proxy.test:{}", proxy.addr().port());
        let proxy_ca = || Certificate::from_pem(proxy_pki.ca_pem.as_bytes()).unwrap();
        // Without the proxy's CA: a TLS error naming the proxy.
        let e = Client::builder()
            .resolve("proxy.test", loopback())
            .proxy("all://", Proxy::new(&proxy_url).unwrap())
            .build()
            .unwrap()
            .get(origin.url("secure.test", "/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
        assert!(e.to_string().contains("proxy.test"), "{e}");
        let through = |proxy: Proxy| {
            Client::builder()
                .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
                .tls_built_in_root_certs(false)
                .resolve("proxy.test", loopback())
                .proxy("all://", proxy.add_root_certificate(proxy_ca()))
                .build()
                .unwrap()
        };
        let client = through(Proxy::new(&proxy_url).unwrap());
        // TLS to the proxy, CONNECT, TLS to the origin through it.
        let url = origin.url("secure.test", "/nested");
        let got = text(&client, &url).await.unwrap();
        assert_eq!(got, (200, "inner /nested".to_string()));
        assert_eq!(origin.handshakes()[0].sni.as_deref(), Some("secure.test"));
        // A large body crosses both layers intact.
        let big = Server::http(|_| Reply::ok(vec![b'z'; 300_000]));
        let tunnel_all = Proxy::new(&proxy_url).unwrap().mode(ProxyMode::TunnelOnly);
        let client2 = through(tunnel_all);
        let body = client2.get(big.url("/")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(body.len(), 300_000);
        assert!(body.iter().all(|&b| b == b'z'));
        // ForwardOnly over TLS to the proxy.
        let forward = Proxy::new(&proxy_url).unwrap().mode(ProxyMode::ForwardOnly);
        let client3 = through(forward);
        let got = text(&client3, "https://anywhere.test/").await.unwrap();
        assert_eq!(got.1, "forwarded over TLS");
        // --proxy-insecure: the proxy's certificate not checked, the
        // origin's still checked.
        let insecure = Proxy::new(&proxy_url).unwrap().danger_accept_invalid_certs(true);
        let client4 = Client::builder()
            .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .resolve("proxy.test", loopback())
            .proxy("all://", insecure)
            .build()
            .unwrap();
        let got = text(&client4, &origin.url("secure.test", "/i")).await.unwrap();
        assert_eq!(got.1, "inner /i");
    }
}

scenario! {
    async fn patterns_route_to_proxies_direct_and_mounts() {
        let origin = echo_server();
        let proxy = ProxyServer::start(ProxyOptions::default());
        let client = Client::builder()
            .resolve("direct.test", loopback())
            .resolve("via.test", loopback())
            .proxy("all://", Proxy::new(proxy.url()).unwrap())
            .no_proxy("all://direct.test")
            .mount("all://*.mock.test", MockTransport::new(|req| {
                ferrohttp::Response::from(http::Response::new(format!("mock {}", req.url().host_str().unwrap())))
            }))
            .build()
            .unwrap();
        let port = origin.addr().port();
        let got = text(&client, &format!("http://via.test:{port}/p")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /p");
        assert_eq!(proxy.seen().len(), 1);
        let got = text(&client, &format!("http://direct.test:{port}/d")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /d");
        assert_eq!(proxy.seen().len(), 1, "no_proxy: direct");
        let got = text(&client, "http://a.mock.test/").await.unwrap();
        assert_eq!(got.1, "mock a.mock.test");
        let got = text(&client, &format!("http://mock.test:{port}/m")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /m", "*.mock.test is subdomains only");
        assert_eq!(proxy.seen().len(), 2);
        // A proxy's own no_proxy list sends matching hosts direct.
        let client = Client::builder()
            .resolve("skip.test", loopback())
            .proxy("all://", Proxy::new(proxy.url()).unwrap().no_proxy("skip.test, 10.0.0.0/8"))
            .build()
            .unwrap();
        let got = text(&client, &format!("http://skip.test:{port}/n")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /n");
        assert_eq!(proxy.seen().len(), 2, "no_proxy: direct");
        let e = Client::builder()
            .proxy("all://", Proxy::new(proxy.url()).unwrap().no_proxy("[::1"))
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        // An invalid pattern fails build().
        let e = Client::builder().no_proxy("example.com").build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("\"example.com\""), "{e}");
        // A proxy setting with a custom transport is a conflict.
        let e = Client::builder()
            .transport(MockTransport::new(|_| ferrohttp::Response::from(http::Response::new(""))))
            .proxy("all://", Proxy::new(proxy.url()).unwrap())
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("proxy"), "{e}");
    }
}

scenario! {
    async fn close_and_pool_status_reach_every_mounted_transport() {
        let origin = echo_server();
        let mounted = Transport::new().resolve("other.test", loopback());
        let client = Client::builder()
            .mount("all://other.test", mounted.clone())
            .build()
            .unwrap();
        let port = origin.addr().port();
        text(&client, &origin.url("/1")).await.unwrap();
        text(&client, &format!("http://other.test:{port}/2")).await.unwrap();
        let status = client.pool_status().unwrap();
        assert_eq!((status.open, status.idle), (2, 2), "{status:?}");
        assert_eq!(mounted.status().idle, 1, "the mounted transport's pool has its own");
        client.close();
        assert_eq!(mounted.status().idle, 0, "close() reached the mount");
        let e = client.get(format!("http://other.test:{port}/3")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed);
    }
}

scenario! {
    async fn socks5_resolves_here_and_socks5h_at_the_proxy() {
        let origin = echo_server();
        let socks = SocksServer::start(None);
        let port = origin.addr().port();
        let via = |scheme: &str| {
            Client::builder()
                .resolve("origin.test", loopback())
                .proxy("all://", Proxy::new(format!("{scheme}://127.0.0.1:{}", socks.port())).unwrap())
                .build()
                .unwrap()
        };
        let client = via("socks5");
        for path in ["/1", "/2"] {
            let got = text(&client, &format!("http://origin.test:{port}{path}")).await.unwrap();
            assert_eq!(got.1, format!("origin saw GET {path}"));
        }
        let seen = socks.seen();
        assert_eq!(seen.len(), 1, "one handshake per pooled connection: {seen:?}");
        assert_eq!(seen[0].version, 5);
        assert_eq!(seen[0].destination, format!("127.0.0.1:{port}"), "socks5: the client resolved the name");
        // socks5h: the proxy gets the name; the client never resolves it
        // (no override for this name, and the system resolver knows no .test).
        let client = via("socks5h");
        let got = text(&client, &format!("http://elsewhere.test:{port}/h")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /h");
        assert_eq!(socks.seen()[1].destination, format!("elsewhere.test:{port}"));
        assert_eq!(origin.requests()[2].header("host"), Some(format!("elsewhere.test:{port}").as_str()));
        // A destination the proxy cannot reach: its reply, named.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = closed.local_addr().unwrap();
        drop(closed);
        let e = client.get(format!("http://{dead}/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy, "{e}");
        assert!(e.to_string().contains("connection refused (5)") && e.to_string().contains("socks5h://127.0.0.1"), "{e}");
    }
}

scenario! {
    async fn socks5_username_and_password() {
        let origin = echo_server();
        let socks = SocksServer::start(Some(("user", "s3cret")));
        let proxy_url = format!("socks5://127.0.0.1:{}", socks.port());
        let with = |proxy: Proxy| Client::builder().proxy("all://", proxy).build().unwrap();
        let client = with(Proxy::new(&proxy_url).unwrap().basic_auth("user", "s3cret"));
        let got = text(&client, &origin.url("/auth")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /auth");
        assert_eq!(socks.seen()[0].user.as_deref(), Some("user"));
        let wrong = with(Proxy::new(format!("socks5://user:nope@127.0.0.1:{}", socks.port())).unwrap());
        let e = wrong.get(origin.url("/")).send().await.unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(msg.contains("did not accept") && !msg.contains("nope"), "{msg}");
        let missing = with(Proxy::new(&proxy_url).unwrap());
        let e = missing.get(origin.url("/")).send().await.unwrap_err();
        assert!(e.to_string().contains("requires authentication"), "{e}");
        assert_eq!(origin.requests().len(), 1, "refused handshakes reach no origin");
    }
}

scenario! {
    async fn socks4_and_socks4a() {
        let origin = echo_server();
        let socks = SocksServer::start(None);
        let port = origin.addr().port();
        let client = Client::builder()
            .resolve("origin.test", loopback())
            .proxy("all://", Proxy::new(format!("socks4://joe@127.0.0.1:{}", socks.port())).unwrap())
            .build()
            .unwrap();
        let got = text(&client, &format!("http://origin.test:{port}/4")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /4");
        let seen = socks.seen();
        assert_eq!((seen[0].version, seen[0].destination.clone(), seen[0].user.as_deref()), (4, format!("127.0.0.1:{port}"), Some("joe")));
        let client = Client::builder()
            .proxy("all://", Proxy::new(format!("socks4a://127.0.0.1:{}", socks.port())).unwrap())
            .build()
            .unwrap();
        let got = text(&client, &format!("http://far.test:{port}/4a")).await.unwrap();
        assert_eq!(got.1, "origin saw GET /4a");
        assert_eq!(socks.seen()[1].destination, format!("far.test:{port}"));
    }
}

scenario! {
    async fn https_through_socks() {
        let pki = Pki::new();
        let origin = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| {
            Reply::ok(format!("tls via socks {}", req.target))
        });
        let socks = SocksServer::start(None);
        let client = Client::builder()
            .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .proxy("all://", Proxy::new(format!("socks5h://127.0.0.1:{}", socks.port())).unwrap())
            .build()
            .unwrap();
        let got = text(&client, &origin.url("secure.test", "/s")).await.unwrap();
        assert_eq!(got, (200, "tls via socks /s".to_string()));
        assert_eq!(origin.handshakes()[0].sni.as_deref(), Some("secure.test"));
    }
}

scenario! {
    async fn digest_proxy_authentication_for_connect_and_forward() {
        let pki = Pki::new();
        let tls_origin = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| {
            Reply::ok(format!("tls {}", req.target))
        });
        let origin = echo_server();
        let proxy = ProxyServer::start(ProxyOptions {
            digest: Some(("dig", "pa ss")),
            ..ProxyOptions::default()
        });
        let client = |user: &str, pass: &str| {
            Client::builder()
                .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
                .tls_built_in_root_certs(false)
                .proxy("all://", Proxy::new(proxy.url()).unwrap().basic_auth(user, pass))
                .build()
                .unwrap()
        };
        let good = client("dig", "pa ss");
        // CONNECT: the 407's Digest challenge answered on a new connection.
        let got = text(&good, &tls_origin.url("secure.test", "/d")).await.unwrap();
        assert_eq!(got, (200, "tls /d".to_string()));
        let seen = proxy.seen();
        assert_eq!(seen.len(), 2, "a challenged CONNECT, then an answered one");
        assert!(seen[1].header("proxy-authorization").unwrap().starts_with("Digest "));
        let port = tls_origin.server.addr().port();
        assert!(seen[1].header("proxy-authorization").unwrap().contains(&format!("uri=\"secure.test:{port}\"")));
        // Forwarded, with a body: answered and sent again.
        let r = good.post(origin.url("/f?q=1")).body("payload").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let got = r.text().await.unwrap();
        assert_eq!(got, "POST /f?q=1 ct=- accept=*/* len=7 body=payload");
        // Wrong credentials: a refused tunnel, and a forwarded 407 returned.
        let bad = client("dig", "wrong");
        let e = bad.get(tls_origin.url("secure.test", "/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy);
        assert!(e.to_string().contains("not accepted") && !e.to_string().contains("wrong"), "{e}");
        let got = text(&bad, &origin.url("/")).await.unwrap();
        assert_eq!(got, (407, "denied".to_string()));
        assert_eq!(origin.requests().len(), 1, "only the answered request reached the origin");
    }
}
