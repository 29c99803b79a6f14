//! `bench`: a load generator for ferrohttp's keep-alive hot path.
//!
//! ```text
//! cargo run --release --example bench -- [--requests N] [--concurrency C] [--url URL]
//! ```
//!
//! Without `--url` it starts its own minimal HTTP/1.1 server on 127.0.0.1
//! (a thread per connection, a fixed 2-byte response), then runs N sequential
//! GETs on one blocking `Client`, and N GETs from C threads sharing one
//! client; with the `async` feature, the same with C tokio tasks. It prints
//! requests per second for each. Run it under `strace -c -f` to count
//! syscalls per request (see the README's performance section).
//!
//! With the `rustls` feature (default) it then starts a local HTTPS server
//! (a certificate made with rcgen) and measures new-connection requests with
//! full handshakes, with resumed sessions, and keep-alive requests.
//!
//! `--big GIB` instead moves GIB GiB down and up through streaming bodies
//! and, for comparison, through a bare `std::net::TcpStream` copy loop;
//! run it under `/usr/bin/time -v` for the peak RSS.
//!
//! What it cuts short: the built-in server is not a real web server; point
//! `--url` at nginx for numbers that include one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use ferrohttp::{Client, Limits};

fn serve(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        std::thread::spawn(move || handle(stream));
    }
}

/// Answers GETs (no request bodies) until the client closes.
fn handle(stream: impl Read + Write) {
    let mut reader = BufReader::with_capacity(16 * 1024, stream);
    let mut line = String::new();
    loop {
        // Read one request head.
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        let writer = reader.get_mut();
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn report(label: &str, n: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label:<40} {n:>8} requests in {secs:>7.3} s = {:>10.0} req/s",
        n as f64 / secs
    );
}

fn get(client: &Client, url: &str, buf: &mut [u8]) {
    let mut r = client.get(url).send().expect("request");
    while r.read(buf).expect("body") > 0 {}
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(gib) = arg(&args, "--big") {
        big(gib.parse().expect("--big GIB"));
        return;
    }
    let n: usize = arg(&args, "--requests").map_or(20_000, |v| v.parse().expect("--requests N"));
    let c: usize = arg(&args, "--concurrency").map_or(4, |v| v.parse().expect("--concurrency C"));
    let url = arg(&args, "--url").unwrap_or_else(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        std::thread::spawn(move || serve(listener));
        format!("http://{addr}/")
    });
    println!("target {url}");

    let client = Client::builder()
        .limits(Limits::default().max_connections(c.max(1)))
        .build()
        .expect("client");
    let mut buf = vec![0u8; 16 * 1024];
    get(&client, &url, &mut buf); // warm up: one connection in the pool

    let started = Instant::now();
    for _ in 0..n {
        get(&client, &url, &mut buf);
    }
    report("blocking, sequential, keep-alive", n, started);
    if args.iter().any(|a| a == "--sequential-only") {
        return; // for profilers: just the blocking keep-alive hot path
    }

    let per = n / c.max(1);
    let started = Instant::now();
    let url = Arc::new(url);
    let handles: Vec<_> = (0..c)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                for _ in 0..per {
                    get(&client, &url, &mut buf);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    report(
        &format!("blocking, {c} threads, keep-alive"),
        per * c,
        started,
    );

    #[cfg(feature = "async")]
    run_async(&url, n, c);

    #[cfg(feature = "rustls")]
    run_https(n);
}

/// HTTPS: full handshakes, resumed handshakes, and keep-alive requests.
#[cfg(feature = "rustls")]
fn run_https(n: usize) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    let cert_pem = cert.pem();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = |resumption: bool| {
        let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("cert")],
                PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).expect("key"),
            )
            .expect("server config");
        if !resumption {
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        Arc::new(config)
    };
    let start_server = |config: Arc<rustls::ServerConfig>| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let _ = tcp.set_nodelay(true);
                let config = config.clone();
                std::thread::spawn(move || {
                    if let Ok(conn) = rustls::ServerConnection::new(config) {
                        handle(rustls::StreamOwned::new(conn, tcp));
                    }
                });
            }
        });
        format!("https://localhost:{port}/")
    };
    let client = |keep_alive: bool| {
        let limits = if keep_alive {
            Limits::default()
        } else {
            Limits::default().max_keepalive_connections(0)
        };
        Client::builder()
            .add_root_certificate(
                ferrohttp::Certificate::from_pem(cert_pem.as_bytes()).expect("ca"),
            )
            .resolve("localhost", "127.0.0.1:0".parse().expect("addr"))
            .limits(limits)
            .build()
            .expect("client")
    };
    let mut buf = vec![0u8; 16 * 1024];
    let handshakes = (n / 10).max(100);
    for (label, resumption, keep_alive, count) in [
        (
            "https, new connection, full handshake",
            false,
            false,
            handshakes,
        ),
        (
            "https, new connection, resumed session",
            true,
            false,
            handshakes,
        ),
        ("https, keep-alive", true, true, n),
    ] {
        let url = start_server(server_config(resumption));
        let client = client(keep_alive);
        get(&client, &url, &mut buf);
        let started = Instant::now();
        for _ in 0..count {
            get(&client, &url, &mut buf);
        }
        report(label, count, started);
    }
}

