// Hostile-server scenarios shared by both clients (included by tests/hostile.rs).

use crate::support::{Reply, Server};
use ferrohttp::{ErrorKind, Timeout};
use std::time::Duration;

/// What a raw response must give.
#[derive(Debug)]
#[allow(dead_code, reason = "each variant is used by some cases")]
enum Expect {
    /// The head parses and the body reads as these bytes.
    Body(&'static [u8]),
    /// The head parses, reading the body fails with this kind.
    BodyError(ErrorKind),
    /// Sending fails with this kind (the head is refused).
    Error(ErrorKind),
}
use Expect::*;

#[maybe]
async fn check(raw: &'static [u8], method: &str, expect: Expect) {
    let server = Server::http(move |_| Reply::close(raw));
    let client = Client::builder()
        .timeout(Timeout::from_secs(2))
        .max_body_size(1 << 20)
        .build()
        .unwrap();
    let m = ferrohttp::Method::from_bytes(method.as_bytes()).unwrap();
    let result = client.request(m, server.url("/")).send().await;
    match (result, expect) {
        (Ok(r), Body(want)) => {
            let got = r.bytes().await;
            assert_eq!(got.as_deref().ok(), Some(want), "{:?}: {got:?}", String::from_utf8_lossy(raw));
        }
        (Ok(r), BodyError(kind)) => {
            let got = r.bytes().await;
            let e = got.expect_err("the body must fail");
            assert_eq!(e.kind(), kind, "{:?}: {e:?}", String::from_utf8_lossy(raw));
        }
        (Err(e), Error(kind)) => assert_eq!(e.kind(), kind, "{:?}: {e:?}", String::from_utf8_lossy(raw)),
        (other, expect) => panic!("{:?}: expected {expect:?}, got {other:?}", String::from_utf8_lossy(raw)),
    }
}

macro_rules! cases {
    ($($name:ident: $method:literal $raw:literal => $expect:expr;)*) => {$(
        scenario! {
            async fn $name() {
                check($raw, $method, $expect).await
            }
        }
    )*};
}

const RP: ErrorKind = ErrorKind::RemoteProtocol;

cases! {
    // --- Content-Length (RFC 9112 §6.3 items 5-6, RFC 9110 §8.6) ---
    cl_plain: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" => Body(b"hello");
    // 1*DIGIT: leading zeros are digits.
    cl_leading_zeros: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 005\r\n\r\nhello" => Body(b"hello");
    // A sign is not a digit: invalid, unrecoverable (§6.3 item 5).
    cl_plus_sign: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello" => Error(RP);
    cl_minus_sign: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello" => Error(RP);
    cl_overflow: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nx" => Error(RP);
    cl_hex: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello" => Error(RP);
    cl_empty: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nhello" => Error(RP);
    cl_inner_space: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\nhello" => Error(RP);
    // A list of identical values may be accepted as one (§6.3 item 5).
    cl_list_equal: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello" => Body(b"hello");
    cl_list_differ: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello" => Error(RP);
    cl_repeated_equal: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" => Body(b"hello");
    cl_repeated_differ: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 4\r\n\r\nhello" => Error(RP);
    // Fewer bytes than declared, then close: incomplete (§8), an error.
    cl_cut_short: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello" => BodyError(RP);
    // More bytes than declared: the body ends at the length.
    cl_extra_bytes: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhello" => Body(b"hel");
    cl_zero: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" => Body(b"");

    // --- Transfer-Encoding (§6.1, §6.3 item 3, §7) ---
    te_chunked: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" => Body(b"hello");
    te_case_insensitive: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Body(b"hi");
    // chunked must be the final coding.
    te_chunked_then_identity: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    // Nothing this client can remove may come before the final chunked,
    // and identity is no transfer coding any more (§6.1, §7): refused.
    te_identity_then_chunked: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    te_identity_then_chunked_headers: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    // chunked applied twice is forbidden.
    te_repeated_headers: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    // Empty list elements are allowed (RFC 9110 §5.6.1).
    te_empty_elements: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Body(b"hi");
    // Both: TE wins, the connection is not reused (smuggling defence).
    te_and_cl: "GET" b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Body(b"hi");
    // A transfer coding we cannot decode would hand over garbage: refused.
    te_gzip_chunked: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    te_unknown: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nbody" => Error(RP);
    // No chunked at the end: the body runs to the close (§6.3 item 3).
    te_identity_only: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nto close" => Body(b"to close");
    // Whitespace before the colon must be rejected (§5.1).
    te_space_before_colon: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    // HTTP/1.0 has no transfer codings: faulty framing (§6.1), refused.
    te_http10: "GET" b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" => Error(RP);
    te_http10_with_cl: "GET" b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nhi" => Error(RP);

    // --- Chunk framing (§7.1) ---
    chunk_size_overflow: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n0\r\n\r\n" => BodyError(RP);
    chunk_hex_prefix: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" => BodyError(RP);
    chunk_negative: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" => BodyError(RP);
    chunk_missing_crlf: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n" => BodyError(RP);
    // A bare LF in a chunk line is where servers and proxies disagree: refused.
    chunk_bare_lf: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" => BodyError(RP);
    chunk_extension: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\n0\r\n\r\n" => Body(b"hello");
    // Deliberate leniency: whitespace after the size (as httparse).
    chunk_trailing_space: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5  \r\nhello\r\n0\r\n\r\n" => Body(b"hello");
    chunk_cut_in_data: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel" => BodyError(RP);
    chunk_no_last_chunk: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n" => BodyError(RP);
    chunk_with_trailers: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n" => Body(b"hello");
    chunk_empty_size: "GET" b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n" => BodyError(RP);

    // --- Heads (§2, §4, §5) ---
    // obs-fold is replaced by SP (§5.2).
    head_obs_fold: "GET" b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    // A recipient may accept bare LF as a line end (§2.2).
    head_bare_lf: "GET" b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok" => Body(b"ok");
    head_nul_in_value: "GET" b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    head_ctl_in_name: "GET" b"HTTP/1.1 200 OK\r\nX\x01Y: 1\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    head_cr_in_value: "GET" b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    head_space_in_name: "GET" b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    head_no_colon: "GET" b"HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    status_letters: "GET" b"HTTP/1.1 abc OK\r\n\r\n" => Error(RP);
    status_four_digits: "GET" b"HTTP/1.1 2000 OK\r\n\r\n" => Error(RP);
    status_two_digits: "GET" b"HTTP/1.1 20 OK\r\n\r\n" => Error(RP);
    version_two: "GET" b"HTTP/2 200 OK\r\n\r\n" => Error(RP);
    version_lowercase: "GET" b"http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" => Error(RP);
    // A higher minor version is read as the highest implemented (RFC 9110 §2.5).
    version_one_two: "GET" b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    version_one_nine_chunked: "GET" b"HTTP/1.9 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" => Body(b"ok");
    version_two_zero: "GET" b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n" => Error(RP);
    version_zero_nine: "GET" b"HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n" => Error(RP);
    // Status codes run from 100 to 599 (RFC 9110 §15).
    status_600: "GET" b"HTTP/1.1 600 Beyond\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    status_999: "GET" b"HTTP/1.1 999 Beyond\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    status_099: "GET" b"HTTP/1.1 099 Below\r\nContent-Length: 2\r\n\r\nok" => Error(RP);
    status_599: "GET" b"HTTP/1.1 599 Edge\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    reason_missing: "GET" b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    // obs-text in the reason phrase is allowed (§4).
    reason_obs_text: "GET" b"HTTP/1.1 200 \xc3\x96kay\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    garbage_protocol: "GET" b"SSH-2.0-OpenSSH_9.2\r\n\r\n" => Error(RP);
    empty_response: "GET" b"" => Error(RP);
    head_cut_short: "GET" b"HTTP/1.1 200 OK\r\nContent-Le" => Error(RP);
    switching_protocols: "GET" b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" => Error(RP);
    informational_skipped: "GET" b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    http10_to_close: "GET" b"HTTP/1.0 200 OK\r\n\r\nall of it" => Body(b"all of it");
    // Empty lines before a status line are skipped, as httparse skips them
    // (and as §2.2 asks of servers before a request line); only empty lines
    // and then the end of the stream is no response at all.
    empty_lines_before_status: "GET" b"\r\n\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    empty_lines_after_interim: "GET" b"HTTP/1.1 103 Early Hints\r\n\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" => Body(b"ok");
    only_empty_lines: "GET" b"\r\n\r\n" => Error(RP);

    // --- No body whatever the headers say (§6.3 item 1) ---
    no_body_204: "GET" b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello" => Body(b"");
    no_body_304: "GET" b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n" => Body(b"");
    no_body_head: "HEAD" b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" => Body(b"");

    // --- Content codings (RFC 9110 §8.4) ---
    gzip_corrupt: "GET" b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 14\r\n\r\n\x1f\x8b\x08\x00garbagegar" => BodyError(ErrorKind::Decoding);
    gzip_truncated: "GET" b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" => BodyError(ErrorKind::Decoding);
    // A coding we do not know is passed through as received.
    coding_unknown: "GET" b"HTTP/1.1 200 OK\r\nContent-Encoding: snappy\r\nContent-Length: 3\r\n\r\nraw" => Body(b"raw");
    coding_identity: "GET" b"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nraw" => Body(b"raw");
}

scenario! {
    async fn head_larger_than_the_limit() {
        let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
        while big.len() < 80 * 1024 {
            big.extend_from_slice(b"X-Padding: 0123456789012345678901234567890123456789\r\n");
        }
        big.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        let server = Server::http(move |_| Reply::close(&big));
        let e = Client::new().get(server.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
        assert!(e.to_string().contains("larger than the limit"), "{e}");
    }
}

scenario! {
    async fn too_many_headers() {
        let mut head = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..150 {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("Content-Length: 0\r\n\r\n");
        let server = Server::http(move |_| Reply::close(&head));
        let e = Client::new().get(server.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
    }
}

scenario! {
    async fn stray_bytes_after_bodiless_responses_do_not_poison_reuse() {
        for (method, head) in [("GET", "HTTP/1.1 304 Not Modified\r\n\r\n"), ("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")] {
            let first = format!("{head}HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbogus!");
            let server = Server::http(move |req| {
                if req.target == "/first" { Reply::raw(&first) } else { Reply::ok("real") }
            });
            let client = Client::new();
            let m = ferrohttp::Method::from_bytes(method.as_bytes()).unwrap();
            client.request(m, server.url("/first")).send().await.unwrap().bytes().await.unwrap();
            let r = client.get(server.url("/second")).send().await.unwrap();
            let got = r.text().await.unwrap();
            assert_eq!(got, "real", "{method}");
        }
    }
}

/// A server that sends `interim` without end (bounded here: 60 s or until
/// the client goes away).
fn endless_interim(interim: &'static [u8]) -> Server {
    Server::http(move |_| {
        Reply::Custom(Box::new(move |w| {
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                if w.write_all(interim).is_err() {
                    return;
                }
            }
        }))
    })
}

scenario! {
    // Every read succeeds, so no read timeout would ever fire: the interim
    // responses of one exchange are bounded by count and by total size.
    async fn endless_interim_responses_are_refused() {
        let pad: &'static str = Box::leak(format!("HTTP/1.1 103 Early Hints\r\nLink: <{}>\r\n\r\n", "x".repeat(3000)).into_boxed_str());
        for (interim, limit) in [
            (&b"HTTP/1.1 100 Continue\r\n\r\n"[..], "64"),
            (pad.as_bytes(), "head size limit"),
        ] {
            let server = endless_interim(interim);
            let client = Client::builder().timeout(Timeout::from_secs(10)).build().unwrap();
            let e = client.get(server.url("/")).send().await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e:?}");
            let msg = e.to_string();
            assert!(msg.contains("interim (1xx) responses") && msg.contains(&server.addr().to_string()), "{msg}");
            assert!(msg.contains(limit), "{msg}");
        }
    }
}

scenario! {
    // Many interim responses below the bounds are still skipped.
    async fn sixty_four_interim_responses_are_skipped() {
        let mut raw = b"HTTP/1.1 102 Processing\r\n\r\n".repeat(64);
        raw.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let server = Server::http(move |_| Reply::Raw(raw.clone()));
        let text = Client::new().get(server.url("/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "ok");
    }
}

/// A server that sends chunks without end (bounded here: 60 s or until
/// the client goes away).
fn endless_chunks() -> Server {
    Server::http(|_| {
        Reply::Custom(Box::new(|w| {
            let _ = w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let chunk = [b'z'; 8192];
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                let ok = w.write_all(b"2000\r\n").and_then(|()| w.write_all(&chunk)).and_then(|()| w.write_all(b"\r\n"));
                if ok.is_err() {
                    return;
                }
            }
        }))
    })
}

scenario! {
    async fn never_ending_body_hits_max_body_size() {
        let server = endless_chunks();
        let client = Client::builder().max_body_size(4 << 20).build().unwrap();
        let e = client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{e:?}");
    }
}

scenario! {
    async fn never_ending_body_hits_the_total_deadline() {
        let server = endless_chunks();
        let client = Client::builder().timeout(Timeout::from_secs(5).total(Duration::from_millis(500))).build().unwrap();
        let mut r = client.get(server.url("/")).send().await.unwrap();
        let mut total = 0usize;
        let e = loop {
            match r.chunk().await {
                Ok(Some(c)) => total += c.len(),
                Ok(None) => panic!("an endless body ended"),
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind(), ErrorKind::TotalTimeout, "{e:?}");
        assert!(total > 0);
    }
}

/// A server that sends the head, then one body byte per `every`.
fn trickle(every: Duration) -> Server {
    Server::http(move |_| {
        Reply::Custom(Box::new(move |w| {
            let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
            for _ in 0..100 {
                std::thread::sleep(every);
                if w.write_all(b"t").and_then(|()| w.flush()).is_err() {
                    return;
                }
            }
        }))
    })
}

scenario! {
    async fn trickle_read_timeout_vs_total_deadline() {
        // One byte a second: the read timeout (0.3 s) fires between bytes.
        let server = trickle(Duration::from_secs(1));
        let client = Client::builder().timeout(Timeout::from_secs(5).read(Duration::from_millis(300))).build().unwrap();
        let e = client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e:?}");
        // A byte every 100 ms never trips a 1 s read timeout; the deadline stops it.
        let server = trickle(Duration::from_millis(100));
        let client = Client::builder().timeout(Timeout::from_secs(1).total(Duration::from_millis(700))).build().unwrap();
        let e = client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TotalTimeout, "{e:?}");
    }
}

/// A server that writes `bytes` and then resets the connection (RST, by
/// SO_LINGER 0).
fn resetting(bytes: &'static [u8]) -> Server {
    Server::raw(move |stream, _| {
        use std::io::{Read, Write};
        let mut stream = stream;
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(bytes);
        std::thread::sleep(Duration::from_millis(50));
        let sock = socket2::SockRef::from(&stream);
        let _ = sock.set_linger(Some(Duration::ZERO));
    })
}

scenario! {
    async fn resets_before_during_and_after_the_head() {
        let client = Client::new();
        let server = resetting(b"");
        let e = client.get(server.url("/")).send().await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Read | ErrorKind::RemoteProtocol), "before: {e:?}");
        let server = resetting(b"HTTP/1.1 200 OK\r\nContent-Le");
        let e = client.get(server.url("/")).send().await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Read | ErrorKind::RemoteProtocol), "during: {e:?}");
        let server = resetting(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
        let r = client.get(server.url("/")).send().await.unwrap();
        let e = r.bytes().await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Read | ErrorKind::RemoteProtocol), "after: {e:?}");
    }
}

scenario! {
    async fn decompression_bomb() {
        // 1 GiB of zeros, gzip-compressed (about 1 MiB on the wire).
        let bomb = bomb_gzip();
        let len = bomb.len();
        let server = Server::http(move |_| {
            Reply::Raw(crate::support::response_with("200 OK", &["Content-Encoding: gzip"], &bomb))
        });
        let client = Client::builder().max_body_size(16 << 20).build().unwrap();
        let e = client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "collecting stops at the limit");
        // Streaming reads the whole gigabyte one buffer at a time.
        let mut r = client.get(server.url("/")).send().await.unwrap();
        let mut total: u64 = 0;
        while let Some(chunk) = r.chunk().await.unwrap() {
            assert!(chunk.iter().all(|&b| b == 0));
            total += chunk.len() as u64;
        }
        assert_eq!(total, 1 << 30);
        assert_eq!(r.num_bytes_downloaded(), len as u64);
    }
}

/// 1 GiB of zeros gzip-compressed, made once per test binary.
fn bomb_gzip() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    })
    .clone()
}
