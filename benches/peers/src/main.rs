//! One measurement of one HTTP client, printed as `client scenario value unit`.
//! `run.sh` starts nginx, runs every client and scenario alternately several
//! times, and prints the medians.
//!
//! Usage: ferrohttp-peers-bench CLIENT SCENARIO URL [N]
//!   CLIENT:   ferrohttp | ferrohttp-async | ureq | reqwest | reqwest-async
//!             | bare | bare-headers
//!   (`bare`: one `std::net::TcpStream` writing a fixed request and reading
//!   by `Content-Length`, no HTTP client at all: the floor for `seq` and
//!   `threads8`, the ceiling for `download` and `upload`. `bare-headers`:
//!   the same, sending the request fields a default ferrohttp client sends
//!   (`User-Agent`, `Accept`, `Accept-Encoding`; ureq sends the same
//!   three): the floor for a client that sends them, as the server's work
//!   grows with them too.)
//!   SCENARIO: seq | seq-file | seq-1cpu | threads8 | download | upload | https-new
//!             | seq-forward | seq-tunnel | file | multipart-file
//!   (`seq-file` and `seq-1cpu` are `seq` under other names: `run.sh` uses
//!   them for a static file's URL and for a run pinned to one CPU.
//!   `seq-forward` and `seq-tunnel` are `seq` through the HTTP proxy that
//!   `PEERS_PROXY` names: forwarded in absolute-form, or through a CONNECT
//!   tunnel. A client that cannot do the one asked for says so and exits 3.
//!   `file` uploads the file `PEERS_FILE` names as a plain streaming body,
//!   `multipart-file` as the one part of a multipart form; both report
//!   MB/s, then the process's CPU seconds per GiB and its peak RSS.)

use std::io::Read;
use std::time::Instant;

const UPLOAD: u64 = 1 << 30;

struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

/// The proxy a scenario goes through, and whether it asks for a tunnel.
fn proxy_for(scenario: &str) -> Option<(String, bool)> {
    let tunnel = match scenario {
        "seq-forward" => false,
        "seq-tunnel" => true,
        _ => return None,
    };
    let url = std::env::var("PEERS_PROXY").expect("PEERS_PROXY names the proxy for this scenario");
    Some((url, tunnel))
}

/// Exits 3: this client cannot do what the scenario asks.
fn cannot(client: &str, what: &str) -> ! {
    eprintln!("{client}: {what}");
    std::process::exit(3);
}

fn ferro_proxy(url: &str, tunnel: bool) -> ferrohttp::Proxy {
    let mode = if tunnel {
        ferrohttp::ProxyMode::TunnelOnly
    } else {
        ferrohttp::ProxyMode::Default
    };
    ferrohttp::Proxy::new(url).expect("proxy").mode(mode)
}

/// One blocking client under test.
trait Blocking: Send + Sync {
    fn get(&self, url: &str) -> u64;
    fn upload(&self, url: &str, len: u64);
    /// Uploads `path` as a plain body, or as a multipart form's one part.
    fn upload_file(&self, _url: &str, _path: &std::path::Path, _multipart: bool) {
        cannot("this client", "no file upload here");
    }
}

/// The process's user + system CPU seconds and peak RSS (KiB) so far.
fn usage() -> (f64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime) in clock ticks, after the command's ")".
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (ticks / 100.0, rss)
}

struct Ferro(ferrohttp::Client);
impl Blocking for Ferro {
    fn get(&self, url: &str) -> u64 {
        let mut r = self
            .0
            .get(url)
            .send()
            .expect("ferrohttp get")
            .error_for_status()
            .expect("ferrohttp status");
        std::io::copy(&mut r, &mut std::io::sink()).expect("ferrohttp body")
    }
    fn upload(&self, url: &str, len: u64) {
        let r = self
            .0
            .post(url)
            .body(ferrohttp::Body::sized(Zeros(len), len))
            .send()
            .expect("ferrohttp post")
            .error_for_status()
            .expect("ferrohttp status");
        r.bytes().expect("ferrohttp response");
    }
    fn upload_file(&self, url: &str, path: &std::path::Path, multipart: bool) {
        self.send_file(url, path, multipart);
    }
}

impl Ferro {
    fn send_file(&self, url: &str, path: &std::path::Path, multipart: bool) {
        let req = self.0.post(url);
        let req = if multipart {
            let form = ferrohttp::multipart::Multipart::new()
                .file("file", path)
                .expect("file");
            req.multipart(form)
        } else {
            req.body(ferrohttp::Body::file(path).expect("file"))
        };
        let r = req
            .send()
            .expect("ferrohttp upload")
            .error_for_status()
            .expect("ferrohttp status");
        r.bytes().expect("ferrohttp response");
    }
}

