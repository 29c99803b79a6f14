// HTTPS scenarios shared by both clients (included by tests/tls.rs).

#[cfg(unix)]
use crate::support::tls::serve_unix_once;
use crate::support::tls::{
    server_config, server_config_versions, Pki, TlsServer, CLIENT_KEY, CLIENT_KEY_ENCRYPTED,
    CLIENT_KEY_PASSWORD, CLIENT_KEY_SEC1, CLIENT_RSA_PKCS1,
};
use crate::support::Reply;
use ferrohttp::{Certificate, ErrorKind, Identity};
use std::time::Duration;

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A client builder that trusts `pki` and sends `*.test` and localhost to 127.0.0.1.
fn trusting(pki: &Pki) -> Builder {
    Client::builder()
        .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .resolve("localhost", loopback())
        .resolve("secure.test", loopback())
        .resolve("wrong.test", loopback())
}

#[maybe]
async fn get_text(client: &Client, url: &str) -> ferrohttp::Result<String> {
    client.get(url).send().await?.text().await
}

scenario! {
    async fn https_with_a_custom_ca() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| Reply::ok(format!("tls {}", req.target)));
        let client = trusting(&pki).build().unwrap();
        let text = get_text(&client, &server.url("secure.test", "/x")).await.unwrap();
        assert_eq!(text, "tls /x");
        let hs = &server.handshakes()[0];
        assert_eq!(hs.sni.as_deref(), Some("secure.test"), "SNI carries the DNS name");
        assert_eq!(hs.alpn.as_deref(), Some(&b"http/1.1"[..]), "ALPN offers http/1.1");
        // Keep-alive over TLS: a second request on the same connection.
        get_text(&client, &server.url("secure.test", "/y")).await.unwrap();
        assert_eq!(server.server.connections(), 1);
    }
}

scenario! {
    async fn idle_tls_connections_are_looked_at_before_reuse() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["secure.test"]);
        // Still open after sitting idle: reused (session tickets or other
        // records the server sent must not read as a closed connection).
        let open = TlsServer::start(server_config(&leaf, None), |_| Reply::ok("open"));
        let client = trusting(&pki).build().unwrap();
        let url = open.url("secure.test", "/");
        let first = get_text(&client, &url).await.unwrap();
        assert_eq!(first, "open");
        pause(Duration::from_millis(1200)).await;
        let second = get_text(&client, &url).await.unwrap();
        assert_eq!(second, "open");
        assert_eq!(open.server.connections(), 1);
        // Closed by the server meanwhile: a streaming POST, which could not
        // be retried, goes out on a new connection.
        let closing = TlsServer::start(server_config(&leaf, None), |_| {
            Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nclosed")
        });
        let url = closing.url("secure.test", "/");
        let first = get_text(&client, &url).await.unwrap();
        assert_eq!(first, "closed");
        pause(Duration::from_millis(1200)).await;
        let r = client.post(&url).body(stream_body(vec![1u8; 10])).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(text, "closed");
        assert_eq!(closing.server.connections(), 2);
    }
}

