//! An in-process HTTP/2 server on 127.0.0.1 (hyperium's `h2`, server
//! side, on its own tokio runtime thread), cleartext (h2c with prior
//! knowledge) or TLS with ALPN. Its routes:
//!
//! - `/hello`: `hello h2`, with `x-stream-id`.
//! - `/echo`: the request body back; `x-method`, `x-path`, `x-authority`,
//!   `x-scheme`, `x-content-length` (or `none`), `x-host` (or `none`).
//! - `/bytes/N`: N bytes (`i % 251`), sent as flow control allows; the
//!   bytes sent are counted in [`H2Server::sent`].
//! - `/trailers`: a body, then trailers `x-checksum: abc`.
//! - `/drip`: `first`, then `second` 300 ms later.
//! - `/reset`: RST_STREAM (INTERNAL_ERROR) instead of a response.
//! - `/reset-mid`: a head and 1 000 body bytes, then RST_STREAM.
//! - `/slow/MS`: `hello h2` after MS milliseconds.
//! - `/goaway`: `bye`, then a graceful GOAWAY on its connection.
//! - `/gzip`: a gzip-encoded body (`hello gzip ` × 100).
//! - `/short`: `content-length: 10` and 5 bytes.
//! - `/upload-slow`: reads the request body slowly (1 ms a frame), answers
//!   with its length.

#![allow(dead_code, reason = "each test binary uses a part of the server")]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{HeaderMap, Request, Response};

/// The server's settings.
#[derive(Default, Clone)]
pub struct H2Options {
    /// SETTINGS_INITIAL_WINDOW_SIZE (how much the client may upload per
    /// stream before a WINDOW_UPDATE).
    pub initial_window: Option<u32>,
    /// The connection's receive window.
    pub connection_window: Option<u32>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub max_concurrent: Option<u32>,
    /// TLS (ALPN `h2`) instead of cleartext.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// What the server counts.
#[derive(Default)]
pub struct Stats {
    pub connections: AtomicUsize,
    pub requests: AtomicUsize,
    /// Body bytes `/bytes/N` handed to h2 to send.
    pub sent: AtomicU64,
    /// Streams the client reset.
    pub client_resets: AtomicUsize,
}

/// A running server; dropping it stops it.
pub struct H2Server {
    addr: SocketAddr,
    pub stats: Arc<Stats>,
    tls: bool,
    /// Dropped: the server's runtime stops.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl H2Server {
    pub fn start(options: H2Options) -> H2Server {
        let stats: Arc<Stats> = Arc::default();
        let tls = options.tls.is_some();
        let st = stats.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Its own thread: a runtime may not be dropped inside an async test.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let accept = async move {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            return;
                        };
                        st.connections.fetch_add(1, Ordering::SeqCst);
                        let (st, options) = (st.clone(), options.clone());
                        tokio::spawn(async move {
                            match options.tls.clone() {
                                Some(config) => {
                                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                                    if let Ok(stream) = acceptor.accept(tcp).await {
                                        serve(stream, options, st).await;
                                    }
                                }
                                None => serve(tcp, options, st).await,
                            }
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        });
        let addr = addr_rx.recv().unwrap();
        H2Server {
            addr,
            stats,
            tls,
            _stop: stop,
        }
    }

