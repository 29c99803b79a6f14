//! One HTTP/1.1 connection: writes a request, reads a response head, and
//! hands out body bytes, driven by `proto::h1`.

use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::maybe;
use super::rt;
use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::h1::{encode_chunk_header, HeadParser, ResponseHead, CHUNKED_END};

/// The read buffer's starting size; it grows (up to the head limit) only
/// for a head that does not fit.
const READ_BUFFER_SIZE: usize = 16 * 1024;
/// The size of each read from a streaming request body.
const BODY_CHUNK_SIZE: usize = 64 * 1024;

/// An open connection, with its read buffer.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: rt::Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `host:port`, for error messages.
    pub(crate) target: Arc<str>,
    pub(crate) idle_since: Instant,
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

fn io_error(
    e: std::io::Error,
    timeout_kind: ErrorKind,
    other_kind: ErrorKind,
    what: &str,
    target: &str,
) -> Error {
    if e.kind() == std::io::ErrorKind::TimedOut {
        Error::new(timeout_kind, format!("{what} timed out for {target}")).with_source(e)
    } else {
        Error::new(other_kind, format!("{what} failed for {target}")).with_source(e)
    }
}

#[maybe]
impl Conn {
    /// Resolves `host` and connects to the first address that answers, all
    /// within `timeout`.
    pub(crate) async fn connect(host: &str, port: u16, timeout: Option<Duration>) -> Result<Conn> {
        let target: Arc<str> = Arc::from(format!("{host}:{port}"));
        let deadline = timeout.map(|t| Instant::now() + t);
        let addrs = rt::resolve(host, port).await.map_err(|e| {
            Error::new(ErrorKind::Connect, format!("failed to resolve host {host}")).with_source(e)
        })?;
        if addrs.is_empty() {
            return Err(Error::new(
                ErrorKind::Connect,
                format!("host {host} resolved to no addresses"),
            ));
        }
        let mut last = None;
        for addr in addrs {
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                last = Some(std::io::Error::from(std::io::ErrorKind::TimedOut));
                break;
            }
            match rt::connect(addr, remaining).await {
                Ok(stream) => return Ok(Conn::new(stream, target)),
                Err(e) => last = Some(e),
            }
        }
        let e = last.expect("at least one address was tried");
        Err(if e.kind() == std::io::ErrorKind::TimedOut {
            let after = timeout.map(|t| format!(" after {t:?}")).unwrap_or_default();
            Error::new(
                ErrorKind::ConnectTimeout,
                format!("connect timed out{after} connecting to {target}"),
            )
            .with_source(e)
        } else {
            Error::new(ErrorKind::Connect, format!("failed to connect to {target}")).with_source(e)
        })
    }

    /// Sends `head`, then `body` framed as `head` says (`chunked`: as chunks).
    pub(crate) async fn write_request(
        &mut self,
        head: &[u8],
        body: &mut Body,
        chunked: bool,
        timeout: Option<Duration>,
    ) -> std::result::Result<(), ExchangeError> {
        let target = self.target.clone();
        let write_err = |e, nothing_written| ExchangeError {
            error: io_error(
                e,
                ErrorKind::WriteTimeout,
                ErrorKind::Write,
                "sending the request",
                &target,
            ),
            nothing_written,
            no_response: true,
        };
        if let Some(bytes) = body.as_bytes() {
            // Head and in-memory body in one vectored write.
            let mut bufs = [IoSlice::new(head), IoSlice::new(bytes)];
            return self
                .stream
                .write_all_vectored(&mut bufs, timeout)
                .await
                .map_err(|e| write_err(e, true));
        }
        self.stream
            .write_all_vectored(&mut [IoSlice::new(head)], timeout)
            .await
            .map_err(|e| write_err(e, true))?;
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
            let n = rt::read_body(body, &mut chunk[..want]).await.map_err(|e| {
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
            let result = if chunked {
                size_line.clear();
                encode_chunk_header(n, &mut size_line);
                let mut bufs = [
                    IoSlice::new(&size_line),
                    IoSlice::new(&chunk[..n]),
                    IoSlice::new(b"\r\n"),
                ];
                self.stream.write_all_vectored(&mut bufs, timeout).await
            } else {
                self.stream
                    .write_all_vectored(&mut [IoSlice::new(&chunk[..n])], timeout)
                    .await
            };
            result.map_err(|e| write_err(e, false))?;
        }
        if chunked {
            self.stream
                .write_all_vectored(&mut [IoSlice::new(CHUNKED_END)], timeout)
                .await
                .map_err(|e| write_err(e, false))?;
        }
        Ok(())
    }

    /// Reads the final response head, skipping informational (1xx) ones.
    pub(crate) async fn read_head(
        &mut self,
        parser: &mut HeadParser,
        timeout: Option<Duration>,
    ) -> std::result::Result<ResponseHead, ExchangeError> {
        let mut received_any = self.start < self.end;
        loop {
            let parsed = parser
                .parse(&self.buf[self.start..self.end])
                .map_err(ExchangeError::fatal)?;
            if let Some(parsed) = parsed {
                self.start += parsed.consumed;
                let status = parsed.head.status;
                if status == http::StatusCode::SWITCHING_PROTOCOLS {
                    return Err(ExchangeError::fatal(Error::new(
                        ErrorKind::RemoteProtocol,
                        format!(
                            "{} sent 101 Switching Protocols, but no upgrade was asked for",
                            self.target
                        ),
                    )));
                }
                if status.is_informational() {
                    // 100 Continue, 103 Early Hints, ...: the final response follows.
                    parser.reset();
                    continue;
                }
                return Ok(parsed.head);
            }
            let limit = parser_limit(parser);
            let n = self.fill(timeout, limit).await.map_err(|e| ExchangeError {
                error: io_error(
                    e,
                    ErrorKind::ReadTimeout,
                    ErrorKind::Read,
                    "reading the response head",
                    &self.target,
                ),
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

    /// Reads from the socket straight into `out` (the read buffer must be empty).
    pub(crate) async fn read_direct(
        &mut self,
        out: &mut [u8],
        timeout: Option<Duration>,
    ) -> std::io::Result<usize> {
        debug_assert!(self.start == self.end);
        self.stream.read(out, timeout).await
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
            idle_since: Instant::now(),
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

/// The most the read buffer may grow to while reading a head.
fn parser_limit(parser: &HeadParser) -> usize {
    parser.max_head_size().saturating_add(READ_BUFFER_SIZE)
}
