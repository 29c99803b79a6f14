// Reads after errors, shared by both clients (included by tests/reliability.rs).
//
// The server sends a 64 KiB body in three pieces with pauses between them
// longer than the client's read timeout, so reads time out part way; the
// reader keeps reading. Every byte handed out must be the body's byte at
// that offset, and the client's next request must get its own response.

#[allow(unused_imports, reason = "not every scenario uses every name")]
use crate::support::reliability::{check_at, pieced_server, pieced_server_at, BODY_LEN, PAUSE};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use crate::support::{Reply, Server};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::{ErrorKind, Timeout};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use std::time::Duration;

/// The client's read timeout: well under the server's pauses.
const READ_TIMEOUT: Duration = Duration::from_millis(250);

/// A client whose read timeout fires in the server's pauses.
fn timing_out_client() -> Client {
    Client::builder()
        .timeout(Timeout::from_secs(10).read(READ_TIMEOUT))
        .build()
        .unwrap()
}

/// Sends `GET path`, reads the body through `buf_size`-byte reads, reading
/// on after each read timeout; checks every byte, then that the next
/// request on the same client gets its own response.
#[maybe]
async fn read_on_after_timeouts(path: &str, buf_size: usize) {
    let (server, want) = pieced_server();
    let client = timing_out_client();
    let mut r = client.get(server.url(path)).send().await.unwrap();
    let (got, timeouts) = read_across_timeouts(&mut r, buf_size, &want).await;
    assert_eq!(got, BODY_LEN, "the whole body, after {timeouts} read timeouts");
    assert!(timeouts >= 2, "the read timeout fired in both pauses ({timeouts} times)");
    let second = client.get(server.url("/second")).send().await.unwrap();
    let text = second.text().await.unwrap();
    assert_eq!(text, "second");
}

macro_rules! read_on {
    ($($name:ident: $path:literal, $buf:expr;)*) => {$(
        scenario! {
            async fn $name() {
                read_on_after_timeouts($path, $buf).await
            }
        }
    )*};
}

read_on! {
    length_small_reads_resume_after_timeouts: "/length", 1024;
    length_large_reads_resume_after_timeouts: "/length", 64 * 1024;
    chunked_small_reads_resume_after_timeouts: "/chunked", 1024;
    chunked_large_reads_resume_after_timeouts: "/chunked", 64 * 1024;
    gzip_small_reads_resume_after_timeouts: "/gzip", 1024;
    gzip_large_reads_resume_after_timeouts: "/gzip", 64 * 1024;
    gzip_chunked_small_reads_resume_after_timeouts: "/gzip-chunked", 1024;
    gzip_chunked_large_reads_resume_after_timeouts: "/gzip-chunked", 64 * 1024;
}

/// Reads until the first read timeout (after nine tenths of the body), then
/// drops the response; once the server has sent the rest, the next request
/// must get its own response, not the rest of this body.
#[maybe]
async fn drop_after_timeout(path: &str) {
    let (server, want) = pieced_server_at(&[90]);
    let client = timing_out_client();
    let mut r = client.get(server.url(path)).send().await.unwrap();
    let mut buf = vec![0u8; 1024];
    let mut got = 0usize;
    loop {
        match read_into(&mut r, &mut buf).await {
            Ok(n) => {
                assert!(n > 0, "the body ended before the server's pause");
                check_at(&want, got, &buf[..n]);
                got += n;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e:?}");
                break;
            }
        }
    }
    // At once: a connection idle for a second or more is peeked at before
    // reuse, which would hide a bad check-in. The server sends the rest of
    // the body before it reads the next request on the same connection.
    // A read timeout longer than the server's pause: a read timeout on a
    // reused connection would be retried on a new one, hiding a bad check-in.
    drop(r);
    let second = client
        .get(server.url("/second"))
        .timeout(Timeout::from_secs(5))
        .send()
        .await
        .unwrap();
    let text = second.text().await.unwrap();
    assert_eq!(text, "second");
}

scenario! {
    async fn length_response_dropped_after_a_timeout_does_not_poison_the_pool() {
        drop_after_timeout("/length").await
    }
}

scenario! {
    // The rest of the body is exactly as long as what the client's first
    // read took in: a stale copy of that read would look like the whole rest.
    async fn response_dropped_when_its_rest_matches_the_last_read_does_not_poison_the_pool() {
        drop_after_timeout("/length-exact").await
    }
}

scenario! {
    async fn chunked_response_dropped_after_a_timeout_does_not_poison_the_pool() {
        drop_after_timeout("/chunked").await
    }
}

scenario! {
    async fn gzip_response_dropped_after_a_timeout_does_not_poison_the_pool() {
        drop_after_timeout("/gzip").await
    }
}

/// Reads `r` until it fails, then reads twice more: a failed body stays
/// failed with the same kind of error (never a clean end, never bytes).
#[maybe]
async fn fails_and_stays_failed(mut r: Response, kind: ErrorKind) {
    let mut buf = vec![0u8; 1024];
    let mut reads = 0;
    let first = loop {
        reads += 1;
        assert!(reads < 1000, "the body never failed");
        match read_into(&mut r, &mut buf).await {
            Ok(0) => panic!("the body ended cleanly; it must fail with {kind:?}"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(first.kind(), kind, "{first:?}");
    for _ in 0..2 {
        match read_into(&mut r, &mut buf).await {
            Err(e) => assert_eq!(e.kind(), kind, "a later read: {e:?}"),
            Ok(n) => panic!("a later read gave Ok({n}) after {first:?}"),
        }
    }
    assert!(!r.is_body_finished(), "a failed body is not finished");
}

scenario! {
    async fn body_cut_short_stays_failed() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly forty bytes of the hundred promised."));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        fails_and_stays_failed(r, ErrorKind::RemoteProtocol).await;
    }
}

scenario! {
    async fn chunked_body_cut_short_stays_failed() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nsixteen by"));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        fails_and_stays_failed(r, ErrorKind::RemoteProtocol).await;
    }
}

scenario! {
    async fn bad_chunk_size_stays_failed() {
        let server = Server::http(|_| Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\nmore\r\n0\r\n\r\n"));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        fails_and_stays_failed(r, ErrorKind::RemoteProtocol).await;
    }
}

scenario! {
    async fn corrupt_gzip_stays_failed() {
        let mut body = crate::support::gzip(&[7u8; 5000]);
        let mid = body.len() / 2;
        body[mid..].iter_mut().for_each(|b| *b ^= 0x5a);
        let reply = crate::support::response_with("200 OK", &["Content-Encoding: gzip"], &body);
        let server = Server::http(move |_| Reply::Raw(reply.clone()));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        fails_and_stays_failed(r, ErrorKind::Decoding).await;
    }
}