struct Ureq(ureq::Agent);
impl Blocking for Ureq {
    fn get(&self, url: &str) -> u64 {
        let mut r = self.0.get(url).call().expect("ureq get");
        std::io::copy(&mut r.body_mut().as_reader(), &mut std::io::sink()).expect("ureq body")
    }
    fn upload(&self, url: &str, len: u64) {
        let mut r = self
            .0
            .post(url)
            .header("content-length", &len.to_string())
            .send(ureq::SendBody::from_reader(&mut Zeros(len)))
            .expect("ureq post");
        let _ = r.body_mut().read_to_vec();
    }
}

struct Reqwest(reqwest::blocking::Client);
impl Blocking for Reqwest {
    fn get(&self, url: &str) -> u64 {
        let mut r = self
            .0
            .get(url)
            .send()
            .expect("reqwest get")
            .error_for_status()
            .expect("reqwest status");
        std::io::copy(&mut r, &mut std::io::sink()).expect("reqwest body")
    }
    fn upload(&self, url: &str, len: u64) {
        let body = reqwest::blocking::Body::sized(Zeros(len), len);
        let r = self
            .0
            .post(url)
            .body(body)
            .send()
            .expect("reqwest post")
            .error_for_status()
            .expect("reqwest status");
        let _ = r.bytes();
    }
    fn upload_file(&self, url: &str, path: &std::path::Path, multipart: bool) {
        let req = self.0.post(url);
        let req = if multipart {
            req.multipart(
                reqwest::blocking::multipart::Form::new()
                    .file("file", path)
                    .expect("file"),
            )
        } else {
            let file = std::fs::File::open(path).expect("file");
            let len = file.metadata().expect("metadata").len();
            req.body(reqwest::blocking::Body::sized(file, len))
        };
        let r = req
            .send()
            .expect("reqwest upload")
            .error_for_status()
            .expect("reqwest status");
        let _ = r.bytes();
    }
}

/// No client: a socket per thread, a pre-encoded request, the response read
/// by its `Content-Length` (nginx sends one for every scenario here).
struct Bare {
    /// Request fields after `Host`, each ending in CRLF.
    fields: String,
}

thread_local! {
    /// This thread's connection and read buffer.
    static BARE: std::cell::RefCell<Option<(std::net::TcpStream, Vec<u8>)>> = const { std::cell::RefCell::new(None) };
}

impl Bare {
    fn split(url: &str) -> (&str, &str) {
        let rest = url
            .strip_prefix("http://")
            .expect("bare: http:// URLs only");
        let slash = rest.find('/').unwrap_or(rest.len());
        (
            &rest[..slash],
            if slash == rest.len() {
                "/"
            } else {
                &rest[slash..]
            },
        )
    }

    /// The `Content-Length` of a response head (ASCII case-insensitive).
    fn content_length(head: &[u8]) -> u64 {
        const NAME: &[u8] = b"\ncontent-length:";
        let at = head
            .windows(NAME.len())
            .position(|w| w.eq_ignore_ascii_case(NAME))
            .map_or(head.len(), |i| i + NAME.len());
        let digits = head[at..]
            .iter()
            .skip_while(|b| **b == b' ')
            .take_while(|b| b.is_ascii_digit());
        digits.fold(0, |n, d| n * 10 + u64::from(d - b'0'))
    }

    fn exchange(url: &str, head: &[u8], body: Option<&mut dyn Read>) -> u64 {
        use std::io::Write;
        let (authority, _) = Bare::split(url);
        BARE.with(|cell| {
            let mut cell = cell.borrow_mut();
            let (s, buf) = cell.get_or_insert_with(|| {
                let s = std::net::TcpStream::connect(authority).expect("bare connect");
                s.set_nodelay(true).expect("nodelay");
                (s, vec![0u8; 64 * 1024])
            });
            s.write_all(head).expect("bare write");
            if let Some(body) = body {
                // 64 KiB writes, as the clients under test make.
                loop {
                    let n = body.read(buf).expect("bare upload source");
                    if n == 0 {
                        break;
                    }
                    s.write_all(&buf[..n]).expect("bare upload");
                }
            }
            let mut have = 0;
            let end = loop {
                let n = s.read(&mut buf[have..]).expect("bare read");
                assert!(n > 0, "bare: connection closed");
                have += n;
                if let Some(i) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let len = Bare::content_length(&buf[..end]);
            let mut left = len - (have - end) as u64;
            while left > 0 {
                let want = left.min(buf.len() as u64) as usize;
                let n = s.read(&mut buf[..want]).expect("bare body");
                assert!(n > 0, "bare: body cut short");
                left -= n as u64;
            }
            len
        })
    }
}

impl Blocking for Bare {
    fn get(&self, url: &str) -> u64 {
        let (authority, path) = Bare::split(url);
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{}\r\n",
            self.fields
        );
        Bare::exchange(url, head.as_bytes(), None)
    }
    fn upload(&self, url: &str, len: u64) {
        let (authority, path) = Bare::split(url);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{}Content-Length: {len}\r\n\r\n",
            self.fields
        );
        Bare::exchange(url, head.as_bytes(), Some(&mut Zeros(len)));
    }
}

