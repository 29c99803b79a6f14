//! `Expect: 100-continue` for both clients, against raw in-process servers
//! that answer 100, answer before the body, refuse the expectation, or
//! ignore it.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/expect.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/expect.rs");
}

/// A request whose future is dropped while it waits for `100 Continue`
/// leaves nothing behind: its connection (head sent, body not) is closed,
/// never reused, and the next request goes whole on a new connection.
#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_while_waiting_for_100_continue_leaves_nothing_behind() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = support::Server::raw(move |mut s, index| {
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") {
            match s.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        if head.contains("expect: 100-continue") {
            // Never answered: all that may come next is the client's close.
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut rest = Vec::new();
            let end = s.read_to_end(&mut rest);
            seen.lock().unwrap().push(format!(
                "{index}: closed={} body bytes={}",
                end.is_ok(),
                rest.len()
            ));
            return;
        }
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map_or(0, |v| v.trim().parse().unwrap());
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).unwrap();
        let text = format!("{index}: {len}");
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        s.write_all(reply.as_bytes()).unwrap();
    });
    let client = ferrohttp::AsyncClient::builder()
        .expect_continue_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let url = server.url("/");
    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        client.put(&url).body(vec![7u8; 2 << 20]).send(),
    )
    .await;
    assert!(dropped.is_err(), "still waiting for 100 Continue");
    let r = client.put(&url).body(vec![1u8; 10]).send().await.unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        "1: 10",
        "a new connection, the request whole"
    );
    let mut waited = 0;
    while log.lock().unwrap().is_empty() && waited < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(*log.lock().unwrap(), ["0: closed=true body bytes=0"]);
    assert_eq!(server.connections(), 2);
}
