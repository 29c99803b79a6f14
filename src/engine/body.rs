//! The streaming response body: de-frames bytes from the connection, counts
//! them, decodes content codings, and returns the connection to the pool
//! once the body has been read to its end.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use super::conn::Conn;
use super::deadline::{io_error, Deadline, Phase};
use super::h2::H2Body;
use super::maybe;
use super::pool::{Lease, Pool};
use super::rt;
use crate::body::Body;
use crate::config::H1Limits;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::decode::ContentDecoder;
use crate::proto::h1::{ChunkedDecoder, FramingKind};

/// The size of the buffer between the framing and the content decoder.
const RAW_BUFFER_SIZE: usize = 32 * 1024;
/// The most the read buffer grows to while reading a chunked body (the
/// decoder consumes all it is given, so it never needs to grow at all).
const CHUNKED_READ_LIMIT: usize = 64 * 1024;
/// A response dropped unread gives its connection back to the pool when the
/// rest of its body, at most this much, has already arrived.
const MAX_DRAIN_ON_DROP: u64 = 64 * 1024;

/// What a body needs from the exchange that produced it.
#[derive(Debug, Clone)]
pub(crate) struct BodyContext {
    pub(crate) pool: Pool<Conn>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) deadline: Deadline,
    pub(crate) limits: H1Limits,
}

/// How the rest of a body on a connection is delimited.
#[derive(Debug)]
enum Framing {
    Length { remaining: u64, total: u64 },
    Chunked(Box<ChunkedDecoder>),
    Close,
    Done,
}

/// A body being read from a connection.
#[derive(Debug)]
pub(crate) struct ConnBody {
    conn: Option<Box<Lease<Conn>>>,
    framing: Framing,
    /// The connection may carry another exchange after this body.
    keep_alive: bool,
    ctx: BodyContext,
}

/// Where body bytes come from.
#[derive(Debug)]
enum Source {
    Empty,
    Bytes(Bytes),
    /// A caller's body (a mock's, an in-process app's); with the length its
    /// `Content-Length` declared, which it must give exactly.
    User(Body, Option<u64>),
    Conn(Box<ConnBody>),
    H2(Box<H2Body>),
}

/// What an exchange recorded beside its body: its phases, when it started
/// (the body's end is timed from then), and the connection's addresses.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meta {
    pub(crate) timings: crate::timings::Timings,
    pub(crate) started: Option<std::time::Instant>,
    pub(crate) remote: Option<std::net::SocketAddr>,
    pub(crate) local: Option<std::net::SocketAddr>,
}

/// A response body as a stream of decoded bytes.
#[derive(Debug)]
pub(crate) struct ResponseBody {
    source: Source,
    decoder: Option<ContentDecoder>,
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    raw_eof: bool,
    downloaded: u64,
    /// Bytes counted by an earlier body this one holds in memory; reading
    /// that memory counts nothing more.
    downloaded_before: Option<u64>,
    trailers: Option<HeaderMap>,
    finished: bool,
    /// When the body was read to its end.
    finished_at: Option<std::time::Instant>,
    /// What the exchange recorded for `Response::timings` and the addresses.
    pub(crate) meta: Meta,
    /// The error that failed the body: every later read fails the same way.
    failed: Option<(ErrorKind, String)>,
}

impl ConnBody {
    /// A body on `conn` framed as `kind`. An empty body returns the
    /// connection to the pool at once.
    pub(crate) fn new(
        conn: Box<Lease<Conn>>,
        kind: FramingKind,
        keep_alive: bool,
        ctx: BodyContext,
    ) -> ConnBody {
        let framing = match kind {
            FramingKind::Empty => Framing::Done,
            FramingKind::Length(0) => Framing::Done,
            FramingKind::Length(n) => Framing::Length {
                remaining: n,
                total: n,
            },
            FramingKind::Chunked => Framing::Chunked(Box::new(ChunkedDecoder::new(
                ctx.limits.max_head_size,
                ctx.limits.max_headers,
            ))),
            FramingKind::CloseDelimited => Framing::Close,
        };
        let mut body = ConnBody {
            conn: Some(conn),
            framing,
            keep_alive: keep_alive && kind != FramingKind::CloseDelimited,
            ctx,
        };
        if matches!(body.framing, Framing::Done) {
            body.release();
        }
        body
    }

