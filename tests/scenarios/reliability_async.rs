// Reads whose futures are dropped part way (`tokio::time::timeout`,
// `select!`), async client only (included by tests/reliability.rs after
// the shared scenarios). The client has no read timeout here: the caller's
// timeout drops the read future while it waits for the socket.

/// How long the caller lets one read wait before dropping its future.
const CALLER_TIMEOUT: Duration = Duration::from_millis(250);

fn patient_client() -> Client {
    Client::builder()
        .timeout(Timeout::from_secs(10).read(None))
        .build()
        .unwrap()
}

/// How a read is made: `chunk()`, or `AsyncRead` with a buffer this large.
#[derive(Clone, Copy, Debug)]
enum Via {
    Chunk,
    Read(usize),
}

/// One read bounded by the caller's timeout: `None` when the future was
/// dropped, else its bytes (empty at the end of the body).
async fn read_or_drop(r: &mut Response, via: Via) -> Option<Vec<u8>> {
    match via {
        Via::Chunk => tokio::time::timeout(CALLER_TIMEOUT, r.chunk())
            .await
            .ok()
            .map(|c| c.unwrap().map_or_else(Vec::new, |b| b.to_vec())),
        Via::Read(size) => {
            let mut buf = vec![0u8; size];
            let n = tokio::time::timeout(CALLER_TIMEOUT, tokio::io::AsyncReadExt::read(r, &mut buf))
                .await
                .ok()?
                .unwrap();
            buf.truncate(n);
            Some(buf)
        }
    }
}

/// Reads `path` to its end through reads the caller drops when they wait
/// too long; every byte must be right, and the next request must get its
/// own response.
async fn read_on_after_dropped_futures(path: &str, via: Via) {
    let (server, want) = pieced_server();
    let client = patient_client();
    let mut r = client.get(server.url(path)).send().await.unwrap();
    let mut got = 0usize;
    let mut dropped = 0;
    loop {
        match read_or_drop(&mut r, via).await {
            Some(bytes) if bytes.is_empty() => break,
            Some(bytes) => {
                check_at(&want, got, &bytes);
                got += bytes.len();
            }
            None => {
                dropped += 1;
                assert!(dropped < 40, "{via:?}: stuck after {got} bytes");
            }
        }
    }
    assert_eq!(got, BODY_LEN, "{via:?}: the whole body, after {dropped} dropped reads");
    assert!(dropped >= 2, "{via:?}: a read was dropped in both pauses ({dropped} times)");
    let second = client.get(server.url("/second")).send().await.unwrap();
    assert_eq!(second.text().await.unwrap(), "second");
}

macro_rules! dropped_reads {
    ($($name:ident: $path:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for via in [Via::Chunk, Via::Read(1024), Via::Read(64 * 1024)] {
                read_on_after_dropped_futures($path, via).await;
            }
        }
    )*};
}

dropped_reads! {
    length_reads_resume_after_dropped_futures: "/length";
    chunked_reads_resume_after_dropped_futures: "/chunked";
    gzip_reads_resume_after_dropped_futures: "/gzip";
    gzip_chunked_reads_resume_after_dropped_futures: "/gzip-chunked";
}

/// Drops a `chunk()` future part way, then the response; the next request
/// must get its own response once the server has sent everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_dropped_after_a_dropped_chunk_future_does_not_poison_the_pool() {
    for path in ["/length", "/length-exact", "/chunked", "/gzip"] {
        let (server, want) = pieced_server_at(&[90]);
        let client = patient_client();
        let mut r = client.get(server.url(path)).send().await.unwrap();
        let mut got = 0;
        while let Some(bytes) = read_or_drop(&mut r, Via::Chunk).await {
            assert!(!bytes.is_empty(), "{path}: the body ended before the pause");
            check_at(&want, got, &bytes);
            got += bytes.len();
        }
        // At once, as in `drop_after_timeout`.
        drop(r);
        let second = client.get(server.url("/second")).send().await.unwrap();
        assert_eq!(second.text().await.unwrap(), "second", "{path}");
    }
}