#[cfg(unix)]
scenario! {
    async fn https_over_a_unix_socket() {
        // curl's `--unix-socket` with an https:// URL: TLS runs over the
        // socket, with the URL's host as the name checked and sent (SNI).
        let pki = Pki::new();
        // One directory per client kind: both run this at once.
        let dir = std::env::temp_dir().join(format!(
            "ferrohttp-tls-uds-{}-{}",
            std::process::id(),
            module_path!().replace("::", "-")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (server, seen) = serve_unix_once(listener, server_config(&pki.leaf(&["secure.test"]), None), |req| {
            Reply::ok(format!("tls over uds {}", req.target))
        });
        let client = trusting(&pki).uds(&path).build().unwrap();
        let text = get_text(&client, "https://secure.test/x").await.unwrap();
        assert_eq!(text, "tls over uds /x");
        // Kept alive like any other connection.
        let text = get_text(&client, "https://secure.test/y").await.unwrap();
        assert_eq!(text, "tls over uds /y");
        client.close();
        drop(client);
        assert_eq!(server.join().unwrap().as_deref(), Some("secure.test"));
        assert_eq!(seen.lock().unwrap().len(), 2);
        // The name is still checked: a certificate for another name fails.
        let path = dir.join("t.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (server, _) = serve_unix_once(listener, server_config(&pki.leaf(&["other.test"]), None), |_| Reply::ok("no"));
        let client = trusting(&pki).uds(&path).build().unwrap();
        let e = get_text(&client, "https://secure.test/").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("other.test"), "{e}");
        assert_eq!(server.join().unwrap(), None);
        std::fs::remove_dir_all(&dir).ok();
    }
}

scenario! {
    async fn ca_file_and_ip_address_certificates() {
        let pki = Pki::new();
        let dir = std::env::temp_dir().join(format!("ferrohttp-ca-{}-{}", std::process::id(), line!()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let server = TlsServer::start(server_config(&pki.leaf(&["127.0.0.1"]), None), |_| Reply::ok("ip"));
        let client = Client::builder().ca_file(&ca).build().unwrap();
        let text = get_text(&client, &server.url("127.0.0.1", "/")).await.unwrap();
        assert_eq!(text, "ip");
        assert_eq!(server.handshakes()[0].sni, None, "no SNI for an IP address");
        // A directory of PEM files works the same.
        let client = Client::builder().ca_dir(&dir).build().unwrap();
        let got = get_text(&client, &server.url("127.0.0.1", "/")).await.unwrap();
        assert_eq!(got, "ip");
        std::fs::remove_dir_all(&dir).ok();
    }
}

scenario! {
    async fn default_roots_reject_an_unknown_issuer() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| Reply::ok("no"));
        let client = Client::builder().resolve("secure.test", loopback()).build().unwrap();
        let e = get_text(&client, &server.url("secure.test", "/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("unknown issuer"), "{e}");
        assert!(e.to_string().contains("secure.test"), "{e}");
        assert!(std::error::Error::source(&e).is_some());
        assert!(server.requests.lock().unwrap().is_empty());
    }
}

scenario! {
    async fn wrong_host_name() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| Reply::ok("no"));
        let client = trusting(&pki).build().unwrap();
        let e = get_text(&client, &server.url("wrong.test", "/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("not valid for the name wrong.test"), "{msg}");
        assert!(msg.contains("secure.test"), "names what it is valid for: {msg}");
    }
}

scenario! {
    async fn expired_certificate() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.expired_leaf(&["secure.test"]), None), |_| Reply::ok("no"));
        let client = trusting(&pki).build().unwrap();
        let e = get_text(&client, &server.url("secure.test", "/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("expired at 2020-06-01"), "{e}");
    }
}

scenario! {
    async fn danger_accept_invalid_certs() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.expired_leaf(&["secure.test"]), None), |_| Reply::ok("accepted"));
        let client = Client::builder()
            .resolve("wrong.test", loopback())
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        // Expired, unknown issuer and another name: all accepted.
        let got = get_text(&client, &server.url("wrong.test", "/")).await.unwrap();
        assert_eq!(got, "accepted");
    }
}

scenario! {
    async fn client_certificate_required() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), Some(&pki)), |_| Reply::ok("mutual"));
        let without = trusting(&pki).build().unwrap();
        let e = get_text(&without, &server.url("secure.test", "/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("requires a client certificate"), "{e}");

        let id = Identity::from_pem(pki.client_cert().as_bytes(), CLIENT_KEY.as_bytes()).unwrap();
        let with = trusting(&pki).identity(id).build().unwrap();
        let got = get_text(&with, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "mutual");
        assert!(server.handshakes().iter().any(|h| h.client_cert));
    }
}

scenario! {
    async fn encrypted_client_key() {
        let pki = Pki::new();
        let cert = pki.client_cert();
        let e = Identity::from_pkcs8_encrypted_pem(cert.as_bytes(), CLIENT_KEY_ENCRYPTED.as_bytes(), "wrong").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls);
        assert!(e.to_string().contains("wrong password"), "{e}");
        let e = Identity::from_pem(cert.as_bytes(), CLIENT_KEY_ENCRYPTED.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("encrypted"), "{e}");

        let id = Identity::from_pkcs8_encrypted_pem(cert.as_bytes(), CLIENT_KEY_ENCRYPTED.as_bytes(), CLIENT_KEY_PASSWORD).unwrap();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), Some(&pki)), |_| Reply::ok("decrypted"));
        let client = trusting(&pki).identity(id).build().unwrap();
        let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "decrypted");
    }
}

