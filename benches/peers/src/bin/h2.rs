//! HTTP/2 measurements (run by `run_h2.sh` against a local nginx with
//! `listen ... ssl http2`), printed as `client scenario value unit`:
//!
//! - `threads8`: small GETs from 8 threads (tasks) sharing one client: over
//!   one HTTP/2 connection (`-h2` clients) or a pool of HTTP/1.1 ones.
//! - `download`: one large body, MB/s.
//! - `streams100`: 100 downloads of URL at once over one client, peak RSS.
//!
//! Clients: `ferrohttp-h1`, `ferrohttp-h2`, `ferrohttp-async-h1`,
//! `ferrohttp-async-h2`, `reqwest-h2`, `reqwest-async-h2`.
//!
//! ```text
//! h2 CLIENT SCENARIO URL [N]      (the server's certificate is not checked)
//! ```

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

/// Peak resident set size of this process, KiB.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ferro(h2: bool) -> ferrohttp::Client {
    ferrohttp::Client::builder()
        .danger_accept_invalid_certs(true)
        .http2(h2)
        .limits(ferrohttp::Limits::default().max_connections(100))
        .build()
        .expect("client")
}

fn ferro_async(h2: bool) -> ferrohttp::AsyncClient {
    ferrohttp::AsyncClient::builder()
        .danger_accept_invalid_certs(true)
        .http2(h2)
        .limits(ferrohttp::Limits::default().max_connections(100))
        .build()
        .expect("client")
}

fn reqwest_blocking() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client")
}

fn reqwest_async() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client")
}

/// A blocking GET read to its end; its size.
fn get(client: &str, c: &Blocking, url: &str, buf: &mut [u8]) -> u64 {
    let mut n = 0;
    match c {
        Blocking::Ferro(c) => {
            let mut r = c.get(url).send().expect("get");
            assert!(
                r.version() == http::Version::HTTP_2 || !client.ends_with("-h2"),
                "{client}: not HTTP/2"
            );
            loop {
                let k = r.read(buf).expect("body");
                if k == 0 {
                    break;
                }
                n += k as u64;
            }
        }
        Blocking::Reqwest(c) => {
            let mut r = c.get(url).send().expect("get");
            assert_eq!(r.version(), http::Version::HTTP_2, "{client}: not HTTP/2");
            loop {
                let k = r.read(buf).expect("body");
                if k == 0 {
                    break;
                }
                n += k as u64;
            }
        }
    }
    n
}

enum Blocking {
    Ferro(ferrohttp::Client),
    Reqwest(reqwest::blocking::Client),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, scenario, url, rest @ ..] = &args[..] else {
        eprintln!("usage: h2 CLIENT SCENARIO URL [N]");
        std::process::exit(2);
    };
    let n: usize = rest.first().map_or(20_000, |v| v.parse().expect("N"));
    if client.contains("async") {
        return run_async(client, scenario, url, n);
    }
    let c = Arc::new(match client.as_str() {
        "ferrohttp-h1" => Blocking::Ferro(ferro(false)),
        "ferrohttp-h2" => Blocking::Ferro(ferro(true)),
        "reqwest-h2" => Blocking::Reqwest(reqwest_blocking()),
        other => panic!("unknown client {other}"),
    });
    let mut buf = vec![0u8; 64 * 1024];
    let started = Instant::now();
    match scenario.as_str() {
        "threads8" => {
            get(client, &c, url, &mut buf);
            let started = Instant::now();
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (c, url, client) = (c.clone(), url.clone(), client.clone());
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 16 * 1024];
                        for _ in 0..n / 8 {
                            get(&client, &c, &url, &mut buf);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("thread");
            }
            let rate = (n / 8 * 8) as f64 / started.elapsed().as_secs_f64();
            println!("{client} {scenario} {rate:.1} req/s");
        }
        "download" => {
            let bytes = get(client, &c, url, &mut buf);
            let rate = bytes as f64 / 1e6 / started.elapsed().as_secs_f64();
            println!("{client} {scenario} {rate:.1} MB/s");
        }
        "streams100" => {
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    let (c, url, client) = (c.clone(), url.clone(), client.clone());
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 16 * 1024];
                        get(&client, &c, &url, &mut buf)
                    })
                })
                .collect();
            let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
            let rate = total as f64 / 1e6 / started.elapsed().as_secs_f64();
            println!(
                "{client} {scenario} {} KiB peak RSS ({rate:.0} MB/s over 100 threads)",
                peak_rss()
            );
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn run_async(client: &str, scenario: &str, url: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        enum C {
            Ferro(ferrohttp::AsyncClient),
            Reqwest(reqwest::Client),
        }
        let c = Arc::new(match client {
            "ferrohttp-async-h1" => C::Ferro(ferro_async(false)),
            "ferrohttp-async-h2" => C::Ferro(ferro_async(true)),
            "reqwest-async-h2" => C::Reqwest(reqwest_async()),
            other => panic!("unknown client {other}"),
        });
        async fn get(c: &C, url: &str, h2: bool, buf: &mut [u8]) -> u64 {
            use tokio::io::AsyncReadExt;
            let mut n = 0;
            match c {
                C::Ferro(c) => {
                    let mut r = c.get(url).send().await.expect("get");
                    assert!(r.version() == http::Version::HTTP_2 || !h2, "not HTTP/2");
                    loop {
                        let k = r.read(buf).await.expect("body");
                        if k == 0 {
                            break;
                        }
                        n += k as u64;
                    }
                }
                C::Reqwest(c) => {
                    let mut r = c.get(url).send().await.expect("get");
                    assert_eq!(r.version(), http::Version::HTTP_2, "not HTTP/2");
                    while let Some(chunk) = r.chunk().await.expect("body") {
                        n += chunk.len() as u64;
                    }
                }
            }
            n
        }
        let h2 = client.ends_with("-h2");
        let mut buf = vec![0u8; 64 * 1024];
        let started = Instant::now();
        match scenario {
            "threads8" => {
                get(&c, url, h2, &mut buf).await;
                let started = Instant::now();
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let (c, url) = (c.clone(), url.to_string());
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 16 * 1024];
                            for _ in 0..n / 8 {
                                get(&c, &url, h2, &mut buf).await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                let rate = (n / 8 * 8) as f64 / started.elapsed().as_secs_f64();
                println!("{client} {scenario} {rate:.1} req/s");
            }
            "download" => {
                let bytes = get(&c, url, h2, &mut buf).await;
                let rate = bytes as f64 / 1e6 / started.elapsed().as_secs_f64();
                println!("{client} {scenario} {rate:.1} MB/s");
            }
            "streams100" => {
                let tasks: Vec<_> = (0..100)
                    .map(|_| {
                        let (c, url) = (c.clone(), url.to_string());
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 16 * 1024];
                            get(&c, &url, h2, &mut buf).await
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.expect("task");
                }
                let rate = total as f64 / 1e6 / started.elapsed().as_secs_f64();
                println!(
                    "{client} {scenario} {} KiB peak RSS ({rate:.0} MB/s over 100 tasks)",
                    peak_rss()
                );
            }
            other => panic!("unknown scenario {other}"),
        }
    });
}
