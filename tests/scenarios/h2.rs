// HTTP/2 scenarios shared by both clients (included by tests/h2.rs after a
// harness that binds `Client`, `maybe`, `concurrently` and `pause`).

use crate::h2server::{H2Options, H2Server};
use ferrohttp::{ErrorKind, Timeout, Version};
use std::time::Duration;

/// A client speaking h2c to the server, with a timeout that turns a hang
/// into a failure.
fn h2c_client() -> Client {
    Client::builder()
        .http2_prior_knowledge()
        .timeout(Timeout::from_secs(20))
        .build()
        .unwrap()
}

#[maybe]
async fn get_text(client: Client, url: String) -> ferrohttp::Result<String> {
    client.get(url).send().await?.text().await
}

scenario! {
    async fn h2c_get_and_version() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let response = client.get(server.url("/hello")).send().await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-stream-id"], "1");
        let text = response.text().await.unwrap();
        assert_eq!(text, "hello h2");
        // The same connection carries the next request, on stream 3.
        let response = client.get(server.url("/hello")).send().await.unwrap();
        assert_eq!(response.headers()["x-stream-id"], "3");
        let text = response.text().await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
        assert_eq!(client.pool_status().unwrap().open, 1);
    }
}

scenario! {
    async fn h2c_request_fields_and_bodies() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        // An in-memory body: Content-Length; the pseudo-fields from the URL.
        let response = client
            .post(server.url("/echo?a=1&b=2"))
            .body("posted bytes")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-method"], "POST");
        assert_eq!(response.headers()["x-path"], "/echo?a=1&b=2");
        assert_eq!(response.headers()["x-scheme"], "http");
        let authority = format!("127.0.0.1:{}", server.addr().port());
        assert_eq!(response.headers()["x-authority"], authority.as_str());
        assert_eq!(response.headers()["x-content-length"], "12");
        assert_eq!(response.headers()["x-host"], "none");
        let text = response.text().await.unwrap();
        assert_eq!(text, "posted bytes");
        // A streamed body of unknown length, larger than the windows' start.
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut response = client
            .put(server.url("/echo"))
            .body(stream_body(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-method"], "PUT");
        assert_eq!(response.headers()["x-content-length"], "none");
        let got = read_to_end(&mut response).await.unwrap();
        assert!(got == data, "echoed {} bytes, sent {}", got.len(), data.len());
        // A GET carries no body and no Content-Length.
        let response = client.get(server.url("/echo")).send().await.unwrap();
        assert_eq!(response.headers()["x-content-length"], "none");
        // A Host set by the caller is the :authority (and no Host field goes).
        let response = client
            .get(server.url("/echo"))
            .header("host", "virtual.test")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-authority"], "virtual.test");
        assert_eq!(response.headers()["x-host"], "none");
    }
}

scenario! {
    async fn h2c_trailers_gzip_and_length_checks() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let mut response = client.get(server.url("/trailers")).send().await.unwrap();
        let body = read_to_end(&mut response).await.unwrap();
        assert_eq!(body, b"with trailers");
        assert_eq!(response.trailers().unwrap()["x-checksum"], "abc");
        let text = client.get(server.url("/gzip")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "hello gzip ".repeat(100));
        let e = client.get(server.url("/short")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e}");
        assert!(e.to_string().contains("shorter than its Content-Length"), "{e}");
        // The connection is still fine.
        let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn h2c_concurrent_requests_share_one_connection() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let url = server.url("/slow/20");
        let c = client.clone();
        // 8 threads (tasks) at once, 100 requests in all.
        let results = concurrently(8, move |_| {
            let (c, url) = (c.clone(), url.clone());
            async_many(c, url, 13)
        })
        .await;
        let mut done = 0;
        for r in results {
            done += r.unwrap();
        }
        assert_eq!(done, 104);
        assert_eq!(server.connections(), 1, "the server saw more than one connection");
        assert_eq!(client.pool_status().unwrap().open, 1);
        // 100 in flight at once, each its own thread (task).
        let c = client.clone();
        let url = server.url("/slow/300");
        let results = concurrently(100, move |_| get_text(c.clone(), url.clone())).await;
        assert!(results.iter().all(|r| r.as_deref().ok() == Some("hello h2")));
        assert_eq!(server.connections(), 1, "the server saw more than one connection");
    }
}

