//! The seam between a client and the network: the `Transport` trait, the
//! default `HttpTransport`, and `MockTransport`'s implementation.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::body::{BodyContext, ConnBody, ResponseBody};
use super::conn::{Conn, ExchangeError};
use super::connect::{self, ConnectOptions, Target};
use super::deadline::Deadline;
use super::h2::pool::{H2Pool, Pick};
use super::h2::{H2Body, H2Conn, RequestHead};
use super::maybe;
use super::pool::{Checkout, Lease, Origin, Pool};
use super::response::Response;
use crate::config::{H1Limits, Limits, PoolStatus, Timeout};
use crate::error::{Error, ErrorKind, Result};
use crate::pattern::{Pattern, Routes};
use crate::proto::decode::ContentDecoder;
use crate::proto::h1::exchange::{is_idempotent, may_retry, read_after_failed_write, Failure};
use crate::proto::h1::{self, BodyFraming, Exchange, HeadParser, RequestTarget};
use crate::proxy::Proxy;
use crate::request::Request;
use crate::timings::{ConnectMarks, Timings};
use std::sync::atomic::{AtomicU64, Ordering};

/// Sends a request and gives back its response: what a client uses to reach
/// the network, or anything that stands in for it.
///
/// The blocking client uses `Transport`; the async client uses
/// `AsyncTransport`, the same trait with an `async fn` (implement it with
/// `#[ferrohttp::async_trait]`). A transport speaks in requests and
/// responses, never bytes, so a handler can answer without a socket.
#[maybe]
pub trait Transport: Send + Sync + std::fmt::Debug + 'static {
    /// Sends `request` and returns the response (its body may still stream).
    ///
    /// # Errors
    /// Any failure to get a response.
    async fn handle_request(&self, request: Request) -> Result<Response>;

    /// Closes idle connections and refuses later requests (`Client::close`).
    /// The default does nothing.
    fn close(&self) {}

    /// A snapshot of the connection pool, for transports that have one.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }
}

/// The default transport: HTTP/1.1 over TCP (or a Unix socket), with a
/// connection pool.
///
/// Cloning it shares the pool. A client builds one from its settings;
/// build one yourself for httpx's `HTTPTransport` options (`local_address`,
/// `retries`, `uds`), or to share a pool between clients.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    pool: Pool<Conn>,
    h1: H1Limits,
    connect: Arc<ConnectOptions>,
    /// Which requests go through which proxy (`None`: direct).
    proxies: Arc<Routes<Option<Arc<Routed>>>>,
    /// The environment's proxies: for requests `proxies` has no entry for.
    env_proxies: Arc<Routes<Option<Arc<Routed>>>>,
    /// `Expect: 100-continue` for bodies of at least this many bytes (or of
    /// unknown length); `None`: never.
    expect_threshold: Option<u64>,
    /// How long to wait for `100 Continue` before sending the body anyway.
    expect_wait: Duration,
    /// HTTP/2: off, offered by ALPN, or spoken from the start (h2c).
    http2: Http2,
    /// The HTTP/2 connections, shared by requests.
    h2: H2Pool,
}

/// How long an HTTP/2 connection sits idle before a request reads what
/// came meanwhile (as the HTTP/1.1 pool looks at idle sockets).
const H2_CATCH_UP_AFTER: Duration = Duration::from_secs(1);

/// When a transport speaks HTTP/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Http2 {
    Off,
    /// Offered by ALPN to `https` origins.
    Alpn,
    /// Also spoken from the start to `http` origins (h2c).
    PriorKnowledge,
}

/// The default body size from which a request asks `Expect: 100-continue`
/// (curl's: 1 MiB).
pub const DEFAULT_EXPECT_CONTINUE_THRESHOLD: u64 = 1 << 20;

/// The default wait for `100 Continue` (curl's `--expect100-timeout`: 1 s).
pub const DEFAULT_EXPECT_CONTINUE_TIMEOUT: Duration = Duration::from_secs(1);

/// A proxy as one transport's routing table holds it: with a number of its
/// own, which the pool keys its connections by, so that connections through
/// different proxies (or none) never mix.
#[derive(Debug)]
struct Routed {
    proxy: Proxy,
    route: u64,
}

