//! One HTTP/1.1 connection over a stream that `connect` opened: writes a
//! request, reads a response head, and hands out body bytes, driven by
//! `proto::h1`.

use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::deadline::{io_error, Deadline, Phase};
use super::maybe;
use super::rt;
use crate::body::Body;
use crate::error::{Error, ErrorKind};
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
    /// When the first byte of the current exchange's response arrived (the
    /// transport clears it before each request).
    pub(crate) first_byte: Option<Instant>,
    /// The peer's address (the proxy's, through one) and ours; `None` on a
    /// Unix socket.
    pub(crate) remote_addr: Option<std::net::SocketAddr>,
    pub(crate) local_addr: Option<std::net::SocketAddr>,
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

#[maybe]
impl Conn {
    /// Sends `head`, then `body` framed as `head` says (`chunked`: as chunks).
    pub(crate) async fn write_request(
        &mut self,
        head: &[u8],
        body: &mut Body,
        chunked: bool,
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> std::result::Result<(), ExchangeError> {
        let mut written: u64 = 0;
        if let Some(bytes) = body.as_bytes() {
            // Head and in-memory body in one vectored write.
            let mut bufs = [IoSlice::new(head), IoSlice::new(bytes)];
            let (limit, by_deadline) = deadline.limit(timeout);
            return self
                .stream
                .write_all_vectored(&mut bufs, limit, &mut written)
                .await
                .map_err(|e| self.write_error(e, deadline, by_deadline, written));
        }
        self.write_head(head, timeout, deadline).await?;
        written = head.len() as u64;
        self.write_body(body, chunked, timeout, deadline, written)
            .await
    }

    /// The error of a failed write, `written` bytes of the request in.
    fn write_error(
        &self,
        e: std::io::Error,
        deadline: &Deadline,
        by_deadline: bool,
        written: u64,
    ) -> ExchangeError {
        ExchangeError {
            error: io_error(e, Phase::Write, &self.target, deadline, by_deadline),
            nothing_written: written == 0,
            no_response: true,
        }
    }

    /// Sends the request head alone (the body follows with `write_body`).
    pub(crate) async fn write_head(
        &mut self,
        head: &[u8],
        timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> std::result::Result<(), ExchangeError> {
        let mut written: u64 = 0;
        let (limit, by_deadline) = deadline.limit(timeout);
        self.stream
            .write_all_vectored(&mut [IoSlice::new(head)], limit, &mut written)
            .await
            .map_err(|e| self.write_error(e, deadline, by_deadline, written))
    }

    /// Sends `body` after its head (`written` bytes of the request so far),
    /// framed as the head says (`chunked`: as chunks).
    pub(crate) async fn write_body(
        &mut self,
        body: &mut Body,
        chunked: bool,
        timeout: Option<Duration>,
        deadline: &Deadline,
        mut written: u64,
    ) -> std::result::Result<(), ExchangeError> {
        let target = self.target.clone();
        let write_err = |e, by_deadline, written: u64| ExchangeError {
            error: io_error(e, Phase::Write, &target, deadline, by_deadline),
            nothing_written: written == 0,
            no_response: true,
        };
        if let Some(bytes) = body.as_bytes() {
            let (limit, by_deadline) = deadline.limit(timeout);
            return self
                .stream
                .write_all_vectored(&mut [IoSlice::new(bytes)], limit, &mut written)
                .await
                .map_err(|e| write_err(e, by_deadline, written));
        }
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
        let head = self
            .read_heads(parser, exchange, timeout, deadline, None)
            .await?;
        Ok(head.expect("without a wait, only a final head returns"))
    }

    /// After a head sent with `Expect: 100-continue`: waits until `until`
    /// for the server's `100 Continue` (`None`: send the body now, also
    /// when the wait ran out) or a final response that comes instead
    /// (`Some`: the body is not to be sent).
    pub(crate) async fn await_continue(
        &mut self,
        parser: &mut HeadParser,
        exchange: &mut Exchange,
        timeout: Option<Duration>,
        deadline: &Deadline,
        until: Instant,
    ) -> std::result::Result<Option<FinalHead>, ExchangeError> {
        exchange.expect_continue();
        self.read_heads(parser, exchange, timeout, deadline, Some(until))
            .await
    }

    /// Reads response heads until the final one; with `wait_until`, also
    /// stops at `100 Continue` or when that time comes (`None` then).
    async fn read_heads(
        &mut self,
        parser: &mut HeadParser,
        exchange: &mut Exchange,
        timeout: Option<Duration>,
        deadline: &Deadline,
        wait_until: Option<Instant>,
    ) -> std::result::Result<Option<FinalHead>, ExchangeError> {
        let mut received_any = self.start < self.end;
        if received_any && self.first_byte.is_none() {
            self.first_byte = Some(Instant::now());
        }
        loop {
            let parsed = parser
                .parse(&self.buf[self.start..self.end])
                .map_err(ExchangeError::fatal)?;
            if let Some(parsed) = parsed {
                self.start += parsed.consumed;
                parser.reset();
                match exchange
                    .on_head(parsed.head, parsed.consumed, &self.target)
                    .map_err(ExchangeError::fatal)?
                {
                    HeadEvent::Continue if wait_until.is_some() => return Ok(None),
                    HeadEvent::Interim | HeadEvent::Continue => continue,
                    HeadEvent::Final(head) => return Ok(Some(head)),
                }
            }
            let max_buffer = parser_limit(parser);
            deadline
                .check("waiting for the response head", &self.target)
                .map_err(ExchangeError::fatal)?;
            let (mut limit, by_deadline) = deadline.limit(timeout);
            let mut by_wait = false;
            if let Some(until) = wait_until {
                let left = until.saturating_duration_since(Instant::now());
                if limit.is_none_or(|l| left <= l) {
                    limit = Some(left);
                    by_wait = true;
                }
            }
            let n = match self.fill(limit, max_buffer).await {
                Ok(n) => n,
                // The wait for `100 Continue` ran out: the body goes now.
                Err(e) if by_wait && e.kind() == std::io::ErrorKind::TimedOut => {
                    exchange.stop_expecting();
                    return Ok(None);
                }
                Err(e) => {
                    return Err(ExchangeError {
                        error: io_error(e, Phase::ReadHead, &self.target, deadline, by_deadline),
                        nothing_written: false,
                        no_response: !received_any,
                    })
                }
            };
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
            if !received_any && self.first_byte.is_none() {
                self.first_byte = Some(Instant::now());
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
    /// A connection over `stream` to `target` (`host:port`, for messages).
    pub(crate) fn new(stream: rt::Stream, target: Arc<str>) -> Conn {
        let (remote_addr, local_addr) = stream.addrs();
        Conn {
            remote_addr,
            local_addr,
            stream,
            buf: vec![0; READ_BUFFER_SIZE],
            start: 0,
            end: 0,
            target,
            first_byte: None,
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

/// The most the read buffer may grow to while reading a head.
fn parser_limit(parser: &HeadParser) -> usize {
    parser.max_head_size().saturating_add(READ_BUFFER_SIZE)
}
