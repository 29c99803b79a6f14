// `Expect: 100-continue` scenarios shared by both clients (included by
// tests/expect.rs): raw servers that answer 100, answer at once, or ignore
// the expectation.

use crate::support::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIG: usize = 2 << 20;

/// Reads a request head byte by byte (so nothing past it is taken).
fn head_of(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).to_ascii_lowercase())
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Whether any byte arrives within `wait`.
fn silent_for(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut b = [0u8; 1];
    !matches!(s.read(&mut b), Ok(n) if n > 0)
}

fn read_body(s: &mut TcpStream, len: usize) -> usize {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < len {
        match s.read(&mut buf[..(len - got).min(64 * 1024)]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got
}

#[derive(Default, Clone)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

scenario! {
    async fn a_large_body_waits_for_100_continue() {
        let log = Log::default();
        let seen = log.clone();
        let server = Server::raw(move |mut s, _| {
            let Some(head) = head_of(&mut s) else { return };
            seen.push(format!("expect={}", head.contains("expect: 100-continue")));
            seen.push(format!("early bytes: {}", !silent_for(&mut s, Duration::from_millis(300))));
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            let got = read_body(&mut s, content_length(&head));
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{got}", got.to_string().len());
            s.write_all(reply.as_bytes()).unwrap();
        });
        let client = Client::builder().expect_continue_timeout(Duration::from_secs(30)).build().unwrap();
        let r = client.put(server.url("/")).body(vec![7u8; BIG]).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert_eq!(text, BIG.to_string());
        assert_eq!(log.get(), ["expect=true", "early bytes: false"], "the body waited for 100");
    }
}

scenario! {
    async fn an_answer_before_the_body_means_the_body_is_never_sent() {
        for status in ["401 Unauthorized", "413 Content Too Large"] {
            let log = Log::default();
            let seen = log.clone();
            let server = Server::raw(move |mut s, _| {
                let Some(_) = head_of(&mut s) else { return };
                s.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nno").as_bytes()).unwrap();
                seen.push(format!("body sent: {}", !silent_for(&mut s, Duration::from_millis(500))));
            });
            let client = Client::builder().expect_continue_timeout(Duration::from_secs(30)).build().unwrap();
            let r = client.post(server.url("/")).body(sized_body(vec![1u8; BIG])).send().await.unwrap();
            assert_eq!(r.status().as_u16(), status[..3].parse::<u16>().unwrap());
            let text = r.text().await.unwrap();
            assert_eq!(text, "no");
            drop(client);
            // Give the server its look at the socket.
            pause(Duration::from_millis(700)).await;
            assert_eq!(log.get(), ["body sent: false"], "{status}");
        }
    }
}

scenario! {
    async fn after_417_the_request_goes_again_without_the_expectation() {
        let log = Log::default();
        let seen = log.clone();
        let server = Server::raw(move |mut s, _| {
            let Some(head) = head_of(&mut s) else { return };
            if head.contains("expect: 100-continue") {
                seen.push("expect");
                s.write_all(b"HTTP/1.1 417 Expectation Failed\r\ncontent-length: 0\r\n\r\n").unwrap();
                return;
            }
            let got = read_body(&mut s, content_length(&head));
            seen.push(format!("plain, {got} bytes"));
            s.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n").unwrap();
        });
        // A stream can go again: none of it was sent.
        let r = Client::new().post(server.url("/")).body(sized_body(vec![3u8; BIG])).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(log.get(), ["expect".to_string(), format!("plain, {BIG} bytes")]);
    }
}

scenario! {
    async fn a_server_that_ignores_the_expectation_gets_the_body_after_the_wait() {
        let log = Log::default();
        let seen = log.clone();
        let server = Server::raw(move |mut s, _| {
            let Some(head) = head_of(&mut s) else { return };
            let got = read_body(&mut s, content_length(&head));
            seen.push(format!("{got}"));
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").unwrap();
        });
        let client = Client::builder().expect_continue_timeout(Duration::from_millis(200)).build().unwrap();
        let r = client.post(server.url("/")).body(vec![5u8; BIG]).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(log.get(), [BIG.to_string()]);
    }
}

scenario! {
    async fn small_bodies_and_opting_out_send_no_expectation() {
        let log = Log::default();
        let seen = log.clone();
        let server = Server::raw(move |mut s, _| {
            while let Some(head) = head_of(&mut s) {
                seen.push(format!("expect={}", head.contains("expect:")));
                read_body(&mut s, content_length(&head));
                if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_err() {
                    return;
                }
            }
        });
        let client = Client::new();
        client.post(server.url("/")).body(vec![1u8; 1000]).send().await.unwrap();
        let off = Client::builder().expect_continue(None).build().unwrap();
        off.post(server.url("/")).body(vec![1u8; BIG]).send().await.unwrap();
        let lower = Client::builder().expect_continue(10).expect_continue_timeout(Duration::from_millis(100)).build().unwrap();
        lower.post(server.url("/")).body(vec![1u8; 11]).send().await.unwrap();
        assert_eq!(log.get(), ["expect=false", "expect=false", "expect=true"]);
    }
}