impl Routed {
    fn new(proxy: Proxy) -> Arc<Routed> {
        Arc::new(Routed {
            proxy: proxy.prepared(),
            route: NEXT_ROUTE.fetch_add(1, Ordering::Relaxed),
        })
    }
}

/// The next route number; 0 is the direct route.
static NEXT_ROUTE: AtomicU64 = AtomicU64::new(1);

impl Default for HttpTransport {
    fn default() -> HttpTransport {
        HttpTransport::new()
    }
}

impl HttpTransport {
    /// A transport with the default limits.
    pub fn new() -> HttpTransport {
        HttpTransport::with_limits(Limits::default())
    }

    /// A transport with pool `limits`.
    pub fn with_limits(limits: Limits) -> HttpTransport {
        let expiry = limits.keepalive_expiry_limit();
        HttpTransport {
            pool: Pool::new(limits),
            h1: H1Limits::default(),
            connect: Arc::default(),
            proxies: Arc::default(),
            env_proxies: Arc::default(),
            expect_threshold: Some(DEFAULT_EXPECT_CONTINUE_THRESHOLD),
            expect_wait: DEFAULT_EXPECT_CONTINUE_TIMEOUT,
            http2: Http2::Off,
            h2: H2Pool::new(expiry),
        }
    }

    /// Offers HTTP/2 to `https` origins by ALPN (`h2`, then `http/1.1`);
    /// an origin that picks HTTP/1.1 gets it. An HTTP/2 connection
    /// carries many requests at once, from any number of threads or tasks,
    /// up to the server's stream limit (then another connection opens);
    /// one connection is opened per origin at a time, and requests that
    /// come meanwhile wait for it. Off by default, as in httpx.
    /// [`Response::version`](crate::Response::version) tells which
    /// protocol answered.
    #[must_use]
    pub fn http2(mut self, enabled: bool) -> HttpTransport {
        self.http2 = if enabled { Http2::Alpn } else { Http2::Off };
        self
    }

    /// Speaks HTTP/2 to `http` origins from the first byte, without
    /// negotiation (h2c with prior knowledge, curl's
    /// `--http2-prior-knowledge`): only for servers known to accept it.
    /// `https` origins are offered HTTP/2 by ALPN, as with
    /// [`http2`](Self::http2).
    #[must_use]
    pub fn http2_prior_knowledge(mut self) -> HttpTransport {
        self.http2 = Http2::PriorKnowledge;
        self
    }

    /// Sends a body of at least `threshold` bytes (or of unknown length)
    /// with `Expect: 100-continue`, as curl does: the head goes first, and
    /// the body only once the server answers `100 Continue` (or the wait of
    /// [`expect_continue_timeout`](Self::expect_continue_timeout) runs
    /// out). A server that answers at once (401, 413, 417, ...) gets no
    /// body at all; after a 417 the request is sent again without the
    /// expectation. `None` turns it off; a request that has an `Expect`
    /// field of its own is sent as it is. Default: 1 MiB.
    #[must_use]
    pub fn expect_continue(mut self, threshold: impl Into<Option<u64>>) -> HttpTransport {
        self.expect_threshold = threshold.into();
        self
    }

    /// How long to wait for `100 Continue` before sending the body anyway
    /// (curl's `--expect100-timeout`). Default: 1 s.
    #[must_use]
    pub fn expect_continue_timeout(mut self, wait: Duration) -> HttpTransport {
        self.expect_wait = wait;
        self
    }

    /// Sends every request through `proxy` (httpx's `HTTPTransport(proxy=...)`).
    /// Per-URL choices are `ClientBuilder::proxy` and `no_proxy`.
    #[must_use]
    pub fn proxy(self, proxy: Proxy) -> HttpTransport {
        let all = Pattern::parse("all://").expect("a valid pattern");
        self.route(all, Some(proxy))
    }

    /// Sends requests matching `pattern` through `proxy`, or direct for
    /// `None`.
    pub(crate) fn route(mut self, pattern: Pattern, proxy: Option<Proxy>) -> HttpTransport {
        Arc::make_mut(&mut self.proxies).insert(pattern, proxy.map(Routed::new));
        self
    }

    /// `route` for a proxy from the environment, which any explicit entry
    /// overrides.
    pub(crate) fn env_route(mut self, pattern: Pattern, proxy: Proxy) -> HttpTransport {
        Arc::make_mut(&mut self.env_proxies).insert(pattern, Some(Routed::new(proxy)));
        self
    }

