//! One HTTP/1.1 connection: connects (Happy Eyeballs, Unix sockets),
//! writes a request, reads a response head, and hands out body bytes,
//! driven by `proto::h1`.

use std::collections::HashMap;
use std::io::IoSlice;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::maybe;
use super::rt;
use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::h1::{
    encode_chunk_header, Exchange, FinalHead, HeadEvent, HeadParser, CHUNKED_END,
};

/// The read buffer's starting size; it grows (up to the head limit) only
/// for a head that does not fit.
const READ_BUFFER_SIZE: usize = 16 * 1024;
/// A body read into a caller buffer at least this large goes straight from
/// the socket; smaller ones go through the read buffer.
const DIRECT_READ_SIZE: usize = 32 * 1024;
/// The read buffer's size while streaming a body through it.
const BODY_BUFFER_SIZE: usize = 64 * 1024;
/// The size of each read from a streaming request body.
const BODY_CHUNK_SIZE: usize = 64 * 1024;

/// An open connection, with its read buffer. (The pool's bookkeeping, its
/// place, key and idle time, is the pool's `Lease` around it.)
pub(crate) struct Conn {
    stream: rt::Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `host:port`, for error messages.
    pub(crate) target: Arc<str>,
}

/// Why an exchange failed, and what that allows: a request that failed on a
/// reused connection before any response byte came back may be retried.
#[derive(Debug)]
pub(crate) struct ExchangeError {
    pub(crate) error: Error,
    /// Not one byte of the request reached the socket.
    pub(crate) nothing_written: bool,
    /// Not one byte of a response arrived.
    pub(crate) no_response: bool,
}

impl ExchangeError {
    fn fatal(error: Error) -> ExchangeError {
        ExchangeError {
            error,
            nothing_written: false,
            no_response: false,
        }
    }
}

/// The whole-request deadline (`Timeout::total`), if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    total: Option<Duration>,
}

impl Deadline {
    /// A deadline `total` from now; none when `total` is `None` or too far
    /// away for the clock to represent (`Duration::MAX`): no deadline.
    pub(crate) fn new(total: Option<Duration>) -> Deadline {
        Deadline {
            at: total.and_then(|t| Instant::now().checked_add(t)),
            total,
        }
    }

    /// The timeout for one operation whose own limit is `phase`: the smaller
    /// of it and the time left; and whether the deadline is what binds.
    pub(crate) fn limit(&self, phase: Option<Duration>) -> (Option<Duration>, bool) {
        let Some(at) = self.at else {
            return (phase, false);
        };
        let left = at.saturating_duration_since(Instant::now());
        match phase {
            Some(p) if p < left => (Some(p), false),
            _ => (Some(left), true),
        }
    }

    /// An error when the deadline has passed: checked before each socket
    /// operation, because a peer that keeps sending never lets a read time out.
    pub(crate) fn check(&self, what: &str, target: &str) -> Result<()> {
        match self.at {
            Some(at) if Instant::now() >= at => Err(self.error(what, target)),
            _ => Ok(()),
        }
    }

    /// The error for an operation stopped by the deadline.
    pub(crate) fn error(&self, what: &str, target: &str) -> Error {
        let total = self.total.unwrap_or_default();
        Error::new(
            ErrorKind::TotalTimeout,
            format!("request to {target} exceeded its total timeout of {total:?} while {what}"),
        )
    }
}

/// The socket operation that failed, for its error's kinds and message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Connect,
    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "only a TLS build shakes hands")
    )]
    TlsHandshake,
    Write,
    ReadHead,
    ReadBody,
}

impl Phase {
    /// What was being done, for messages ("timed out connecting for ...").
    fn what(self) -> &'static str {
        match self {
            Phase::Connect => "connecting",
            Phase::TlsHandshake => "the TLS handshake",
            Phase::Write => "sending the request",
            Phase::ReadHead => "waiting for the response head",
            Phase::ReadBody => "receiving the response body",
        }
    }

    /// The kind of a timeout of the phase's own limit.
    fn timeout_kind(self) -> ErrorKind {
        match self {
            Phase::Connect | Phase::TlsHandshake => ErrorKind::ConnectTimeout,
            Phase::Write => ErrorKind::WriteTimeout,
            Phase::ReadHead | Phase::ReadBody => ErrorKind::ReadTimeout,
        }
    }

    /// The kind of any other failure.
    fn failure_kind(self) -> ErrorKind {
        match self {
            Phase::Connect => ErrorKind::Connect,
            Phase::TlsHandshake => ErrorKind::Tls,
            Phase::Write => ErrorKind::Write,
            Phase::ReadHead | Phase::ReadBody => ErrorKind::Read,
        }
    }
}