#[cfg(feature = "async")]
fn run_async(url: &str, n: usize, c: usize) {
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = ferrohttp::AsyncClient::builder()
            .limits(Limits::default().max_connections(c.max(1)))
            .build()
            .expect("client");
        let url: Arc<str> = Arc::from(url);
        let mut buf = vec![0u8; 16 * 1024];
        let started = Instant::now();
        for _ in 0..n {
            let mut r = client.get(&*url).send().await.expect("request");
            while r.read(&mut buf).await.expect("body") > 0 {}
        }
        report("async, sequential, keep-alive", n, started);

        let per = n / c.max(1);
        let started = Instant::now();
        let tasks: Vec<_> = (0..c)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    for _ in 0..per {
                        let mut r = client.get(&*url).send().await.expect("request");
                        while r.read(&mut buf).await.expect("body") > 0 {}
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        report(&format!("async, {c} tasks, keep-alive"), per * c, started);
    });
}

/// A reader of `n` zero bytes.
struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

/// Serves `size` zeros to GETs and swallows POST bodies, on raw sockets.
fn big_server(size: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::with_capacity(256 * 1024, stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let post = line.starts_with("POST");
                    let mut len = 0u64;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    if post {
                        let _ = std::io::copy(&mut (&mut reader).take(len), &mut std::io::sink());
                        let _ = reader
                            .get_mut()
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                    } else {
                        let w = reader.get_mut();
                        let _ = write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                        let _ = std::io::copy(&mut Zeros(size), w);
                    }
                }
            });
        }
    });
    format!("http://{addr}/")
}

fn mb_per_s(bytes: u64, started: Instant) -> f64 {
    bytes as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// Big transfers: ferrohttp down and up, and a bare TcpStream copy loop.
fn big(gib: u64) {
    let size = gib << 30;
    let url = big_server(size);
    let client = Client::builder()
        .timeout(ferrohttp::Timeout::from_secs(60))
        .build()
        .expect("client");
    let started = Instant::now();
    let mut r = client.get(&url).send().expect("request");
    let n = std::io::copy(&mut r, &mut std::io::sink()).expect("download");
    assert_eq!(n, size);
    println!(
        "ferrohttp download {gib} GiB: {:>8.0} MB/s",
        mb_per_s(n, started)
    );

    let started = Instant::now();
    let mut r = client
        .post(&url)
        .body(ferrohttp::Body::sized(Zeros(size), size))
        .send()
        .expect("upload");
    while r.read(&mut [0u8; 64]).expect("response") > 0 {}
    println!(
        "ferrohttp upload   {gib} GiB: {:>8.0} MB/s",
        mb_per_s(size, started)
    );

    // The same bytes through a bare TcpStream: what the machine can do.
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let started = Instant::now();
    let mut tcp = std::net::TcpStream::connect(&addr).expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let head_len = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").len() as u64;
    let n = std::io::copy(&mut (&mut tcp).take(head_len + size), &mut std::io::sink()).unwrap_or(0);
    println!(
        "bare TcpStream download:  {:>8.0} MB/s ({n} bytes incl. head)",
        mb_per_s(n, started)
    );
    let started = Instant::now();
    let mut tcp = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        tcp,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n"
    )
    .expect("write");
    std::io::copy(&mut Zeros(size), &mut tcp).expect("upload");
    println!(
        "bare TcpStream upload:    {:>8.0} MB/s",
        mb_per_s(size, started)
    );
}