scenario! {
    async fn sessions_resume_across_connections() {
        let pki = Pki::new();
        // Each response closes its connection, so each request handshakes.
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| {
            Reply::close("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        });
        let client = trusting(&pki).build().unwrap();
        for _ in 0..3 {
            let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
            assert_eq!(got, "ok");
        }
        let kinds: Vec<_> = server.handshakes().iter().map(|h| h.kind).collect();
        assert_eq!(kinds.len(), 3);
        assert_eq!(kinds[0], Some(rustls::HandshakeKind::Full));
        assert_eq!(kinds[1], Some(rustls::HandshakeKind::Resumed), "{kinds:?}");
        assert_eq!(kinds[2], Some(rustls::HandshakeKind::Resumed), "{kinds:?}");
    }
}

scenario! {
    async fn truncated_close_delimited_body_is_an_error() {
        let pki = Pki::new();
        // No Content-Length and no close_notify: the TCP close alone must not
        // count as the end of the body (it may be an attacker's truncation).
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| {
            Reply::Custom(Box::new(|w| {
                let _ = w.write_all(b"HTTP/1.1 200 OK\r\n\r\npartial");
                let _ = w.flush();
            }))
        });
        let client = trusting(&pki).build().unwrap();
        let r = client.get(server.url("secure.test", "/")).send().await.unwrap();
        let e = r.bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Read, "{e:?}");
    }
}

scenario! {
    async fn preconfigured_rustls_config() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| Reply::ok("hatch"));
        let mut roots = rustls::RootCertStore::empty();
        roots.add(rustls::pki_types::CertificateDer::from(
            rustls::pki_types::pem::PemObject::from_pem_slice(pki.ca_pem.as_bytes()).map(|c: rustls::pki_types::CertificateDer<'static>| c.to_vec()).unwrap(),
        )).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = Client::builder()
            .resolve("secure.test", loopback())
            .use_preconfigured_tls(std::sync::Arc::new(config))
            .build()
            .unwrap();
        let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "hatch");
    }
}

scenario! {
    async fn client_keys_in_sec1_and_pkcs1_form() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), Some(&pki)), |_| Reply::ok("keyed"));
        let sec1 = Identity::from_pem(pki.client_cert().as_bytes(), CLIENT_KEY_SEC1.as_bytes()).unwrap();
        let client = trusting(&pki).identity(sec1).build().unwrap();
        let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "keyed");
        let rsa = Identity::from_pem(pki.client_rsa_cert().as_bytes(), CLIENT_RSA_PKCS1.as_bytes()).unwrap();
        let client = trusting(&pki).identity(rsa).build().unwrap();
        let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "keyed");
        assert_eq!(server.handshakes().iter().filter(|h| h.client_cert).count(), 2);
    }
}

scenario! {
    async fn tls_1_2_and_1_3() {
        let pki = Pki::new();
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let server = TlsServer::start(
                server_config_versions(&pki.leaf(&["secure.test"]), None, &[version]),
                |_| Reply::ok("versioned"),
            );
            let client = trusting(&pki).build().unwrap();
            let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
            assert_eq!(got, "versioned");
        }
    }
}

#[cfg(feature = "native-roots")]
scenario! {
    async fn native_roots_load_beside_added_ones() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| Reply::ok("native"));
        // The OS store (possibly empty in a container) loads without error,
        // and an added root still works beside it.
        let client = trusting(&pki).native_roots(true).build().unwrap();
        let got = get_text(&client, &server.url("secure.test", "/")).await.unwrap();
        assert_eq!(got, "native");
    }
}

scenario! {
    // Over TLS a read timeout fires inside the TLS layer (rustls reading
    // records from the socket; tokio-rustls's read future dropped by the
    // timeout): the body still resumes with exactly its next bytes.
    async fn tls_body_resumes_after_read_timeouts() {
        use crate::support::reliability::{body, BODY_LEN, PAUSE};
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |_| {
            Reply::Custom(Box::new(|w| {
                let data = body();
                let mut wire = format!("HTTP/1.1 200 OK\r\nContent-Length: {BODY_LEN}\r\n\r\n").into_bytes();
                let head = wire.len();
                wire.extend_from_slice(&data);
                let cuts = [0, head + BODY_LEN / 5, head + BODY_LEN * 3 / 5, wire.len()];
                for (i, piece) in cuts.windows(2).enumerate() {
                    if i > 0 {
                        std::thread::sleep(PAUSE);
                    }
                    if w.write_all(&wire[piece[0]..piece[1]]).and_then(|()| w.flush()).is_err() {
                        return;
                    }
                }
            }))
        });
        let client = trusting(&pki)
            .timeout(ferrohttp::Timeout::from_secs(10).read(Duration::from_millis(250)))
            .build()
            .unwrap();
        let want = body();
        let mut r = client.get(server.url("secure.test", "/")).send().await.unwrap();
        let (got, timeouts) = read_across_timeouts(&mut r, 1024, &want).await;
        assert_eq!(got, BODY_LEN);
        assert!(timeouts >= 2, "the read timeout fired in both pauses ({timeouts} times)");
    }
}