/// `n` requests one after another; how many answered `hello h2`.
#[maybe]
async fn async_many(client: Client, url: String, n: usize) -> ferrohttp::Result<usize> {
    let mut ok = 0;
    for _ in 0..n {
        let text = get_text(client.clone(), url.clone()).await?;
        if text == "hello h2" {
            ok += 1;
        }
    }
    Ok(ok)
}

scenario! {
    async fn h2c_server_reset_fails_one_request_only() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let e = client.get(server.url("/reset")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e}");
        assert!(e.to_string().contains("reset"), "{e}");
        let mut response = client.get(server.url("/reset-mid")).send().await.unwrap();
        let e = read_to_end(&mut response).await.unwrap_err();
        assert!(e.to_string().contains("reset"), "{e}");
        let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn h2c_goaway_moves_to_a_new_connection() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let text = get_text(client.clone(), server.url("/goaway")).await.unwrap();
        assert_eq!(text, "bye");
        pause(Duration::from_millis(100)).await;
        for _ in 0..3 {
            let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
            assert_eq!(text, "hello h2");
        }
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn h2c_dropped_response_resets_its_stream() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let mut response = client.get(server.url("/bytes/10000000")).send().await.unwrap();
        let mut buf = vec![0; 1000];
        let n = read_into(&mut response, &mut buf).await.unwrap();
        assert!(n > 0);
        drop(response);
        // The server learns of it (its send fails), and the connection
        // carries on.
        for _ in 0..200 {
            if server.stats.client_resets.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                break;
            }
            pause(Duration::from_millis(10)).await;
            // Something has to read for the reset to go out and the server to answer.
            let _ = get_text(client.clone(), server.url("/hello")).await.unwrap();
        }
        assert_eq!(server.stats.client_resets.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(server.sent() < 10_000_000, "the whole body was sent: {}", server.sent());
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn h2c_upload_waits_for_window_while_reading_frames() {
        // httpcore #1133: an upload larger than the server's windows must
        // keep reading (WINDOW_UPDATEs) instead of waiting on a lock.
        let server = H2Server::start(H2Options {
            initial_window: Some(16 * 1024),
            connection_window: Some(32 * 1024),
            ..H2Options::default()
        });
        let client = h2c_client();
        let data = vec![7u8; 1 << 20];
        let c = client.clone();
        let url = server.url("/upload-slow");
        let results = concurrently(3, move |_| {
            let (c, url, data) = (c.clone(), url.clone(), data.clone());
            upload(c, url, data)
        })
        .await;
        for r in results {
            assert_eq!(r.unwrap(), (1 << 20).to_string());
        }
        assert_eq!(server.connections(), 1);
    }
}

#[maybe]
async fn upload(client: Client, url: String, data: Vec<u8>) -> ferrohttp::Result<String> {
    client.post(url).body(data).send().await?.text().await
}

