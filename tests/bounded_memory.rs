//! 4 GiB down and 4 GiB up through streaming bodies, for both clients:
//! asserted only as "completes with every byte"; the peak RSS of the same
//! transfer is measured by `examples/bench.rs --big` under `/usr/bin/time -v`.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;

const SIZE: u64 = 4 << 30;

/// A reader of `len` zero bytes, never holding more than its buffer.
struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

/// A server that streams `SIZE` zeros for GET and counts what POST sends.
fn big_server() -> support::Server {
    support::Server::raw_on(TcpListener::bind("127.0.0.1:0").unwrap(), |stream, _| {
        let mut reader = std::io::BufReader::new(stream);
        while let Ok(Some(req)) = read_head(&mut reader) {
            let writer = reader.get_mut();
            if req.0 == "GET" {
                let _ = write!(writer, "HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n");
                let _ = std::io::copy(&mut Zeros(SIZE), writer);
            } else {
                let mut counted = 0u64;
                let mut buf = vec![0u8; 256 * 1024];
                let mut left = req.1;
                while left > 0 {
                    let want = left.min(buf.len() as u64) as usize;
                    let n = reader.read(&mut buf[..want]).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    counted += n as u64;
                    left -= n as u64;
                }
                let body = counted.to_string();
                let _ = write!(
                    reader.get_mut(),
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
        }
    })
}

/// Reads a request head: (method, content-length).
fn read_head(r: &mut impl std::io::BufRead) -> std::io::Result<Option<(String, u64)>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let method = line.split(' ').next().unwrap_or("").to_string();
    let mut len = 0;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    Ok(Some((method, len)))
}

#[test]
fn four_gib_down_and_up_blocking() {
    let server = big_server();
    let client = ferrohttp::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let mut r = client.get(server.url("/")).send().unwrap();
    let copied = std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    assert_eq!(copied, SIZE);
    let r = client
        .post(server.url("/"))
        .body(ferrohttp::Body::sized(Zeros(SIZE), SIZE))
        .send()
        .unwrap();
    assert_eq!(r.text().unwrap(), SIZE.to_string());
}

#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_gib_down_and_up_async() {
    let server = big_server();
    let client = ferrohttp::AsyncClient::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let mut r = client.get(server.url("/")).send().await.unwrap();
    let copied = tokio::io::copy(&mut r, &mut tokio::io::sink())
        .await
        .unwrap();
    assert_eq!(copied, SIZE);
    // A blocking reader is fine for the async client when it never waits.
    let r = client
        .post(server.url("/"))
        .body(ferrohttp::Body::sized(Zeros(SIZE), SIZE))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), SIZE.to_string());
}

/// A sparse 2 GiB file (no disk blocks: it reads as zeros) in a directory
/// of its own, and the directory, to remove afterwards.
#[cfg(feature = "multipart")]
fn sparse_file(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ferrohttp-big-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.bin");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    (dir, path)
}

/// A 2 GiB file uploaded as a multipart part streams from disk: asserted
/// as "completes with every byte" (its peak RSS is the bench's).
#[cfg(feature = "multipart")]
#[test]
fn two_gib_file_as_a_multipart_part_blocking() {
    use ferrohttp::multipart::Multipart;
    let server = big_server();
    let (dir, path) = sparse_file("blocking");
    let form = Multipart::new()
        .text("name", "big")
        .file("file", &path)
        .unwrap();
    let len = form.len().unwrap();
    assert!(len > 2 << 30);
    let client = ferrohttp::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let r = client.post(server.url("/")).multipart(form).send().unwrap();
    assert_eq!(r.text().unwrap(), len.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(all(feature = "multipart", feature = "async"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gib_file_as_a_multipart_part_async() {
    use ferrohttp::multipart::Multipart;
    let server = big_server();
    let (dir, path) = sparse_file("async");
    let form = Multipart::new()
        .text("name", "big")
        .file("file", &path)
        .unwrap();
    let len = form.len().unwrap();
    let client = ferrohttp::AsyncClient::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let r = client
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), len.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}