fn blocking(name: &str, new_connections: bool, proxy: Option<(String, bool)>) -> Box<dyn Blocking> {
    if proxy.is_some() && name.starts_with("bare") {
        cannot(name, "no proxy support");
    }
    match name {
        "bare" => Box::new(Bare {
            fields: String::new(),
        }),
        "bare-headers" => {
            // What a default client puts on a request, taken from one.
            let request = ferrohttp::Client::new()
                .build_request(ferrohttp::Method::GET, "http://127.0.0.1/")
                .expect("request");
            let fields = request
                .headers()
                .iter()
                .filter(|(name, _)| *name != ferrohttp::http::header::HOST)
                .map(|(name, value)| {
                    format!("{name}: {}\r\n", value.to_str().expect("ASCII field"))
                })
                .collect();
            Box::new(Bare { fields })
        }
        "ferrohttp" => {
            let mut b = ferrohttp::Client::builder()
                .danger_accept_invalid_certs(true)
                .timeout(ferrohttp::Timeout::from_secs(60));
            if new_connections {
                b = b.limits(ferrohttp::Limits::default().max_keepalive_connections(0));
            }
            if let Some((url, tunnel)) = &proxy {
                b = b.proxy("all://", ferro_proxy(url, *tunnel));
            }
            Box::new(Ferro(b.build().expect("client")))
        }
        "ureq" => {
            let mut config = ureq::Agent::config_builder().tls_config(
                ureq::tls::TlsConfig::builder()
                    .disable_verification(true)
                    .build(),
            );
            if new_connections {
                config = config.max_idle_connections(0);
            }
            if let Some((url, tunnel)) = &proxy {
                // ureq 3 sends every request through an HTTP proxy in a
                // CONNECT tunnel: it has no absolute-form forwarding.
                if !tunnel {
                    cannot(
                        name,
                        "ureq tunnels every request through an HTTP proxy; no forwarding",
                    );
                }
                config = config.proxy(Some(ureq::Proxy::new(url).expect("proxy")));
            }
            Box::new(Ureq(config.build().into()))
        }
        "reqwest" => {
            let mut b = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true);
            if new_connections {
                b = b.pool_max_idle_per_host(0);
            }
            if let Some((url, tunnel)) = &proxy {
                if *tunnel {
                    cannot(
                        name,
                        "reqwest forwards http:// requests; it cannot tunnel them",
                    );
                }
                b = b.proxy(reqwest::Proxy::all(url.as_str()).expect("proxy"));
            }
            Box::new(Reqwest(b.build().expect("client")))
        }
        other => panic!("unknown blocking client {other}"),
    }
}