/// A failed socket operation of `phase` as an `Error`: the phase's timeout
/// kind for a timeout of its own limit, `TotalTimeout` when the deadline
/// bound it (`by_deadline`), else the phase's failure kind; TLS failures
/// as `tls::classify` names them.
pub(crate) fn io_error(
    e: std::io::Error,
    phase: Phase,
    target: &str,
    deadline: &Deadline,
    by_deadline: bool,
) -> Error {
    #[cfg(feature = "rustls")]
    if let Some(tls) = crate::tls::classify(&e, target) {
        return tls;
    }
    let what = phase.what();
    match e.kind() {
        std::io::ErrorKind::TimedOut if by_deadline => deadline.error(what, target).with_source(e),
        std::io::ErrorKind::TimedOut => Error::new(
            phase.timeout_kind(),
            format!("timed out {what} for {target}"),
        )
        .with_source(e),
        _ => Error::new(phase.failure_kind(), format!("{what} failed for {target}")).with_source(e),
    }
}

/// Where and how to connect (httpx's `HTTPTransport` options).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectOptions {
    /// The source address to bind before connecting.
    pub(crate) local_address: Option<IpAddr>,
    /// Connect to this Unix domain socket instead of the URL's host.
    pub(crate) uds: Option<PathBuf>,
    /// Addresses to use instead of resolving a host name (curl's `--resolve`);
    /// a port of 0 means the URL's port.
    pub(crate) resolve: HashMap<String, Vec<SocketAddr>>,
    /// How many times to retry a failed connect.
    pub(crate) retries: u32,
    /// The TLS configuration; `None`: the process-wide default.
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