    /// The proxy for `url`, if any: the explicit routes', else the
    /// environment's; none for a host the proxy's `no_proxy` names.
    fn proxy_for(&self, url: &url::Url) -> Option<&Routed> {
        let entry = match self.proxies.find(url) {
            Some(entry) => entry,
            None => self.env_proxies.find(url)?,
        };
        entry.as_deref().filter(|r| !r.proxy.bypasses(url))
    }

    fn options(&mut self) -> &mut ConnectOptions {
        Arc::make_mut(&mut self.connect)
    }

    /// Sets the largest response head accepted, in bytes (default 64 KiB).
    /// The same limit bounds a chunked body's trailer section.
    #[must_use]
    pub fn max_response_head_size(mut self, n: usize) -> HttpTransport {
        self.h1.max_head_size = n;
        self
    }

    /// Sets the most header fields accepted in a response head (default 100).
    #[must_use]
    pub fn max_response_headers(mut self, n: usize) -> HttpTransport {
        self.h1.max_headers = n;
        self
    }

    /// Binds this source address before connecting (httpx's
    /// `local_address`, curl's `--interface`). Default: chosen by the OS.
    #[must_use]
    pub fn local_address(mut self, addr: IpAddr) -> HttpTransport {
        self.options().local_address = Some(addr);
        self
    }

    /// Retries a failed connect (refused, reset, timed out) `n` more times
    /// (httpx's `retries`). Never retries once a request was sent. Default 0.
    #[must_use]
    pub fn retries(mut self, n: u32) -> HttpTransport {
        self.options().retries = n;
        self
    }

    /// Connects to the Unix domain socket at `path` instead of the URL's host
    /// (httpx's `uds`, curl's `--unix-socket`); the URL still gives `Host` and
    /// the path. An `https://` URL runs TLS over the socket, checking the
    /// certificate against the URL's host, as curl does. Unix only: elsewhere
    /// requests fail with `UnsupportedProtocol`.
    #[must_use]
    pub fn uds(mut self, path: impl Into<PathBuf>) -> HttpTransport {
        self.options().uds = Some(path.into());
        self
    }

    /// Connects to `addr` for `host` instead of resolving it (curl's
    /// `--resolve`); several calls for one host give several addresses, tried
    /// Happy-Eyeballs style. A port of 0 means the URL's port.
    #[must_use]
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> HttpTransport {
        let host = crate::urls::bare_host(host).to_ascii_lowercase();
        self.options().resolve.entry(host).or_default().push(addr);
        self
    }

    /// Uses this rustls configuration for HTTPS: the escape hatch for what
    /// ferrohttp's own TLS settings do not cover (httpx's `SSLContext`). The
    /// same as `ClientBuilder::use_preconfigured_tls`.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[must_use]
    pub fn use_preconfigured_tls(mut self, config: Arc<rustls::ClientConfig>) -> HttpTransport {
        self.options().tls = Some(config);
        self
    }

    /// The former name of [`use_preconfigured_tls`](Self::use_preconfigured_tls).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[deprecated(
        since = "0.1.0",
        note = "use `use_preconfigured_tls`, the one name for it on the builder and the transport"
    )]
    #[must_use]
    pub fn tls_config(self, config: Arc<rustls::ClientConfig>) -> HttpTransport {
        self.use_preconfigured_tls(config)
    }

    /// A snapshot of the pool: open and idle connections, idle per origin,
    /// waiting requests.
    pub fn status(&self) -> PoolStatus {
        self.pool.status()
    }

    /// Closes every idle connection (later requests open new ones).
    pub fn close_idle(&self) {
        self.pool.close_idle(false);
        self.h2.close_idle(false);
    }
}