    /// The body ended: a connection that can carry another exchange goes back
    /// to the pool. One with unread bytes after the body (a server that sent
    /// more than it framed) is closed, so they cannot poison the next response.
    fn release(&mut self) {
        self.framing = Framing::Done;
        if let Some(conn) = self.conn.take() {
            if self.keep_alive && conn.buffered().is_empty() {
                self.ctx.pool.checkin(conn);
            }
        }
    }

    fn target(&self) -> &str {
        self.conn.as_ref().map_or("server", |c| &c.target)
    }

    /// The body failed: its connection, in an unknown state, is closed.
    fn abandon(&mut self) {
        self.conn = None;
        self.framing = Framing::Done;
    }

    fn read_error(&self, e: std::io::Error, by_deadline: bool) -> Error {
        io_error(
            e,
            Phase::ReadBody,
            self.target(),
            &self.ctx.deadline,
            by_deadline,
        )
    }

    /// The timeout for the next read, and whether the deadline binds it.
    fn read_limit(&self) -> (Option<Duration>, bool) {
        self.ctx.deadline.limit(self.ctx.read_timeout)
    }
}

impl ConnBody {
    /// Reads what can be read without waiting: the body's end, or bytes of
    /// a length-delimited or close-delimited body already in the read
    /// buffer. `None`: a socket read (or the chunked decoder) is needed.
    fn read_buffered(&mut self, out: &mut [u8]) -> Option<Result<usize>> {
        if matches!(self.framing, Framing::Done) {
            return Some(Ok(0));
        }
        if let Err(e) = self
            .ctx
            .deadline
            .check("receiving the response body", self.target())
        {
            return Some(Err(e));
        }
        let conn = self.conn.as_mut()?;
        let buffered = conn.buffered();
        if buffered.is_empty() {
            return None;
        }
        let n = match &self.framing {
            Framing::Length { remaining, .. } => out
                .len()
                .min(buffered.len())
                .min(usize::try_from(*remaining).unwrap_or(usize::MAX)),
            Framing::Close => out.len().min(buffered.len()),
            Framing::Chunked(_) | Framing::Done => return None,
        };
        out[..n].copy_from_slice(&buffered[..n]);
        conn.consume(n);
        self.took(n);
        Some(Ok(n))
    }

    /// `n` bytes of the body were handed out: a length-delimited body
    /// counts them, and at its end gives its connection back.
    fn took(&mut self, n: usize) {
        if let Framing::Length { remaining, .. } = &mut self.framing {
            *remaining -= n as u64;
            if *remaining == 0 {
                self.release();
            }
        }
    }
}

impl Drop for ConnBody {
    /// A body dropped before its end: when the rest has already arrived (and
    /// is small), use it up without I/O and reuse the connection; otherwise
    /// the connection closes.
    fn drop(&mut self) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if !self.keep_alive {
            return;
        }
        match &mut self.framing {
            Framing::Length { remaining, .. } => {
                if *remaining <= MAX_DRAIN_ON_DROP && *remaining <= conn.buffered().len() as u64 {
                    conn.consume(*remaining as usize);
                    self.release();
                }
            }
            Framing::Chunked(decoder) => {
                let mut drained = 0;
                while drained <= MAX_DRAIN_ON_DROP {
                    let Ok(d) = decoder.decode(conn.buffered(), usize::MAX) else {
                        return;
                    };
                    conn.consume(d.consumed);
                    drained += d.consumed as u64;
                    if decoder.is_done() {
                        self.release();
                        return;
                    }
                    if d.consumed == 0 {
                        return;
                    }
                }
            }
            Framing::Close | Framing::Done => {}
        }
    }
}