/// A GET that waits for `gate` first.
#[maybe]
async fn gated_get(
    client: Client,
    url: String,
    gate: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> ferrohttp::Result<String> {
    if let Some(gate) = gate {
        let mut waited = 0;
        while !gate.load(std::sync::atomic::Ordering::SeqCst) && waited < 1000 {
            pause(Duration::from_millis(10)).await;
            waited += 1;
        }
    }
    get_text(client, url).await
}

scenario! {
    async fn h2_stream_limit_lowered_while_requests_are_in_flight() {
        // httpcore #1216: the server lowers SETTINGS_MAX_CONCURRENT_STREAMS
        // while a reader is blocked on the socket; requests over the new
        // limit wait for a free stream instead of deadlocking.
        use crate::h2raw::{settings, Got, Peer, MAX_CONCURRENT_STREAMS};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let lowered = Arc::new(AtomicBool::new(false));
        let flag = lowered.clone();
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[(MAX_CONCURRENT_STREAMS, 10)]);
            let first: Vec<u32> = (0..3).map(|_| peer.next_request().unwrap()).collect();
            peer.send(&settings(MAX_CONCURRENT_STREAMS, 1));
            // Two acknowledgements: the first SETTINGS', then this one's.
            while peer.acks < 2 {
                peer.next().unwrap();
            }
            flag.store(true, Ordering::SeqCst);
            // The late requests may not open a stream while three are open.
            std::thread::sleep(Duration::from_millis(200));
            for stream in first {
                while let Some(got) = peer.poll(Duration::from_millis(50)) {
                    assert!(!matches!(got, Got::Headers { .. }), "a stream over the limit: {got:?}");
                }
                peer.respond(stream, b"first");
            }
            // Then one at a time.
            for _ in 0..3 {
                let stream = peer.next_request().unwrap();
                while let Some(got) = peer.poll(Duration::from_millis(100)) {
                    assert!(!matches!(got, Got::Headers { .. }), "a second open stream: {got:?}");
                }
                peer.respond(stream, b"second");
            }
            // Open until the test is done (a close would reset it).
            peer
        });
        // One connection at most: the late requests wait for a stream on it.
        let client = Client::builder()
            .http2_prior_knowledge()
            .limits(ferrohttp::Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(20))
            .build()
            .unwrap();
        let c = client.clone();
        let results = concurrently(6, move |i| {
            let gate = (i >= 3).then(|| lowered.clone());
            gated_get(c.clone(), url.clone(), gate)
        })
        .await;
        let texts: Vec<String> = results.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(texts.iter().filter(|t| *t == "first").count(), 3, "{texts:?}");
        assert_eq!(texts.iter().filter(|t| *t == "second").count(), 3, "{texts:?}");
        server.join().unwrap();
    }
}

scenario! {
    async fn h2c_read_timeout_fails_one_stream_and_keeps_the_connection() {
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let e = client
            .get(server.url("/slow/1000"))
            .timeout(Timeout::default().read(Duration::from_millis(100)))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e}");
        let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn h2c_server_stream_limit_opens_another_connection() {
        let server = H2Server::start(H2Options {
            max_concurrent: Some(2),
            ..H2Options::default()
        });
        let client = h2c_client();
        let url = server.url("/slow/200");
        let c = client.clone();
        let results = concurrently(6, move |_| get_text(c.clone(), url.clone())).await;
        for r in results {
            assert_eq!(r.unwrap(), "hello h2");
        }
        let n = server.connections();
        assert!((2..=3).contains(&n), "{n} connections for 6 requests, 2 streams each");
    }
}