#[maybe]
impl HttpTransport {
    async fn send_request(&self, request: &mut Request) -> Result<Response> {
        // The body is sent from here (and dropped once sent); the rest of the
        // request stays borrowed for the pool key and the response.
        let mut body = std::mem::take(request.body_mut());
        let url = request.url();
        let port = match url.scheme() {
            "http" => url.port().unwrap_or(80),
            #[cfg(feature = "rustls")]
            "https" => url.port().unwrap_or(443),
            #[cfg(not(feature = "rustls"))]
            "https" => return Err(crate::error::https_unsupported()),
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedProtocol,
                    format!("unsupported URL scheme {other:?} (http and https are)"),
                ))
            }
        };
        #[cfg(not(unix))]
        if self.connect.uds.is_some() {
            return Err(Error::new(
                ErrorKind::UnsupportedProtocol,
                "Unix domain sockets are not available on this platform",
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("URL {url} has no host")))?;
        // The URL parser lowercases the hosts of http(s) URLs.
        let host = crate::urls::bare_host(host);
        let lowered;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = host.to_ascii_lowercase();
            &lowered
        } else {
            host
        };
        let https = url.scheme() == "https";
        let via = self.proxy_for(url);
        let forward = via.is_some_and(|v| v.proxy.forwards(https));
        let h2_wanted = !forward
            && match self.http2 {
                Http2::Off => false,
                Http2::Alpn => https,
                Http2::PriorKnowledge => true,
            };
        let key = Origin {
            https,
            host,
            port,
            route: via.map_or(0, |v| v.route),
        };
        let timeout: Timeout = request.timeout().copied().unwrap_or_default();
        let deadline = Deadline::new(timeout.total_timeout());
        let method = request.method().clone();
        let framing = h1::request_framing(&method, body.len());
        if let Some(v) = via {
            v.proxy.check()?;
        }
        let forward_to = via.filter(|_| forward).map(|v| &v.proxy);
        // `Expect: 100-continue` for a large or unsized body, unless the
        // request says otherwise (it has an `Expect` field of its own).
        let mut expect = request.version() == http::Version::HTTP_11
            && !body.is_empty()
            && !request.headers().contains_key(http::header::EXPECT)
            && self
                .expect_threshold
                .is_some_and(|t| body.len().is_none_or(|n| n >= t));
        // The HTTP/1.1 head; a request that may go over HTTP/2 encodes it
        // only if it ends up on an HTTP/1.1 connection.
        let mut head = Vec::new();
        if !h2_wanted {
            head.reserve(512);
            encode_head(request, framing, forward_to, None, expect, &mut head)?;
        }
        // Whether a proxy's Digest challenge was answered (once).
        let mut proxy_answered = false;
        let mut proxy_answer = None;
        // A replayable stream (a file, a form of files) is sent again from
        // a fresh copy; an in-memory body is sent again as it is.
        let spare = if body.is_streaming() {
            body.try_clone()
        } else {
            None
        };

        let started = Instant::now();
        let mut retried = false;
        let mut h2_retries = 0;
        loop {
            let (pool_limit, by_deadline) = deadline.limit(timeout.pool_timeout());
            // The clock read that times the exchange also dates the pool's
            // look at its idle connections (one read per request).
            let now = if retried || h2_retries > 0 {
                Instant::now()
            } else {
                started
            };
            // HTTP/2: a shared connection, or the turn to open one.
            let mut opening = None;
            let mut shared = None;
            if h2_wanted {
                match self.h2.pick(&key, pool_limit).await? {
                    Pick::Use(conn) => {
                        // Idle a while: what the server sent meanwhile (a
                        // GOAWAY before it closed) is read first.
                        let idle = conn.idle_for(now).unwrap_or_default();
                        if idle >= H2_CATCH_UP_AFTER {
                            conn.catch_up().await;
                            if !conn.can_open() {
                                continue;
                            }
                        }
                        shared = Some(conn);
                    }
                    Pick::Open(turn) => match turn.full.clone() {
                        // Every connection is at the server's stream limit:
                        // another one if the pool has room now, else a
                        // stream on one of them as soon as one frees.
                        Some(full) => match self.pool.acquire_now(&key, now)? {
                            Some(checkout) => opening = Some((turn, checkout)),
                            None => shared = Some(full),
                        },
                        None => {
                            let checkout = self.acquire_place(&key, pool_limit, now).await;
                            let checkout = checkout
                                .map_err(|e| pool_error(e, by_deadline, &deadline, &key))?;
                            opening = Some((turn, checkout));
                        }
                    },
                    Pick::Http1 => {}
                }
            }
            if let Some(conn) = shared {
                // A shared connection: no connect phases.
                let sent = self
                    .send_h2(
                        &conn,
                        (url, &method, request.headers()),
                        &mut body,
                        &timeout,
                        &deadline,
                        started,
                        Timings::default(),
                    )
                    .await;
                let again = h2_may_retry(&sent, &mut h2_retries, true, &method, &body, &spare);
                if !again {
                    return sent.map_err(|e| e.error);
                }
                refresh(&mut body, &spare);
                continue;
            }
            let (mut opening, checkout) = match opening {
                Some((turn, checkout)) => (Some(turn), Ok(checkout)),
                None => (None, self.acquire_place(&key, pool_limit, now).await),
            };
            let checkout = checkout.map_err(|e| pool_error(e, by_deadline, &deadline, &key))?;
            let mut marks = ConnectMarks::default();
            let (mut conn, reused) = match checkout {
                Checkout::Idle(conn, _) => {
                    if let Some(turn) = opening.take() {
                        turn.http1();
                    }
                    (conn, true)
                }
                Checkout::New(reservation) => {
                    let to = reservation.key();
                    let name: Arc<str> = Arc::from(format!("{}:{}", to.host, to.port));
                    let stream = connect::connect(
                        Target {
                            https: to.https,
                            host: &to.host,
                            port: to.port,
                            via: via.map(|v| &v.proxy),
                            forward,
                            alpn_h2: h2_wanted && https,
                        },
                        &name,
                        &self.connect,
                        self.h1,
                        timeout.connect_timeout(),
                        &deadline,
                        &mut marks,
                    )
                    .await?;
                    let prior_knowledge = self.http2 == Http2::PriorKnowledge && !https;
                    if h2_wanted && (stream.alpn_h2() || prior_knowledge) {
                        let addrs = stream.addrs();
                        let split = stream.split().map_err(|_| {
                            Error::new(
                                ErrorKind::UnsupportedProtocol,
                                format!(
                                    "HTTP/2 to {name} through a TLS tunnel (an HTTPS proxy) is not supported"
                                ),
                            )
                        })?;
                        let conn =
                            H2Conn::new(split, reservation, name.clone(), addrs).map_err(|e| {
                                Error::new(ErrorKind::Tls, format!("TLS with {name} failed"))
                                    .with_source(e)
                            })?;
                        if let Some(turn) = opening.take() {
                            turn.publish(conn.clone());
                        }
                        let mut timings = Timings::default();
                        marks.apply(started, &mut timings);
                        let sent = self
                            .send_h2(
                                &conn,
                                (url, &method, request.headers()),
                                &mut body,
                                &timeout,
                                &deadline,
                                started,
                                timings,
                            )
                            .await;
                        let again =
                            h2_may_retry(&sent, &mut h2_retries, false, &method, &body, &spare);
                        if !again {
                            return sent.map_err(|e| e.error);
                        }
                        refresh(&mut body, &spare);
                        continue;
                    }
                    if let Some(turn) = opening.take() {
                        turn.http1();
                    }
                    (Lease::new(Conn::new(stream, name), reservation), false)
                }
            };
            if head.is_empty() {
                encode_head(request, framing, forward_to, None, expect, &mut head)?;
            }
            let mut parser = HeadParser::new(self.h1.max_head_size, self.h1.max_headers);
            let mut exchange = Exchange::new(
                &method,
                request.version(),
                request.headers(),
                self.h1.max_head_size,
            );
            let chunked = framing == BodyFraming::Chunked;
            let mut timings = Timings::default();
            marks.apply(started, &mut timings);
            conn.first_byte = None;
            // A final response that came before the body (which then was
            // never sent), with `Expect: 100-continue`.
            let mut early = None;
            let mut result = if expect {
                send_expecting(
                    &mut conn,
                    &head,
                    &mut body,
                    chunked,
                    (&mut parser, &mut exchange),
                    &timeout,
                    &deadline,
                    self.expect_wait,
                )
                .await
                .map(|answer| early = answer)
            } else {
                conn.write_request(
                    &head,
                    &mut body,
                    chunked,
                    timeout.write_timeout(),
                    &deadline,
                )
                .await
            };
            if result.is_ok() {
                timings.request_sent = Some(started.elapsed());
            }
            // The exchange's rules decide: a retry on a fresh connection
            // (a kept-alive one the server had closed), or a look for the
            // response a server sent before reading the whole upload.
            let replayable = is_idempotent(&method) && (!body.is_streaming() || spare.is_some());
            let failure = |e: &ExchangeError| Failure {
                reused,
                retried,
                nothing_written: e.nothing_written,
                no_response: e.no_response,
                replayable,
                total_timeout: e.error.kind() == ErrorKind::TotalTimeout,
            };
            let retry = |e: &ExchangeError| may_retry(failure(e));
            let answered_early = match &result {
                Ok(()) => false,
                Err(e) => read_after_failed_write(e.error.kind() == ErrorKind::Write, failure(e)),
            };
            if answered_early {
                exchange.request_cut_short();
            }
            if result.is_ok() || answered_early {
                let read = match early.take() {
                    Some(answer) => Ok(answer),
                    None => {
                        conn.read_head(
                            &mut parser,
                            &mut exchange,
                            timeout.read_timeout(),
                            &deadline,
                        )
                        .await
                    }
                };
                match read {
                    Ok(response_head) => {
                        // 417: the server refuses the expectation before the
                        // body went: the request again without it (on a new
                        // connection: this one is not reused).
                        if expect
                            && response_head.head.status == http::StatusCode::EXPECTATION_FAILED
                        {
                            expect = false;
                            head.clear();
                            encode_head(
                                request,
                                framing,
                                forward_to,
                                proxy_answer.as_ref(),
                                false,
                                &mut head,
                            )?;
                            continue;
                        }
                        // A forward proxy's Digest challenge the proxy
                        // credentials answer: the request again, answered.
                        let answer = match via {
                            Some(v)
                                if forward
                                    && !proxy_answered
                                    && (!body.is_streaming() || spare.is_some()) =>
                            {
                                proxy_digest(&v.proxy, &response_head.head, &head, body.as_bytes())?
                            }
                            _ => None,
                        };
                        if let Some(answer) = answer {
                            head.clear();
                            encode_head(
                                request,
                                framing,
                                forward_to,
                                Some(&answer),
                                expect,
                                &mut head,
                            )?;
                            proxy_answer = Some(answer);
                            proxy_answered = true;
                            refresh(&mut body, &spare);
                            continue;
                        }
                        let ctx = BodyContext {
                            pool: self.pool.clone(),
                            read_timeout: timeout.read_timeout(),
                            deadline,
                            limits: self.h1,
                        };
                        timings.first_byte = conn
                            .first_byte
                            .map(|at| at.saturating_duration_since(started));
                        return Ok(finish(conn, ctx, response_head, started, timings));
                    }
                    // No response after a failed write: the write error says more.
                    Err(_) if answered_early => {}
                    Err(e) => result = Err(e),
                }
            }
            let e = result.expect_err("Ok returned above");
            if retry(&e) {
                retried = true;
                refresh(&mut body, &spare);
                continue;
            }
            return Err(e.error);
        }
    }
}