scenario! {
    // The connect timeout bounds the whole connect, TCP and TLS together
    // (curl's --connect-timeout, httpx's connect timeout): here TCP takes
    // Happy Eyeballs' 250 ms (the first address never answers), and the
    // server waits 300 ms before its TLS handshake. With 450 ms for the
    // connect, the handshake has 200 ms left: a ConnectTimeout in the
    // handshake. (Each step once had the whole timeout: TCP 250 ms, then
    // TLS its own 450 ms, and the request went through.)
    async fn the_connect_timeout_covers_tcp_and_tls_together() {
        let pki = Pki::new();
        let hole = crate::support::Blackhole::new();
        let server = TlsServer::start_after(
            server_config(&pki.leaf(&["secure.test"]), None),
            Duration::from_millis(300),
            |_| Reply::ok("late"),
        );
        let url = server.url("secure.test", "/");
        let client = |connect: Duration| {
            Client::builder()
                .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
                .tls_built_in_root_certs(false)
                .resolve("secure.test", hole.addr)
                .resolve("secure.test", server.server.addr())
                .timeout(ferrohttp::Timeout::from_secs(10).connect(connect))
                .build()
                .unwrap()
        };
        let e = client(Duration::from_millis(450)).get(&url).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectTimeout, "{e:?}");
        assert!(e.to_string().contains("TLS handshake"), "{e}");
        // With time for both, the same connect goes through.
        let text = client(Duration::from_secs(3)).get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "late");
    }
}

#[maybe]
async fn read_all(r: &mut Response) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        out.extend_from_slice(&chunk);
    }
    out
}

scenario! {
    async fn timings_of_a_fresh_tls_connection_and_a_reused_one() {
        let pki = Pki::new();
        // The server pauses before the first byte of the second response.
        let server = TlsServer::start(server_config(&pki.leaf(&["secure.test"]), None), |req| {
            if req.target == "/slow" {
                std::thread::sleep(Duration::from_millis(300));
            }
            Reply::ok("timed")
        });
        let client = trusting(&pki).build().unwrap();
        let mut r = client.get(server.url("secure.test", "/")).send().await.unwrap();
        let before_end = r.timings();
        assert_eq!(r.remote_addr(), Some(server.server.addr()));
        assert!(r.local_addr().unwrap().ip().is_loopback());
        let body = read_all(&mut r).await;
        assert_eq!(body, b"timed");
        let t = r.timings();
        assert_eq!(before_end.end(), None, "no end before the body was read");
        // Every phase happened, in order.
        let phases = [
            t.name_lookup(),
            t.connect(),
            t.tls_handshake(),
            t.request_sent(),
            t.first_byte(),
            t.end(),
        ];
        assert!(phases.iter().all(Option::is_some), "{t:?}");
        let phases: Vec<Duration> = phases.into_iter().map(Option::unwrap).collect();
        assert!(phases.windows(2).all(|w| w[0] <= w[1]), "out of order: {t:?}");

        // The same connection again: no lookup, connect or handshake; the
        // server's pause shows between the request and its first byte.
        let mut r = client.get(server.url("secure.test", "/slow")).send().await.unwrap();
        read_all(&mut r).await;
        let t = r.timings();
        assert_eq!(server.server.connections(), 1);
        assert_eq!((t.name_lookup(), t.connect(), t.tls_handshake()), (None, None, None), "{t:?}");
        let (sent, first) = (t.request_sent().unwrap(), t.first_byte().unwrap());
        assert!(first - sent >= Duration::from_millis(300), "{t:?}");
        assert!(t.end().unwrap() >= first);
    }
}