fn report(client: &str, scenario: &str, value: f64, unit: &str) {
    println!("{client} {scenario} {value:.1} {unit}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, scenario, url, rest @ ..] = &args[..] else {
        eprintln!("usage: ferrohttp-peers-bench CLIENT SCENARIO URL [N]");
        std::process::exit(2);
    };
    let n: usize = rest.first().map_or(10_000, |v| v.parse().expect("N"));
    if client.ends_with("-async") {
        return run_async(client, scenario, url, n);
    }
    let c = blocking(client, scenario == "https-new", proxy_for(scenario));
    if let "file" | "multipart-file" = scenario.as_str() {
        let path = std::path::PathBuf::from(
            std::env::var("PEERS_FILE").expect("PEERS_FILE names the file"),
        );
        let len = std::fs::metadata(&path).expect("PEERS_FILE").len();
        let (cpu0, _) = usage();
        let started = Instant::now();
        c.upload_file(url, &path, scenario == "multipart-file");
        let secs = started.elapsed().as_secs_f64();
        let (cpu1, rss) = usage();
        let gib = len as f64 / (1u64 << 30) as f64;
        println!(
            "{client} {scenario} {:.1} MB/s {:.3} cpu-s/GiB {rss} KiB",
            len as f64 / 1e6 / secs,
            (cpu1 - cpu0) / gib
        );
        return;
    }
    c.get(url); // warm up: one connection, TLS config, ...
    let started = Instant::now();
    match scenario.as_str() {
        "seq" | "seq-file" | "seq-1cpu" | "https-new" | "seq-forward" | "seq-tunnel" => {
            for _ in 0..n {
                c.get(url);
            }
            report(
                client,
                scenario,
                n as f64 / started.elapsed().as_secs_f64(),
                "req/s",
            );
        }
        "threads8" => {
            let c: std::sync::Arc<dyn Blocking> = c.into();
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (c, url) = (c.clone(), url.clone());
                    std::thread::spawn(move || {
                        for _ in 0..n / 8 {
                            c.get(&url);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("thread");
            }
            report(
                client,
                scenario,
                (n / 8 * 8) as f64 / started.elapsed().as_secs_f64(),
                "req/s",
            );
        }
        "download" => {
            let bytes = c.get(url);
            report(
                client,
                scenario,
                bytes as f64 / 1e6 / started.elapsed().as_secs_f64(),
                "MB/s",
            );
        }
        "upload" => {
            c.upload(url, UPLOAD);
            report(
                client,
                scenario,
                UPLOAD as f64 / 1e6 / started.elapsed().as_secs_f64(),
                "MB/s",
            );
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn run_async(client: &str, scenario: &str, url: &str, n: usize) {
    // Sequential scenarios run on one thread, as a sequential program
    // would (`#[tokio::main(flavor = "current_thread")]`): no cross-thread
    // wake-up per request; threads8 uses the multi-threaded runtime.
    let rt = if scenario == "threads8" {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("runtime");
    rt.block_on(async {
        let started;
        match client {
            "ferrohttp-async" => {
                use tokio::io::AsyncReadExt;
                let mut b = ferrohttp::AsyncClient::builder().danger_accept_invalid_certs(true);
                if let Some((url, tunnel)) = proxy_for(scenario) {
                    b = b.proxy("all://", ferro_proxy(&url, tunnel));
                }
                let c = b.build().expect("client");
                // One read buffer per task, reused: the blocking clients'
                // io::copy reads into a stack buffer with no allocation or
                // zeroing per request, and so does this.
                async fn get(c: &ferrohttp::AsyncClient, url: &str, buf: &mut [u8]) {
                    let mut r = c
                        .get(url)
                        .send()
                        .await
                        .expect("get")
                        .error_for_status()
                        .expect("status");
                    while r.read(buf).await.expect("body") > 0 {}
                }
                let mut buf = vec![0u8; 64 * 1024];
                get(&c, url, &mut buf).await;
                started = Instant::now();
                if scenario == "threads8" {
                    let tasks: Vec<_> = (0..8)
                        .map(|_| {
                            let (c, url) = (c.clone(), url.to_string());
                            tokio::spawn(async move {
                                let mut buf = vec![0u8; 64 * 1024];
                                for _ in 0..n / 8 {
                                    get(&c, &url, &mut buf).await
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                } else {
                    for _ in 0..n {
                        get(&c, url, &mut buf).await
                    }
                }
            }
            "reqwest-async" => {
                let mut b = reqwest::Client::builder().danger_accept_invalid_certs(true);
                if let Some((url, tunnel)) = proxy_for(scenario) {
                    if tunnel {
                        cannot(
                            client,
                            "reqwest forwards http:// requests; it cannot tunnel them",
                        );
                    }
                    b = b.proxy(reqwest::Proxy::all(url.as_str()).expect("proxy"));
                }
                let c = b.build().expect("client");
                let get = |c: reqwest::Client, url: String| async move {
                    let mut r = c
                        .get(url)
                        .send()
                        .await
                        .expect("get")
                        .error_for_status()
                        .expect("status");
                    while r.chunk().await.expect("body").is_some() {}
                };
                get(c.clone(), url.to_string()).await;
                started = Instant::now();
                if scenario == "threads8" {
                    let tasks: Vec<_> = (0..8)
                        .map(|_| {
                            let (c, url) = (c.clone(), url.to_string());
                            tokio::spawn(async move {
                                for _ in 0..n / 8 {
                                    get(c.clone(), url.clone()).await
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                } else {
                    for _ in 0..n {
                        get(c.clone(), url.to_string()).await
                    }
                }
            }
            other => panic!("unknown async client {other}"),
        }
        let done = if scenario == "threads8" { n / 8 * 8 } else { n };
        report(
            client,
            scenario,
            done as f64 / started.elapsed().as_secs_f64(),
            "req/s",
        );
    });
}