#[maybe]
impl HttpTransport {
    /// An idle connection to `key` or a place for a new one, as
    /// [`Pool::acquire`]; when every place is taken and an HTTP/2
    /// connection to another origin sits idle, that one is closed to make
    /// room, as the pool closes an idle HTTP/1.1 one.
    async fn acquire_place(
        &self,
        key: &Origin<'_>,
        pool_limit: Option<Duration>,
        now: Instant,
    ) -> Result<Checkout<Conn>> {
        if let Some(checkout) = self.pool.acquire_now(key, now)? {
            return Ok(checkout);
        }
        // Dropped here, outside the HTTP/2 pool's lock: its place goes
        // back to the pool (and to the first request waiting there).
        if !self.pool.at_host_limit(key) {
            drop(self.h2.take_idle_other(key));
        }
        self.pool.acquire(key, pool_limit, Instant::now()).await
    }

    /// One exchange on an HTTP/2 connection: the response, its body
    /// streaming from the request's stream.
    #[allow(
        clippy::too_many_arguments,
        reason = "one step of send_request, its state passed in"
    )]
    async fn send_h2(
        &self,
        conn: &Arc<H2Conn>,
        (url, method, headers): (&url::Url, &http::Method, &http::HeaderMap),
        body: &mut crate::Body,
        timeout: &Timeout,
        deadline: &Deadline,
        started: Instant,
        mut timings: Timings,
    ) -> std::result::Result<Response, ExchangeError> {
        let host = url.host_str().unwrap_or_default();
        let authority;
        // A `Host` the caller set (virtual hosting) is the `:authority`.
        let authority = match (headers.get(http::header::HOST), url.port()) {
            (Some(h), _) if h.to_str().is_ok() => h.to_str().unwrap_or_default(),
            (_, Some(port)) => {
                authority = format!("{host}:{port}");
                authority.as_str()
            }
            (_, None) => host,
        };
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let head = RequestHead {
            method,
            scheme: url.scheme(),
            authority,
            path: if path.is_empty() { "/" } else { path },
            headers,
        };
        let timeouts = (
            timeout.pool_timeout(),
            timeout.write_timeout(),
            timeout.read_timeout(),
        );
        let (stream, head) = conn.send(head, body, timeouts, deadline).await?;
        timings.first_byte = Some(started.elapsed());
        let bodiless = method == http::Method::HEAD
            || head.status == http::StatusCode::NO_CONTENT
            || head.status == http::StatusCode::NOT_MODIFIED;
        let expected = if bodiless {
            None
        } else {
            head.headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
        };
        let decoder = if bodiless || head.end_stream {
            None
        } else {
            ContentDecoder::from_headers(&head.headers)
        };
        let h2_body = H2Body::new(
            stream,
            head.end_stream || bodiless,
            expected,
            timeout.read_timeout(),
            *deadline,
        );
        let response_head = h1::ResponseHead {
            status: head.status,
            version: http::Version::HTTP_2,
            reason: None,
            headers: head.headers,
        };
        let mut response = Response::new(
            response_head,
            started.elapsed(),
            ResponseBody::from_h2(h2_body, decoder),
        );
        response.set_timings(timings, started);
        response.set_addrs(conn.remote_addr, conn.local_addr);
        Ok(response)
    }
}