scenario! {
    async fn h2c_slow_reader_holds_the_server_to_the_window() {
        // 100 MiB read slowly: the server can only send what the windows
        // allow (2 MiB for the connection), so memory stays bounded.
        let server = H2Server::start(H2Options::default());
        let client = h2c_client();
        let total: u64 = 100 << 20;
        let mut response = client
            .get(server.url(&format!("/bytes/{total}")))
            .send()
            .await
            .unwrap();
        let mut buf = vec![0; 64 * 1024];
        let mut read: u64 = 0;
        let mut worst: u64 = 0;
        let mut expect: u64 = 0;
        loop {
            let n = read_into(&mut response, &mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            for (i, b) in buf[..n].iter().enumerate() {
                assert_eq!(u64::from(*b), (expect + i as u64) % 251, "byte {}", expect + i as u64);
            }
            expect += n as u64;
            read += n as u64;
            // Slow at the start: the server fills the windows and waits.
            if read < (8 << 20) && read % (1 << 20) < n as u64 {
                pause(Duration::from_millis(50)).await;
                worst = worst.max(server.sent() - read);
            }
        }
        assert_eq!(read, total);
        assert!(worst > 0, "the server never ran ahead");
        assert!(worst <= (2 << 20) + (64 << 10), "the server ran {worst} bytes ahead of the reader");
    }
}

#[cfg(feature = "rustls")]
scenario! {
    async fn alpn_negotiates_h2_and_falls_back_to_http1() {
        use crate::support::tls::{server_config, Pki, TlsServer};
        use crate::support::Reply;
        let pki = Pki::new();
        let leaf = pki.leaf(&["localhost"]);
        let mut config = server_config(&leaf, None);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let server = H2Server::start(H2Options {
            tls: Some(std::sync::Arc::new(config)),
            ..H2Options::default()
        });
        let ca = ferrohttp::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap();
        let client = Client::builder()
            .add_root_certificate(ca.clone())
            .resolve("localhost", server.addr())
            .http2(true)
            .build()
            .unwrap();
        let response = client.get(server.url("/echo")).send().await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.headers()["x-scheme"], "https");
        let authority = format!("localhost:{}", server.addr().port());
        assert_eq!(response.headers()["x-authority"], authority.as_str());
        let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
        // A server that picks HTTP/1.1 gets it.
        let h1 = TlsServer::start(server_config(&leaf, None), |_| Reply::ok("over h1"));
        let client = Client::builder()
            .add_root_certificate(ca)
            .resolve("localhost", h1.server.addr())
            .http2(true)
            .build()
            .unwrap();
        let response = client.get(h1.url("localhost", "/")).send().await.unwrap();
        assert_eq!(response.version(), Version::HTTP_11);
        let text = response.text().await.unwrap();
        assert_eq!(text, "over h1");
        let offered = h1.handshakes()[0].alpn.clone();
        assert_eq!(offered.as_deref(), Some(&b"http/1.1"[..]));
        // And a second request reuses the HTTP/1.1 connection.
        let text = get_text(client.clone(), h1.url("localhost", "/")).await.unwrap();
        assert_eq!(text, "over h1");
        assert_eq!(h1.server.connections(), 1);
    }
}

scenario! {
    async fn h2_goaway_refuses_later_streams_which_go_again_on_a_new_connection() {
        use crate::h2raw::{goaway, Peer};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[]);
            let a = peer.next_request().unwrap();
            let b = peer.next_request().unwrap();
            let (low, high) = (a.min(b), a.max(b));
            // Only the lower stream will be processed.
            peer.send(&goaway(low, 0));
            peer.respond(low, b"processed");
            // The refused one comes again on a second connection.
            let mut second = Peer::accept(&listener, &[]);
            let again = second.next_request().unwrap();
            second.respond(again, b"again");
            // Both connections stay open until the test is done with them:
            // closing one with unread bytes in it would reset it, and the
            // client could lose a response it has not read yet.
            (high, peer, second)
        });
        let client = h2c_client();
        let c = client.clone();
        let results = concurrently(2, move |i| {
            let (c, url) = (c.clone(), url.clone());
            // The second goes out once the first is on the wire.
            let gate = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(i == 0));
            if i == 1 {
                let g = gate.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(100));
                    g.store(true, std::sync::atomic::Ordering::SeqCst);
                });
            }
            gated_get(c, url, Some(gate))
        })
        .await;
        let mut texts: Vec<String> = results.into_iter().map(|r| r.unwrap()).collect();
        texts.sort();
        assert_eq!(texts, ["again", "processed"]);
        let _connections = server.join().unwrap();
    }
}

/// A server that answers the first request with `hostile` bytes; the
/// client's error for it.
#[maybe]
async fn hostile_h2(hostile: Vec<u8>) -> ferrohttp::Error {
    use crate::h2raw::Peer;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener, &[]);
        let _ = peer.next_request().unwrap();
        let _ = peer.try_send(&hostile);
        // Until the client gives up.
        while peer.next().is_some() {}
    });
    let client = h2c_client();
    let result = client.get(url).send().await;
    let e = match result {
        Ok(response) => response.bytes().await.unwrap_err(),
        Err(e) => e,
    };
    drop(client);
    server.join().unwrap();
    e
}

