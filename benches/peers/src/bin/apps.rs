//! In-process apps against the same app on loopback: requests per second
//! through `AppTransport` (a trivial blocking handler) and `TowerTransport`
//! (a one-route axum router), beside the blocking and async clients sending
//! the same request to that axum router served by hyper on 127.0.0.1.
//!
//! Usage: apps [N] [ROUNDS] — prints one line per round and row, then the
//! medians and the in-process/loopback ratios.

use std::io::Read;
use std::time::Instant;

use axum::routing::get;
use axum::Router;
use ferrohttp::{AppTransport, AsyncClient, Body, Client, TowerTransport};

fn router() -> Router {
    Router::new().route("/hello", get(|| async { "hello" }))
}

fn handler(req: http::Request<Body>) -> http::Response<Body> {
    if req.uri().path() == "/hello" {
        http::Response::new(Body::from("hello"))
    } else {
        let mut r = http::Response::new(Body::empty());
        *r.status_mut() = http::StatusCode::NOT_FOUND;
        r
    }
}

fn blocking_rate(c: &Client, url: &str, n: usize) -> f64 {
    let mut buf = [0u8; 1024];
    let mut get = || {
        let mut r = c.get(url).send().expect("get");
        assert!(r.status().is_success());
        while r.read(&mut buf).expect("body") > 0 {}
    };
    get();
    let started = Instant::now();
    for _ in 0..n {
        get();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn async_rate(c: &AsyncClient, url: &str, n: usize) -> f64 {
    async fn get(c: &AsyncClient, url: &str) {
        let mut r = c.get(url).send().await.expect("get");
        assert!(r.status().is_success());
        while r.chunk().await.expect("body").is_some() {}
    }
    get(c, url).await;
    let started = Instant::now();
    for _ in 0..n {
        get(c, url).await;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(20_000);
    let rounds = args.get(1).copied().unwrap_or(5);

    // The loopback server: the same router, served by hyper on its own thread.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            use axum::serve::ListenerExt;
            let listener = tokio::net::TcpListener::from_std(listener)
                .expect("listener")
                .tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
            axum::serve(listener, router()).await.expect("serve");
        });
    });
    let loopback = format!("http://{addr}/hello");
    let in_process = "http://app.test/hello";

    let app_client = Client::builder()
        .transport(AppTransport::new(handler))
        .build()
        .expect("client");
    let net_client = Client::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tower_client = AsyncClient::builder()
        .transport(TowerTransport::new(router()))
        .build()
        .expect("client");
    let async_net = AsyncClient::new();

    let names = [
        "blocking AppTransport (fn handler)",
        "blocking Client -> axum on loopback",
        "AsyncClient TowerTransport (axum)",
        "AsyncClient -> axum on loopback",
    ];
    let mut results = vec![Vec::new(); names.len()];
    for round in 0..rounds {
        let r = [
            blocking_rate(&app_client, in_process, n),
            blocking_rate(&net_client, &loopback, n),
            rt.block_on(async_rate(&tower_client, in_process, n)),
            rt.block_on(async_rate(&async_net, &loopback, n)),
        ];
        for (i, v) in r.iter().enumerate() {
            println!("round {round}: {} {v:.0} req/s", names[i]);
            results[i].push(*v);
        }
    }
    let m: Vec<f64> = results.iter_mut().map(|v| median(v)).collect();
    println!("\nmedians of {rounds} rounds of {n} requests:");
    for (name, v) in names.iter().zip(&m) {
        println!("  {name:40} {v:>10.0} req/s");
    }
    println!("  AppTransport / loopback (blocking): {:.1}x", m[0] / m[1]);
    println!("  TowerTransport / loopback (async):  {:.1}x", m[2] / m[3]);
}