/// A failed wait for a connection: the total deadline's error when that is
/// what ran out, else the pool's own.
fn pool_error(e: Error, by_deadline: bool, deadline: &Deadline, key: &Origin<'_>) -> Error {
    if e.kind() == ErrorKind::PoolTimeout && by_deadline {
        deadline.error(
            "waiting for a connection",
            &format!("{}:{}", key.host, key.port),
        )
    } else {
        e
    }
}

/// Whether a request that failed on an HTTP/2 connection goes again: one
/// the server refused unprocessed (REFUSED_STREAM, a GOAWAY, a connection
/// that takes no new streams) a few times, whatever its method; one whose
/// reused connection failed before any response, once, when idempotent.
/// Either only with a body that can be sent again.
fn h2_may_retry(
    sent: &std::result::Result<Response, ExchangeError>,
    retries: &mut u32,
    reused: bool,
    method: &http::Method,
    body: &crate::Body,
    spare: &Option<crate::Body>,
) -> bool {
    let Err(e) = sent else {
        return false;
    };
    let replayable = !body.is_streaming() || spare.is_some();
    // A wait that ran out, or a request HTTP/2 cannot carry, fails alike
    // on another connection.
    let final_kind = matches!(
        e.error.kind(),
        ErrorKind::TotalTimeout | ErrorKind::PoolTimeout | ErrorKind::LocalProtocol
    );
    let go = !final_kind
        && replayable
        && e.no_response
        && if e.nothing_written {
            *retries < 3
        } else {
            reused && *retries == 0 && is_idempotent(method)
        };
    if go {
        *retries += 1;
    }
    go
}