scenario! {
    async fn h2_hostile_servers_get_clear_errors() {
        use crate::h2raw::{flag, kind, raw_frame};
        // A header block that never ends: refused once past the cap.
        let mut endless = raw_frame(kind::HEADERS, 0, 1, &[0x88]);
        for _ in 0..64 {
            endless.extend(raw_frame(kind::CONTINUATION, 0, 1, &[0x40; 4096]));
        }
        let e = hostile_h2(endless).await;
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e}");
        assert!(e.to_string().contains("HTTP/2"), "{e}");
        // A window pushed past 2^31 - 1.
        let mut overflow = Vec::new();
        for _ in 0..2 {
            overflow.extend(raw_frame(kind::WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()));
        }
        let e = hostile_h2(overflow).await;
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e}");
        assert!(e.to_string().to_lowercase().contains("window"), "{e}");
        // Empty DATA frames without end, forever: a flood.
        let mut head = Vec::new();
        {
            // `:status: 200` from the static table.
            head.extend(raw_frame(kind::HEADERS, flag::END_HEADERS, 1, &[0x88]));
        }
        for _ in 0..2000 {
            head.extend(raw_frame(kind::DATA, 0, 1, &[]));
        }
        let e = hostile_h2(head).await;
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e}");
    }
}

scenario! {
    async fn h2_a_connection_closed_while_idle_is_not_reused_for_an_upload() {
        // The server says GOAWAY and closes while the connection sits idle;
        // the next request, a streamed upload (which cannot be sent twice),
        // must go on a new connection, not fail on the dead one.
        use crate::h2raw::{goaway, Got, Peer};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let (first_done, wait_first) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[]);
            let first = peer.next_request().unwrap();
            peer.respond(first, b"first");
            // Once the client has the response whole.
            wait_first.recv().unwrap();
            peer.send(&goaway(first, 0));
            drop(peer);
            let mut second = Peer::accept(&listener, &[]);
            let stream = second.next_request().unwrap();
            let mut got = 0;
            loop {
                match second.next().unwrap() {
                    Got::Data { len, end_stream, .. } => {
                        got += len;
                        if end_stream {
                            break;
                        }
                    }
                    Got::Headers { .. } => panic!("a second request"),
                    _ => {}
                }
            }
            second.respond(stream, got.to_string().as_bytes());
            // Open until the test is done (a close would reset it).
            second
        });
        let client = h2c_client();
        let text = get_text(client.clone(), url.clone()).await.unwrap();
        assert_eq!(text, "first");
        first_done.send(()).unwrap();
        pause(Duration::from_millis(1200)).await;
        let text = client
            .post(url)
            .body(stream_body(vec![1; 100_000]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text, "100000");
        server.join().unwrap();
    }
}

scenario! {
    async fn h2c_many_downloads_at_once_keep_the_windows_moving() {
        // 100 streams of 1 MiB over one connection: more than the
        // connection's window in all, so each caller's reads must give the
        // window back (WINDOW_UPDATE) while another is blocked reading the
        // socket for everyone.
        let server = H2Server::start(H2Options::default());
        let client = Client::builder()
            .http2_prior_knowledge()
            .timeout(Timeout::from_secs(20).read(Duration::from_secs(5)))
            .build()
            .unwrap();
        let c = client.clone();
        let url = server.url("/bytes/1048576");
        let results = concurrently(100, move |_| download(c.clone(), url.clone())).await;
        for r in results {
            assert_eq!(r.unwrap(), 1_048_576);
        }
        assert_eq!(server.connections(), 1);
    }
}

#[maybe]
async fn download(client: Client, url: String) -> ferrohttp::Result<usize> {
    let mut response = client.get(url).send().await?;
    let mut buf = vec![0; 16 * 1024];
    let mut n = 0;
    loop {
        let k = read_into(&mut response, &mut buf).await?;
        if k == 0 {
            return Ok(n);
        }
        n += k;
    }
}