#[maybe]
impl Conn {
    /// Opens a connection to `host:port` (`https`: with TLS; or through
    /// the Unix socket in `options`) within `timeout`, retrying failures
    /// `options.retries` times.
    pub(crate) async fn connect(
        (https, host, port): (bool, &str, u16),
        options: &ConnectOptions,
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> Result<Conn> {
        let target: Arc<str> = Arc::from(format!("{host}:{port}"));
        let mut attempt = 0;
        loop {
            match Conn::connect_once(https, host, port, &target, options, timeout, deadline).await {
                Ok(stream) => return Ok(Conn::new(stream, target)),
                // httpx's `retries`: only failures to connect, where nothing
                // of the request was sent; never past the deadline. The
                // backoff is httpcore's: 0 s, then 0.5 s doubling.
                Err(e) if attempt < options.retries && e.kind() != ErrorKind::TotalTimeout => {
                    let delay = retry_delay(attempt);
                    let (left, _) = deadline.limit(None);
                    if left.is_some_and(|l| l <= delay) {
                        return Err(e);
                    }
                    rt::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn connect_once(
        https: bool,
        host: &str,
        port: u16,
        target: &str,
        options: &ConnectOptions,
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> Result<rt::Stream> {
        let (limit, by_deadline) = deadline.limit(timeout);
        if limit == Some(Duration::ZERO) && by_deadline {
            return Err(deadline.error("connecting", target));
        }
        let connect_error =
            |e: std::io::Error, to: &str| io_error(e, Phase::Connect, to, deadline, by_deadline);
        #[cfg(unix)]
        let unix = match &options.uds {
            Some(path) => Some(
                rt::connect_unix(path, limit)
                    .await
                    .map_err(|e| connect_error(e, &format!("unix socket {}", path.display())))?,
            ),
            None => None,
        };
        #[cfg(not(unix))]
        let unix = None;
        // TLS, when asked for, runs over either kind of socket.
        let stream = match unix {
            Some(stream) => stream,
            None => {
                let addrs = match options.resolve.get(host) {
                    Some(addrs) => addrs
                        .iter()
                        .map(|a| {
                            SocketAddr::new(a.ip(), if a.port() == 0 { port } else { a.port() })
                        })
                        .collect(),
                    None => rt::resolve(host, port).await.map_err(|e| {
                        Error::new(ErrorKind::Connect, format!("failed to resolve host {host}"))
                            .with_source(e)
                    })?,
                };
                if addrs.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Connect,
                        format!("host {host} resolved to no addresses"),
                    ));
                }
                let addrs = crate::happy::interleave(addrs);
                rt::connect_tcp(&addrs, limit, options.local_address)
                    .await
                    .map_err(|e| connect_error(e, target))?
            }
        };
        if !https {
            return Ok(stream);
        }
        #[cfg(feature = "rustls")]
        {
            let config = match &options.tls {
                Some(config) => config.clone(),
                None => crate::tls::default_config()?,
            };
            let name = crate::tls::server_name(host)?;
            // The handshake is part of connecting, with its own connect timeout.
            let (limit, by_deadline) = deadline.limit(timeout);
            rt::tls_connect(stream, config, name, limit)
                .await
                .map_err(|e| io_error(e, Phase::TlsHandshake, target, deadline, by_deadline))
        }
        #[cfg(not(feature = "rustls"))]
        Err(crate::error::https_unsupported())
    }

    /// Sends `head`, then `body` framed as `head` says (`chunked`: as chunks).
    pub(crate) async fn write_request(
        &mut self,
        head: &[u8],
        body: &mut Body,
        chunked: bool,
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> std::result::Result<(), ExchangeError> {
        let target = self.target.clone();
        let mut written: u64 = 0;
        let write_err = |e, by_deadline, written: u64| ExchangeError {
            error: io_error(e, Phase::Write, &target, deadline, by_deadline),
            nothing_written: written == 0,
            no_response: true,
        };
        if let Some(bytes) = body.as_bytes() {
            // Head and in-memory body in one vectored write.
            let mut bufs = [IoSlice::new(head), IoSlice::new(bytes)];
            let (limit, by_deadline) = deadline.limit(timeout);
            return self
                .stream
                .write_all_vectored(&mut bufs, limit, &mut written)
                .await
                .map_err(|e| write_err(e, by_deadline, written));
        }
        let (limit, by_deadline) = deadline.limit(timeout);
        self.stream
            .write_all_vectored(&mut [IoSlice::new(head)], limit, &mut written)
            .await
            .map_err(|e| write_err(e, by_deadline, written))?;
        let declared = body.len();
        let mut sent: u64 = 0;
        let mut chunk = vec![0u8; BODY_CHUNK_SIZE];
        let mut size_line = Vec::with_capacity(20);
        loop {
            let want = match declared {
                Some(len) => (len - sent).min(BODY_CHUNK_SIZE as u64) as usize,
                None => BODY_CHUNK_SIZE,
            };
            if want == 0 {
                break;
            }
            let n = rt::read_user_body(body, &mut chunk[..want])
                .await
                .map_err(|e| {
                    ExchangeError::fatal(
                        Error::new(ErrorKind::RequestBody, "reading the request body failed")
                            .with_source(e),
                    )
                })?;
            if n == 0 {
                if let Some(len) = declared {
                    return Err(ExchangeError::fatal(Error::new(
                        ErrorKind::RequestBody,
                        format!("request body ended after {sent} of its declared {len} bytes"),
                    )));
                }
                break;
            }
            sent += n as u64;
            deadline
                .check("sending the request body", &target)
                .map_err(ExchangeError::fatal)?;
            let (limit, by_deadline) = deadline.limit(timeout);
            let result = if chunked {
                size_line.clear();
                encode_chunk_header(n, &mut size_line);
                let mut bufs = [
                    IoSlice::new(&size_line),
                    IoSlice::new(&chunk[..n]),
                    IoSlice::new(b"\r\n"),
                ];
                self.stream
                    .write_all_vectored(&mut bufs, limit, &mut written)
                    .await
            } else {
                let mut bufs = [IoSlice::new(&chunk[..n])];
                self.stream
                    .write_all_vectored(&mut bufs, limit, &mut written)
                    .await
            };
            result.map_err(|e| write_err(e, by_deadline, written))?;
        }
        if chunked {
            let (limit, by_deadline) = deadline.limit(timeout);
            self.stream
                .write_all_vectored(&mut [IoSlice::new(CHUNKED_END)], limit, &mut written)
                .await
                .map_err(|e| write_err(e, by_deadline, written))?;
        }
        Ok(())
    }

    /// Reads response heads until the final one, as `exchange` decides
    /// (interim ones skipped, within bounds; 101 refused).
    pub(crate) async fn read_head(
        &mut self,
        parser: &mut HeadParser,
        exchange: &mut Exchange,
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> std::result::Result<FinalHead, ExchangeError> {
        let mut received_any = self.start < self.end;
        loop {
            let parsed = parser
                .parse(&self.buf[self.start..self.end])
                .map_err(ExchangeError::fatal)?;
            if let Some(parsed) = parsed {
                self.start += parsed.consumed;
                match exchange
                    .on_head(parsed.head, parsed.consumed, &self.target)
                    .map_err(ExchangeError::fatal)?
                {
                    HeadEvent::Interim => {
                        parser.reset();
                        continue;
                    }
                    HeadEvent::Final(head) => return Ok(head),
                }
            }
            let max_buffer = parser_limit(parser);
            deadline
                .check("waiting for the response head", &self.target)
                .map_err(ExchangeError::fatal)?;
            let (limit, by_deadline) = deadline.limit(timeout);
            let n = self
                .fill(limit, max_buffer)
                .await
                .map_err(|e| ExchangeError {
                    error: io_error(e, Phase::ReadHead, &self.target, deadline, by_deadline),
                    nothing_written: false,
                    no_response: !received_any,
                })?;
            if n == 0 {
                let (msg, no_response) = if received_any {
                    (
                        "closed the connection in the middle of the response head",
                        false,
                    )
                } else {
                    ("closed the connection without sending a response", true)
                };
                return Err(ExchangeError {
                    error: Error::new(
                        ErrorKind::RemoteProtocol,
                        format!("server {} {msg}", self.target),
                    ),
                    nothing_written: false,
                    no_response,
                });
            }
            received_any = true;
        }
    }

    /// Reads more bytes from the socket into the buffer: 0 at end of stream.
    /// Cancel-safe: the buffer's bounds change only when the read returns.
    pub(crate) async fn fill(
        &mut self,
        timeout: Option<Duration>,
        max_buffer: usize,
    ) -> std::io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Full of one unfinished head: grow, within the head limit.
            let new_len = (self.buf.len() * 2).min(max_buffer.max(self.buf.len() + 1));
            self.buf.resize(new_len, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..], timeout).await?;
        self.end += n;
        Ok(n)
    }

    /// Reads body bytes into `out`: what is buffered first; then, for a small
    /// `out`, through the read buffer (one large read instead of many small
    /// ones), for a large `out` straight from the socket.
    ///
    /// Cancel-safe, and safe to call again after an error: the buffer is
    /// marked empty before the socket read, and filled only when it returns,
    /// so a read that fails or whose future is dropped leaves no stale bytes
    /// behind (the socket reads of both shims lose nothing when dropped).
    pub(crate) async fn read_body(
        &mut self,
        out: &mut [u8],
        timeout: Option<Duration>,
    ) -> std::io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if out.len() >= DIRECT_READ_SIZE {
                return self.stream.read(out, timeout).await;
            }
            if self.buf.len() < BODY_BUFFER_SIZE {
                self.buf.resize(BODY_BUFFER_SIZE, 0);
            }
            self.end = self.stream.read(&mut self.buf, timeout).await?;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// Where it goes and how much is buffered; not the bytes.
impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("target", &self.target)
            .field("buffered", &(self.end - self.start))
            .finish_non_exhaustive()
    }
}

impl Conn {
    fn new(stream: rt::Stream, target: Arc<str>) -> Conn {
        Conn {
            stream,
            buf: vec![0; READ_BUFFER_SIZE],
            start: 0,
            end: 0,
            target,
        }
    }

    /// The bytes received and not yet used.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks `n` buffered bytes as used.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
    }
}

impl super::pool::Probe for Conn {
    /// Whether the server closed this idle connection or sent something
    /// nobody asked for (a `408` before closing): a non-blocking peek.
    fn peer_gone(&self) -> bool {
        self.start < self.end || self.stream.peer_gone()
    }
}

/// The wait before connect retry number `attempt` (0-based): httpcore's
/// exponential backoff with factor 0.5 (0 s, 0.5 s, 1 s, 2 s, ...), capped.
pub(crate) fn retry_delay(attempt: u32) -> Duration {
    if attempt == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(500u64.saturating_mul(1 << (attempt - 1).min(6)))
}

/// The most the read buffer may grow to while reading a head.
fn parser_limit(parser: &HeadParser) -> usize {
    parser.max_head_size().saturating_add(READ_BUFFER_SIZE)
}