/// Puts a fresh copy of a replayable stream (`spare`) in `body`, to send
/// it again from its start; an in-memory body stays as it is.
fn refresh(body: &mut crate::Body, spare: &Option<crate::Body>) {
    if let Some(copy) = spare.as_ref().and_then(crate::Body::try_clone) {
        *body = copy;
    }
}

/// Writes `request`'s head into `out`: as it is; for a forward proxy
/// (`forward_to`) with the absolute URL and the proxy's own headers (its
/// credentials, or `authorization` answering its challenge) unless the
/// request has them; with `Expect: 100-continue` when `expect`.
fn encode_head(
    request: &Request,
    framing: BodyFraming,
    forward_to: Option<&Proxy>,
    authorization: Option<&http::HeaderValue>,
    expect: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    if forward_to.is_none() && !expect {
        return h1::encode_request_head_version(
            request.method(),
            request.url(),
            request.headers(),
            framing,
            request.version(),
            out,
        );
    }
    let mut headers = request.headers().clone();
    if let Some(proxy) = forward_to {
        for (name, value) in &proxy.headers {
            if !headers.contains_key(name) {
                headers.insert(name, value.clone());
            }
        }
        if let Some(value) = authorization {
            headers.insert(http::header::PROXY_AUTHORIZATION, value.clone());
        }
    }
    if expect {
        headers.insert(
            http::header::EXPECT,
            http::HeaderValue::from_static("100-continue"),
        );
    }
    let target = match forward_to {
        Some(_) => RequestTarget::Absolute,
        None => RequestTarget::Origin,
    };
    h1::encode_request_head_to(
        request.method(),
        request.url(),
        &headers,
        framing,
        request.version(),
        target,
        out,
    )
}