    /// `http://127.0.0.1:PORT{path}` (or `https://localhost:PORT{path}`).
    pub fn url(&self, path: &str) -> String {
        if self.tls {
            format!("https://localhost:{}{path}", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}{path}", self.addr.port())
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    pub fn sent(&self) -> u64 {
        self.stats.sent.load(Ordering::SeqCst)
    }
}

async fn serve<T>(io: T, options: H2Options, stats: Arc<Stats>)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    if let Some(w) = options.initial_window {
        builder.initial_window_size(w);
    }
    if let Some(w) = options.connection_window {
        builder.initial_connection_window_size(w);
    }
    if let Some(m) = options.max_concurrent {
        builder.max_concurrent_streams(m);
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(io).await else {
        return;
    };
    let goaway = Arc::new(tokio::sync::Notify::new());
    let mut shutting_down = false;
    loop {
        tokio::select! {
            next = conn.accept() => {
                let Some(Ok((request, respond))) = next else { break };
                stats.requests.fetch_add(1, Ordering::SeqCst);
                let (stats, goaway) = (stats.clone(), goaway.clone());
                tokio::spawn(async move {
                    route(request, respond, stats, goaway).await;
                });
            }
            _ = goaway.notified(), if !shutting_down => {
                shutting_down = true;
                conn.graceful_shutdown();
            }
        }
    }
}

/// Reads a request body whole, giving its window back as it goes (slowly:
/// `pause` a frame).
async fn read_body(body: &mut RecvStream, pause: Option<Duration>) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { break };
        if let Some(p) = pause {
            tokio::time::sleep(p).await;
        }
        let _ = body.flow_control().release_capacity(chunk.len());
        all.extend_from_slice(&chunk);
    }
    all
}

fn reply(status: u16) -> http::response::Builder {
    Response::builder().status(status)
}

async fn route(
    request: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    stats: Arc<Stats>,
    goaway: Arc<tokio::sync::Notify>,
) {
    let (parts, mut body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let header = |name: &str| {
        parts.headers.get(name).map_or("none".to_string(), |v| {
            v.to_str().unwrap_or("?").to_string()
        })
    };
    match path.as_str() {
        "/hello" => {
            let response = reply(200)
                .header("x-stream-id", respond.stream_id().as_u32().to_string())
                .body(())
                .unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"hello h2"), true);
            }
        }
        "/echo" => {
            let data = read_body(&mut body, None).await;
            let response = reply(200)
                .header("x-method", parts.method.as_str())
                .header(
                    "x-path",
                    parts.uri.path_and_query().map_or("", |p| p.as_str()),
                )
                .header(
                    "x-authority",
                    parts.uri.authority().map_or("none", |a| a.as_str()),
                )
                .header("x-scheme", parts.uri.scheme_str().unwrap_or("none"))
                .header("x-content-length", header("content-length"))
                .header("x-host", header("host"))
                .header("x-user-agent", header("user-agent"))
                .body(())
                .unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from(data), true);
            }
        }
        "/upload-slow" => {
            let data = read_body(&mut body, Some(Duration::from_millis(1))).await;
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from(data.len().to_string()), true);
            }
        }
        p if p.starts_with("/bytes/") => {
            let n: u64 = p["/bytes/".len()..].parse().unwrap();
            let response = reply(200)
                .header("content-length", n.to_string())
                .body(())
                .unwrap();
            let Ok(mut send) = respond.send_response(response, n == 0) else {
                return;
            };
            let mut at = 0u64;
            while at < n {
                send.reserve_capacity(16 * 1024);
                let cap = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                    Some(Ok(c)) => c,
                    _ => {
                        stats.client_resets.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                };
                let take = (cap as u64).min(n - at);
                let chunk: Vec<u8> = (at..at + take).map(|i| (i % 251) as u8).collect();
                at += take;
                stats.sent.fetch_add(take, Ordering::SeqCst);
                if send.send_data(Bytes::from(chunk), at == n).is_err() {
                    stats.client_resets.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
        }
        "/drip" => {
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"first"), false);
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = send.send_data(Bytes::from_static(b"second"), true);
            }
        }
        "/trailers" => {
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"with trailers"), false);
                let mut trailers = HeaderMap::new();
                trailers.insert("x-checksum", "abc".parse().unwrap());
                let _ = send.send_trailers(trailers);
            }
        }
        "/reset" => respond.send_reset(h2::Reason::INTERNAL_ERROR),
        "/reset-mid" => {
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from(vec![b'x'; 1000]), false);
                tokio::time::sleep(Duration::from_millis(50)).await;
                send.send_reset(h2::Reason::INTERNAL_ERROR);
            }
        }
        p if p.starts_with("/slow/") => {
            let ms: u64 = p["/slow/".len()..].parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"hello h2"), true);
            }
        }
        "/goaway" => {
            let response = reply(200).body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"bye"), true);
            }
            goaway.notify_one();
        }
        "/gzip" => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all("hello gzip ".repeat(100).as_bytes()).unwrap();
            let data = enc.finish().unwrap();
            let response = reply(200)
                .header("content-encoding", "gzip")
                .header("content-length", data.len().to_string())
                .body(())
                .unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from(data), true);
            }
        }
        "/short" => {
            let response = reply(200).header("content-length", "10").body(()).unwrap();
            if let Ok(mut send) = respond.send_response(response, false) {
                let _ = send.send_data(Bytes::from_static(b"12345"), true);
            }
        }
        _ => {
            let response = reply(404).body(()).unwrap();
            let _ = respond.send_response(response, true);
        }
    }
}