#[maybe]
impl ConnBody {
    /// Reads de-framed body bytes into `out`; 0 at the end of the body.
    async fn read(&mut self, out: &mut [u8], trailers: &mut Option<HeaderMap>) -> Result<usize> {
        loop {
            if !matches!(self.framing, Framing::Done) {
                self.ctx
                    .deadline
                    .check("receiving the response body", self.target())?;
            }
            let (timeout, by_deadline) = self.read_limit();
            match &mut self.framing {
                Framing::Done => return Ok(0),
                Framing::Length { remaining, total } => {
                    let (remaining_now, total) = (*remaining, *total);
                    let conn = self.conn.as_mut().expect("connection held until done");
                    let want = out
                        .len()
                        .min(usize::try_from(remaining_now).unwrap_or(usize::MAX));
                    let n = match conn.read_body(&mut out[..want], timeout).await {
                        Ok(n) => n,
                        Err(e) => return Err(self.read_error(e, by_deadline)),
                    };
                    if n == 0 {
                        let got = total - remaining_now;
                        let msg = format!(
                            "server {} closed the connection after {got} of {total} body bytes",
                            self.target()
                        );
                        self.conn = None;
                        self.framing = Framing::Done;
                        return Err(Error::new(ErrorKind::RemoteProtocol, msg));
                    }
                    self.took(n);
                    return Ok(n);
                }
                Framing::Chunked(decoder) => {
                    let conn = self.conn.as_mut().expect("connection held until done");
                    if conn.buffered().is_empty() {
                        match conn.fill(timeout, CHUNKED_READ_LIMIT).await {
                            Ok(0) => {
                                let msg = format!(
                                    "server {} closed the connection in the middle of a chunked body",
                                    self.target()
                                );
                                self.conn = None;
                                self.framing = Framing::Done;
                                return Err(Error::new(ErrorKind::RemoteProtocol, msg));
                            }
                            Ok(_) => {}
                            Err(e) => return Err(self.read_error(e, by_deadline)),
                        }
                    }
                    let d = decoder.decode(conn.buffered(), out.len())?;
                    let n = d.data.len();
                    out[..n].copy_from_slice(&conn.buffered()[d.data]);
                    conn.consume(d.consumed);
                    if decoder.is_done() {
                        *trailers = decoder.take_trailers();
                        self.release();
                    }
                    if n > 0 || matches!(self.framing, Framing::Done) {
                        return Ok(n);
                    }
                }
                Framing::Close => {
                    let conn = self.conn.as_mut().expect("connection held until done");
                    let n = match conn.read_body(out, timeout).await {
                        Ok(n) => n,
                        Err(e) => return Err(self.read_error(e, by_deadline)),
                    };
                    if n == 0 {
                        self.conn = None;
                        self.framing = Framing::Done;
                    }
                    return Ok(n);
                }
            }
        }
    }
}

impl ResponseBody {
    fn with_source(source: Source, decoder: Option<ContentDecoder>) -> ResponseBody {
        ResponseBody {
            source,
            decoder,
            raw: Vec::new(),
            raw_start: 0,
            raw_end: 0,
            raw_eof: false,
            downloaded: 0,
            downloaded_before: None,
            trailers: None,
            finished: false,
            finished_at: None,
            meta: Meta::default(),
            failed: None,
        }
    }

    /// A body read from a connection.
    pub(crate) fn from_conn(body: ConnBody, decoder: Option<ContentDecoder>) -> ResponseBody {
        ResponseBody::with_source(Source::Conn(Box::new(body)), decoder)
    }

    /// A body arriving on an HTTP/2 stream.
    pub(crate) fn from_h2(body: H2Body, decoder: Option<ContentDecoder>) -> ResponseBody {
        ResponseBody::with_source(Source::H2(Box::new(body)), decoder)
    }

    /// A body given by the caller (mock transports, `From<http::Response>`).
    pub(crate) fn from_body(body: Body, decoder: Option<ContentDecoder>) -> ResponseBody {
        ResponseBody::from_framed_body(body, None, decoder)
    }

    /// A body given by an in-process app, which must be exactly `expected`
    /// bytes long when its head declared a `Content-Length` (checked as
    /// it is read, as the network's framing is).
    pub(crate) fn from_framed_body(
        body: Body,
        expected: Option<u64>,
        decoder: Option<ContentDecoder>,
    ) -> ResponseBody {
        // A body of known length was checked against `expected` by the caller.
        let source = match body.inner {
            crate::body::Inner::Empty => Source::Empty,
            crate::body::Inner::Bytes(b) => Source::Bytes(b),
            _ => Source::User(body, expected),
        };
        ResponseBody::with_source(source, decoder)
    }