#[maybe]
/// Sends `head` with `Expect: 100-continue` in it, waits up to `wait` for
/// the server's `100 Continue`, then sends `body`; a final response that
/// comes first is returned and the body is never sent.
#[allow(
    clippy::too_many_arguments,
    reason = "one step of send_request, its state passed in"
)]
async fn send_expecting(
    conn: &mut Conn,
    head: &[u8],
    body: &mut crate::Body,
    chunked: bool,
    (parser, exchange): (&mut HeadParser, &mut Exchange),
    timeout: &Timeout,
    deadline: &Deadline,
    wait: Duration,
) -> std::result::Result<Option<h1::FinalHead>, ExchangeError> {
    conn.write_head(head, timeout.write_timeout(), deadline)
        .await?;
    let now = Instant::now();
    let until = now
        .checked_add(wait)
        .unwrap_or(now + Duration::from_secs(86_400 * 365));
    if let Some(answer) = conn
        .await_continue(parser, exchange, timeout.read_timeout(), deadline, until)
        .await?
    {
        return Ok(Some(answer));
    }
    conn.write_body(
        body,
        chunked,
        timeout.write_timeout(),
        deadline,
        head.len() as u64,
    )
    .await?;
    Ok(None)
}

/// The answer to a forward proxy's 407 Digest challenge, for the request
/// whose encoded head is `sent` (its target is the Digest `uri`).
fn proxy_digest(
    proxy: &Proxy,
    response: &h1::ResponseHead,
    sent: &[u8],
    body: Option<&[u8]>,
) -> Result<Option<http::HeaderValue>> {
    if response.status != http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
        return Ok(None);
    }
    // The request line: METHOD SP target SP version.
    let line = sent.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (method, target) = (
        String::from_utf8_lossy(method),
        String::from_utf8_lossy(target),
    );
    proxy.digest_answer(&response.headers, &method, &target, body)
}

/// Builds the response around the connection, whose body streams from here.
fn finish(
    conn: Box<Lease<Conn>>,
    ctx: BodyContext,
    head: h1::FinalHead,
    started: Instant,
    timings: Timings,
) -> Response {
    let h1::FinalHead {
        head,
        framing,
        keep_alive,
    } = head;
    let decoder = if framing.kind == h1::FramingKind::Empty {
        None
    } else {
        ContentDecoder::from_headers(&head.headers)
    };
    let (remote, local) = (conn.remote_addr, conn.local_addr);
    let body = ConnBody::new(conn, framing.kind, keep_alive, ctx);
    let mut response = Response::new(
        head,
        started.elapsed(),
        ResponseBody::from_conn(body, decoder),
    );
    response.set_timings(timings, started);
    response.set_addrs(remote, local);
    response
}

#[maybe]
impl Transport for HttpTransport {
    async fn handle_request(&self, mut request: Request) -> Result<Response> {
        match self.send_request(&mut request).await {
            Ok(mut response) => {
                // The body was sent (and dropped); the response keeps the rest.
                response.request = Some(request);
                Ok(response)
            }
            Err(e) => Err(e.with_url(request.url())),
        }
    }

    fn close(&self) {
        self.pool.close_idle(true);
        self.h2.close_idle(true);
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        Some(self.pool.status())
    }
}

#[maybe]
impl Transport for crate::MockTransport {
    async fn handle_request(&self, mut request: Request) -> Result<Response> {
        let response = self.respond(&request);
        let (head, body, decoded) = response.into_user_parts();
        let mut response = Response::from_user_parts(head, body, decoded);
        *request.body_mut() = crate::Body::empty();
        response.request = Some(request);
        Ok(response)
    }
}