scenario! {
    async fn h2_window_updates_go_out_while_another_caller_reads_the_socket() {
        // One caller (B) reads the socket for everyone, blocked; the other
        // (A) takes its stream's bytes from what B already read. The
        // WINDOW_UPDATEs A earns must reach the server at once: the server
        // sends nothing more until they do, and B waits on the socket.
        use crate::h2raw::{Got, Peer};
        use ferrohttp::proto::h2::frame;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[]);
            let a = peer.next_request().unwrap();
            let b = peer.next_request().unwrap();
            // All of stream A's window (the client's 1 MiB), in 16 KiB frames.
            let mut out = peer.headers(a, 200, &[], false);
            for _ in 0..64 {
                frame::encode_data(a, &[7; 16 * 1024], false, &mut out);
            }
            peer.send(&out);
            // Nothing more until A's window comes back.
            loop {
                match peer.next() {
                    Some(Got::WindowUpdate { stream, .. }) if stream == a => break,
                    Some(_) => {}
                    None => panic!("no WINDOW_UPDATE for the stream"),
                }
            }
            let mut out = Vec::new();
            frame::encode_data(a, &[7; 100], true, &mut out);
            peer.send(&out);
            peer.respond(b, b"b done");
            while peer.next().is_some() {}
        });
        let client = Client::builder()
            .http2_prior_knowledge()
            .timeout(Timeout::from_secs(20).read(Duration::from_secs(3)))
            .build()
            .unwrap();
        let c = client.clone();
        let results = concurrently(2, move |i| slow_or_plain(c.clone(), format!("{base}/{i}"), i == 0)).await;
        let results: Vec<usize> = results.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(results, [64 * 16 * 1024 + 100, 6]);
        drop(client);
        server.join().unwrap();
    }
}

/// Caller A (`slow`): opens first, waits a while before reading its body
/// (the other caller is by then blocked reading the socket). Caller B:
/// opens second.
#[maybe]
async fn slow_or_plain(client: Client, url: String, slow: bool) -> ferrohttp::Result<usize> {
    if !slow {
        pause(Duration::from_millis(50)).await;
    }
    let mut response = client.get(url).send().await?;
    if slow {
        pause(Duration::from_millis(300)).await;
    }
    let mut buf = vec![0; 16 * 1024];
    let mut n = 0;
    loop {
        let k = read_into(&mut response, &mut buf).await?;
        if k == 0 {
            return Ok(n);
        }
        n += k;
    }
}