    /// Gives back a caller-given body that has not been read from, for a
    /// response handed from one client type to the other.
    #[allow(dead_code, reason = "used by the blocking copy only")]
    pub(crate) fn into_unread_body(
        self: Box<Self>,
    ) -> std::result::Result<(Body, bool), Box<ResponseBody>> {
        if self.downloaded > 0 || self.finished {
            return Err(self);
        }
        let decoded = self.decoder.is_none();
        let this = *self;
        match this.source {
            Source::Empty => Ok((Body::empty(), decoded)),
            Source::Bytes(b) => Ok((b.into(), decoded)),
            Source::User(b, _) => Ok((b, decoded)),
            source @ (Source::Conn(_) | Source::H2(_)) => {
                Err(Box::new(ResponseBody { source, ..this }))
            }
        }
    }

    /// Keeps the byte count, trailers and end time of the body this one
    /// buffers.
    pub(crate) fn restore_counters(
        &mut self,
        downloaded: u64,
        trailers: Option<HeaderMap>,
        finished_at: Option<std::time::Instant>,
    ) {
        self.downloaded_before = Some(downloaded);
        self.trailers = trailers;
        self.finished_at = finished_at;
    }

    /// Body bytes received so far, after de-chunking and before decoding.
    pub(crate) fn downloaded(&self) -> u64 {
        self.downloaded_before.unwrap_or(self.downloaded)
    }

    /// The chunked trailers, once the body was read to its end.
    pub(crate) fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// Whether the body was read to its end.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// When the body was read to its end.
    pub(crate) fn finished_at(&self) -> Option<std::time::Instant> {
        self.finished_at
    }

    fn finish(&mut self) {
        self.finished = true;
        // A buffered copy keeps the time the network's body ended.
        self.finished_at.get_or_insert_with(std::time::Instant::now);
    }

    /// Reads decoded body bytes into `out` when that needs no waiting (the
    /// body's end, bytes in memory, or bytes of an undecoded body already
    /// received); `None` when [`read`](Self::read) must wait. `read` tries
    /// it first; the async client's `AsyncRead` calls it before it makes a
    /// future for `read`.
    pub(crate) fn read_now(&mut self, out: &mut [u8]) -> Option<Result<usize>> {
        if let Some((kind, message)) = &self.failed {
            return Some(Err(Error::new(*kind, message.clone())));
        }
        if out.is_empty() || self.finished {
            return Some(Ok(0));
        }
        if self.decoder.is_some() {
            return None;
        }
        let result = match &mut self.source {
            Source::Empty => Ok(0),
            Source::Bytes(b) => Ok(crate::body::take_into(b, out)),
            Source::User(..) => return None,
            Source::Conn(c) => c.read_buffered(out)?,
            Source::H2(b) => b.read_buffered(out, &mut self.trailers)?,
        };
        Some(match result {
            Ok(n) => {
                self.downloaded += n as u64;
                if n == 0 {
                    self.finish();
                }
                Ok(n)
            }
            Err(e) => Err(self.fail(e)),
        })
    }

    /// A read failed with `e`: unless it is a read timeout of its own (the
    /// body resumes after it), the body stays failed and its connection,
    /// in an unknown state, is closed.
    #[cold]
    fn fail(&mut self, e: Error) -> Error {
        if e.kind() != ErrorKind::ReadTimeout {
            self.failed = Some((e.kind(), e.message().to_string()));
            match &mut self.source {
                Source::Conn(c) => c.abandon(),
                Source::H2(b) => b.abandon(),
                _ => {}
            }
        }
        e
    }
}

/// An error reading a caller's body: ferrohttp's own (a read timeout, an
/// app's panic) as it was, any other as a `Read` error.
#[cold]
fn user_body_error(e: std::io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        Error::from(e)
    } else {
        Error::new(ErrorKind::Read, "reading the response body failed").with_source(e)
    }
}

