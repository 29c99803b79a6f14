//! HTTP/2 scenarios against an in-process `h2` server, run against both
//! clients (the scenario file is included twice, as the engine is).

#[path = "support/h2raw.rs"]
mod h2raw;
#[path = "support/h2server.rs"]
mod h2server;
mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/h2.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/h2.rs");
}

/// Futures dropped part way (async only): the stream's state stays whole,
/// and the connection goes on serving the others.
#[cfg(feature = "async")]
mod cancelled {
    use crate::h2server::{H2Options, H2Server};
    use ferrohttp::{AsyncClient, Timeout};
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    fn client() -> AsyncClient {
        AsyncClient::builder()
            .http2_prior_knowledge()
            .timeout(Timeout::from_secs(20))
            .build()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_read_dropped_mid_wait_reads_on_exactly() {
        let server = H2Server::start(H2Options::default());
        let client = client();
        let mut response = client.get(server.url("/drip")).send().await.unwrap();
        let mut buf = [0u8; 64];
        let n = response.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");
        // Dropped while it waits for the second DATA frame.
        let early = tokio::time::timeout(Duration::from_millis(50), response.read(&mut buf)).await;
        assert!(early.is_err(), "the second frame came early: {early:?}");
        let mut rest = Vec::new();
        response.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"second");
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_read_dropped_in_the_middle_of_a_frame_reads_on_exactly() {
        // One DATA frame of 200 000 bytes, its first 1 000 sent, the rest
        // once the client's next read was dropped waiting for it.
        use crate::h2raw::{flag, kind, raw_frame, Peer};
        const LEN: usize = 200_000;
        let body: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        let (dropped, go_on) = std::sync::mpsc::channel::<()>();
        let sent = body.clone();
        let server = std::thread::spawn(move || {
            let mut peer = Peer::accept(&listener, &[]);
            let stream = peer.next_request().unwrap();
            let mut out = peer.headers(stream, 200, &[], false);
            let data = raw_frame(kind::DATA, flag::END_STREAM, stream, &sent);
            out.extend_from_slice(&data[..9 + 1_000]);
            peer.send(&out);
            let _ = go_on.recv_timeout(Duration::from_secs(5));
            peer.send(&data[9 + 1_000..]);
            while peer.next().is_some() {}
        });
        let client = client();
        let mut response = client.get(url).send().await.unwrap();
        let mut got = vec![0; 1_000];
        response.read_exact(&mut got).await.unwrap();
        let mut buf = [0u8; 4096];
        let early = tokio::time::timeout(Duration::from_millis(50), response.read(&mut buf)).await;
        assert!(early.is_err(), "bytes came that were not sent: {early:?}");
        dropped.send(()).unwrap();
        response.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), LEN);
        assert!(got == body, "the body as sent");
        drop(response);
        drop(client);
        server.join().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_dropped_while_reading_passes_the_reading_on() {
        let server = H2Server::start(H2Options::default());
        let client = client();
        // Open the connection first.
        let text = client
            .get(server.url("/hello"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text, "hello h2");
        // The first request reads the socket for both; it is dropped
        // (cancelled) before any answer, and the second must go on.
        let first = client.get(server.url("/slow/400")).send();
        let second = {
            let client = client.clone();
            let url = server.url("/slow/300");
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                client.get(url).send().await?.text().await
            })
        };
        let dropped = tokio::time::timeout(Duration::from_millis(100), first).await;
        assert!(dropped.is_err(), "the first answered early");
        let text = second.await.unwrap().unwrap();
        assert_eq!(text, "hello h2");
        // And the connection takes more.
        let text = client
            .get(server.url("/hello"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text, "hello h2");
        assert_eq!(server.connections(), 1);
    }
}