scenario! {
    async fn h2c_body_read_timeout_resumes_exactly() {
        // A read timeout in the middle of a body fails that read only: the
        // next read returns exactly the bytes that come next.
        let server = H2Server::start(H2Options::default());
        let client = Client::builder()
            .http2_prior_knowledge()
            .timeout(Timeout::from_secs(20).read(Duration::from_millis(100)))
            .build()
            .unwrap();
        let mut response = client.get(server.url("/drip")).send().await.unwrap();
        let mut buf = [0u8; 64];
        let n = read_into(&mut response, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
        let e = read_into(&mut response, &mut buf).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e}");
        pause(Duration::from_millis(300)).await;
        let n = read_into(&mut response, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        let n = read_into(&mut response, &mut buf).await.unwrap();
        assert_eq!(n, 0);
        // The connection carries on.
        let text = get_text(client.clone(), server.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
    }
}

/// A GET sent after `delay`.
#[maybe]
async fn delayed_get(client: Client, url: String, delay: Duration) -> ferrohttp::Result<String> {
    pause(delay).await;
    get_text(client, url).await
}

scenario! {
    async fn h2c_pool_timeout_waiting_for_a_stream_is_not_retried() {
        // The only connection's only stream is taken for 600 ms. A request
        // whose pool timeout (300 ms) runs out waiting for it fails with
        // PoolTimeout; sent again, its wait would start over and get the
        // stream, well past the timeout it was given.
        let server = H2Server::start(H2Options {
            max_concurrent: Some(1),
            ..H2Options::default()
        });
        let client = Client::builder()
            .http2_prior_knowledge()
            .limits(ferrohttp::Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(20).pool(Duration::from_millis(300)))
            .build()
            .unwrap();
        let (slow, quick) = (server.url("/slow/600"), server.url("/hello"));
        let c = client.clone();
        let results = concurrently(2, move |i| {
            if i == 0 {
                delayed_get(c.clone(), slow.clone(), Duration::ZERO)
            } else {
                delayed_get(c.clone(), quick.clone(), Duration::from_millis(100))
            }
        })
        .await;
        let mut results = results.into_iter();
        assert_eq!(results.next().unwrap().unwrap(), "hello h2");
        let e = results.next().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PoolTimeout, "{e}");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn h2_a_large_data_frame_reaches_the_reader_as_it_arrives() {
        // One DATA frame of 200 000 bytes (the client allows 256 KiB
        // frames), of which the server sends the first 1 000 and then waits
        // until the client has read them: they must be readable before the
        // frame is whole (it was gathered whole first, before). A read that
        // times out in the middle of the frame fails that read only: the
        // next one goes on with exactly the frame's next bytes.
        use crate::h2raw::{flag, kind, raw_frame, Peer};
        const LEN: usize = 200_000;
        let body: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let (first_read, got_first) = std::sync::mpsc::channel::<()>();
        let sent = body.clone();
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[]);
            let stream = peer.next_request().unwrap();
            let mut out = peer.headers(stream, 200, &[], false);
            let data = raw_frame(kind::DATA, flag::END_STREAM, stream, &sent);
            out.extend_from_slice(&data[..9 + 1_000]);
            peer.send(&out);
            // The rest only once the client read the start (or gave up).
            let _ = got_first.recv_timeout(Duration::from_secs(5));
            peer.send(&data[9 + 1_000..]);
            while peer.next().is_some() {}
        });
        let client = Client::builder()
            .http2_prior_knowledge()
            .timeout(Timeout::from_secs(20).read(Duration::from_millis(300)))
            .build()
            .unwrap();
        let mut response = client.get(url).send().await.unwrap();
        let mut buf = vec![0; 64 * 1024];
        let mut got = Vec::new();
        while got.len() < 1_000 {
            let n = read_into(&mut response, &mut buf)
                .await
                .expect("the frame's first bytes, before the rest was sent");
            assert!(n > 0, "the body ended after {} bytes", got.len());
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), 1_000, "no more than was sent");
        let e = read_into(&mut response, &mut buf).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e}");
        first_read.send(()).unwrap();
        loop {
            let n = read_into(&mut response, &mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), LEN);
        assert!(got == body, "the body as sent");
        drop(response);
        drop(client);
        server.join().unwrap();
    }
}

scenario! {
    async fn h2c_an_idle_connection_gives_its_place_to_another_origin() {
        // One place in the pool, taken by an idle HTTP/2 connection to A: a
        // request to B gets it (A's connection closed), as it would from an
        // idle HTTP/1.1 connection, instead of waiting out its pool timeout.
        let a = H2Server::start(H2Options::default());
        let b = H2Server::start(H2Options::default());
        let client = Client::builder()
            .http2_prior_knowledge()
            .limits(ferrohttp::Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(20).pool(Duration::from_secs(2)))
            .build()
            .unwrap();
        let text = get_text(client.clone(), a.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        let text = get_text(client.clone(), b.url("/hello"))
            .await
            .expect("a place for B: A's idle connection closed");
        assert_eq!(text, "hello h2");
        assert_eq!(client.pool_status().unwrap().open, 1);
        // And back: B's connection, idle now, makes room for A's.
        let text = get_text(client.clone(), a.url("/hello")).await.unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!((a.connections(), b.connections()), (2, 1));
        // A connection in use is not taken: with A's response unread, B's
        // request waits for a place and times out.
        let held = client.get(a.url("/bytes/100000")).send().await.unwrap();
        let e = get_text(client.clone(), b.url("/hello")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PoolTimeout, "{e}");
        drop(held);
    }
}