#[maybe]
impl ResponseBody {
    /// Reads received, de-framed (not yet decoded) bytes from `source` into
    /// `out`, counting them in `downloaded`. Takes the fields it needs, so
    /// the decoding path can read into its own buffer in place.
    async fn read_raw(
        source: &mut Source,
        trailers: &mut Option<HeaderMap>,
        downloaded: &mut u64,
        out: &mut [u8],
    ) -> Result<usize> {
        let n = match source {
            Source::Empty => 0,
            Source::Bytes(b) => crate::body::take_into(b, out),
            Source::User(body, expected) => {
                let n = rt::read_user_body(body, out)
                    .await
                    .map_err(user_body_error)?;
                if n == 0 {
                    if let Some(t) = body.take_trailers() {
                        *trailers = Some(t);
                    }
                }
                if let Some(want) = *expected {
                    let got = *downloaded + n as u64;
                    if got > want || (n == 0 && got < want) {
                        return Err(Error::new(
                            ErrorKind::RemoteProtocol,
                            format!(
                                "the response body is {} than its Content-Length ({want} bytes)",
                                if got > want { "longer" } else { "shorter" }
                            ),
                        ));
                    }
                }
                n
            }
            Source::Conn(c) => c.read(out, trailers).await?,
            Source::H2(b) => b.read(out, trailers).await?,
        };
        *downloaded += n as u64;
        Ok(n)
    }

    /// Reads decoded body bytes into `out`; 0 at the end of the body.
    ///
    /// After an error the body either resumes or stays failed. A read
    /// timeout of its own (not the total deadline) resumes: no byte was
    /// taken, so the next read returns exactly the body's next bytes. Any
    /// other error fails the body: its connection is closed, and every later
    /// read returns an error of the same kind. A read future dropped part
    /// way (async) is like a read that never started.
    pub(crate) async fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        // What needs no waiting (the body's end, bytes already received,
        // a failed body's error) is read without going down to the socket.
        if let Some(result) = self.read_now(out) {
            return result;
        }
        match self.read_decoded(out).await {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(e)),
        }
    }

    async fn read_decoded(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() || self.finished {
            return Ok(0);
        }
        if self.decoder.is_none() {
            let n = Self::read_raw(
                &mut self.source,
                &mut self.trailers,
                &mut self.downloaded,
                out,
            )
            .await?;
            if n == 0 {
                self.finish();
            }
            return Ok(n);
        }
        if self.raw.is_empty() {
            self.raw = vec![0; RAW_BUFFER_SIZE];
        }
        loop {
            let decoder = self.decoder.as_mut().expect("checked above");
            let (consumed, produced) =
                decoder.decode(&self.raw[self.raw_start..self.raw_end], out)?;
            self.raw_start += consumed;
            if produced > 0 {
                return Ok(produced);
            }
            if self.raw_eof {
                if consumed == 0 {
                    if self.raw_start < self.raw_end {
                        return Err(Error::new(
                            ErrorKind::Decoding,
                            "response body has bytes after the end of its compressed stream",
                        ));
                    }
                    decoder.finish()?;
                    self.finish();
                    return Ok(0);
                }
                continue;
            }
            if consumed == 0 && self.raw_start == 0 && self.raw_end == self.raw.len() {
                return Err(Error::new(
                    ErrorKind::Decoding,
                    "content decoder made no progress on a full buffer",
                ));
            }
            if self.raw_start == self.raw_end {
                self.raw_start = 0;
                self.raw_end = 0;
            } else if self.raw_start > 0 {
                self.raw.copy_within(self.raw_start..self.raw_end, 0);
                self.raw_end -= self.raw_start;
                self.raw_start = 0;
            }
            // Read in place: a dropped future leaves the undecoded bytes
            // where they are.
            let n = Self::read_raw(
                &mut self.source,
                &mut self.trailers,
                &mut self.downloaded,
                &mut self.raw[self.raw_end..],
            )
            .await?;
            if n == 0 {
                self.raw_eof = true;
            }
            self.raw_end += n;
        }
    }
}
