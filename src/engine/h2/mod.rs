//! HTTP/2 connections: many requests at once over one connection, from
//! many threads (blocking) or tasks (async), with no background thread or
//! task.
//!
//! The sans-IO [`Connection`](crate::proto::h2::conn::Connection) sits in a
//! lock with each stream's queue of events. A caller that needs something
//! (a stream's response head or body bytes, room in a flow-control window,
//! a free stream slot) looks under the lock; when it is not there and no
//! one is reading, it becomes the reader: it reads from the socket with the
//! lock released, then feeds the bytes in and hands each event to its
//! stream, waking that stream's caller. Others sleep on their stream's
//! signal. Whoever leaves while no one reads passes the reading on to a
//! caller still waiting. httpcore has the same design and two deadlocks
//! the shape here rules out: a caller waiting for window keeps reading
//! frames (it is the reader when no one else is), and every wait re-checks
//! its condition after each read, so a server lowering its stream limit
//! while a read is under way only makes openers wait for a slot.

mod io;
pub(crate) mod pool;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};

use self::io::H2Io;
use super::conn::{Conn, ExchangeError};
use super::deadline::{io_error, Deadline, Phase};
use super::maybe;
use super::pool::Reservation;
use super::rt;
use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::h2::conn::{Config, Connection, Event};
use crate::proto::h2::frame::ErrorCode;

/// The most a request body queues per write.
const BODY_CHUNK: usize = 64 * 1024;

/// One stream's events, and the signal that wakes its caller.
#[derive(Debug)]
struct Slot {
    queue: VecDeque<Event>,
    signal: Arc<rt::Signal>,
    /// Its caller sleeps, waiting for the reader.
    waiting: bool,
}

/// The shared state of a connection, under its lock.
#[derive(Debug)]
struct Driver {
    conn: Connection,
    slots: HashMap<u32, Slot>,
    /// A caller is reading from the socket.
    reading: bool,
    /// The reader's buffer for the socket's bytes, kept between reads.
    raw: Vec<u8>,
    events: Vec<Event>,
    /// Callers waiting for a stream slot.
    openers: Vec<Arc<rt::Signal>>,
    /// The connection failed: every stream fails with this.
    broken: Option<(ErrorKind, String)>,
    /// Since when no stream is open.
    idle_since: Instant,
}

impl Driver {
    /// A caller leaves while no one reads: one that still waits becomes the
    /// reader (or learns the connection is broken).
    fn pass_reading(&mut self) {
        if self.reading {
            return;
        }
        if let Some(slot) = self.slots.values_mut().find(|s| s.waiting) {
            slot.waiting = false;
            slot.signal.notify();
        } else {
            self.wake_openers();
        }
    }

    fn wake_openers(&mut self) {
        for w in self.openers.drain(..) {
            w.notify();
        }
    }

    /// Every caller asleep looks again (the connection failed, or the
    /// windows or settings changed). One awake looks under the lock before
    /// it sleeps, so it needs no wake-up (a wake-up is a system call).
    fn wake_all(&mut self) {
        for slot in self.slots.values_mut() {
            if std::mem::take(&mut slot.waiting) {
                slot.signal.notify();
            }
        }
        self.wake_openers();
    }

    fn fail(&mut self, kind: ErrorKind, message: String) {
        if self.broken.is_none() {
            self.broken = Some((kind, message));
        }
        self.wake_all();
    }

    /// Hands each event read to its stream. After a connection error
    /// (`failed`), the resets it caused are not handed out: the
    /// connection's error says more.
    fn dispatch(&mut self, failed: bool) {
        let mut events = std::mem::take(&mut self.events);
        for event in events.drain(..) {
            let stream = match &event {
                Event::Head { stream, .. }
                | Event::Data { stream, .. }
                | Event::Trailers { stream, .. }
                | Event::Reset { stream, .. } => *stream,
                Event::GoAway { .. } | Event::SendCapacity => {
                    self.wake_all();
                    continue;
                }
                Event::Pong(_) => continue,
            };
            if failed
                && matches!(
                    event,
                    Event::Reset {
                        retryable: false,
                        ..
                    }
                )
            {
                continue;
            }
            if let Some(slot) = self.slots.get_mut(&stream) {
                slot.queue.push_back(event);
                if std::mem::take(&mut slot.waiting) {
                    slot.signal.notify();
                }
            }
        }
        self.events = events;
        if !self.openers.is_empty() && self.conn.can_open() {
            self.wake_openers();
        }
    }
}

/// An HTTP/2 connection, shared (`Arc`) by the requests on it and the
/// pool. It holds its place among the pool's connections until dropped.
#[derive(Debug)]
pub(crate) struct H2Conn {
    io: H2Io,
    driver: Mutex<Driver>,
    /// `host:port`, for messages.
    pub(crate) target: Arc<str>,
    pub(crate) remote_addr: Option<std::net::SocketAddr>,
    pub(crate) local_addr: Option<std::net::SocketAddr>,
    _place: Reservation<Conn>,
}

/// What a request sends on a stream.
#[derive(Debug)]
pub(crate) struct RequestHead<'a> {
    pub(crate) method: &'a http::Method,
    pub(crate) scheme: &'a str,
    pub(crate) authority: &'a str,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
}

/// A response head received on a stream.
#[derive(Debug)]
pub(crate) struct ResponseHead {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) end_stream: bool,
}

impl H2Conn {
    /// A connection over `split` (its preface queued), holding `place`.
    pub(crate) fn new(
        split: rt::Split,
        place: Reservation<Conn>,
        target: Arc<str>,
        addrs: (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>),
    ) -> std::io::Result<Arc<H2Conn>> {
        let io = H2Io::new(split)?;
        let mut conn = Connection::new(Config::default());
        io.queue(&conn.take_output())?;
        Ok(Arc::new(H2Conn {
            io,
            driver: Mutex::new(Driver {
                conn,
                slots: HashMap::new(),
                reading: false,
                raw: Vec::new(),
                events: Vec::new(),
                openers: Vec::new(),
                broken: None,
                idle_since: Instant::now(),
            }),
            target,
            remote_addr: addrs.0,
            local_addr: addrs.1,
            _place: place,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Driver> {
        // Every change under the lock leaves the state consistent.
        self.driver.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a new request may be sent on it now.
    pub(crate) fn can_open(&self) -> bool {
        let d = self.lock();
        d.broken.is_none() && d.conn.can_open()
    }

    /// Whether it can carry no more requests, now or later.
    pub(crate) fn is_dead(&self) -> bool {
        let d = self.lock();
        d.broken.is_some() || d.conn.is_done()
    }

    /// How long no stream has been open on it (`None`: one is).
    pub(crate) fn idle_for(&self, now: Instant) -> Option<Duration> {
        let d = self.lock();
        d.slots
            .is_empty()
            .then(|| now.saturating_duration_since(d.idle_since))
    }

    /// Queues the connection's output (under the lock, so frames keep
    /// their order); a failure to seal it breaks the connection.
    fn push_output(&self, d: &mut Driver) {
        if d.conn.has_output() {
            let out = d.conn.take_output();
            if let Err(e) = self.io.queue(&out) {
                d.fail(
                    ErrorKind::Write,
                    format!("sealing frames for {} failed: {e}", self.target),
                );
            }
        }
    }

    fn broken_error(&self, d: &Driver) -> Option<Error> {
        d.broken
            .as_ref()
            .map(|(kind, message)| Error::new(*kind, message.clone()))
    }

    /// The stream's caller went away (or its response ended): the stream
    /// is reset unless both sides ended it, its unread bytes are given back to the
    /// connection's window, and its slot is freed.
    fn close_stream(&self, id: u32) {
        {
            let mut d = self.lock();
            if let Some(slot) = d.slots.remove(&id) {
                for event in slot.queue {
                    if let Event::Data { data, .. } = event {
                        d.conn.consumed(id, data.len());
                        d.conn.recycle(data);
                    }
                }
            }
            // A no-op for a stream both sides ended.
            d.conn.reset(id, ErrorCode::CANCEL);
            if d.slots.is_empty() {
                d.idle_since = Instant::now();
            }
            self.push_output(&mut d);
            if d.conn.can_open() {
                d.wake_openers();
            }
            d.pass_reading();
        }
        // A reset should reach the server now: what the socket takes at once.
        self.io.flush_now();
    }
}

impl Drop for H2Conn {
    /// The last user is gone: GOAWAY, as a courtesy to the server.
    fn drop(&mut self) {
        let d = self.driver.get_mut().unwrap_or_else(|p| p.into_inner());
        if d.broken.is_none() {
            d.conn.go_away(ErrorCode::NO_ERROR);
            let out = d.conn.take_output();
            if self.io.queue(&out).is_ok() {
                self.io.flush_now();
            }
        }
    }
}

/// What a wait returns to its caller.
enum Waited<T> {
    Ready(T),
    /// The connection failed.
    Broken(Error),
    /// The wait's time ran out (the total deadline, if `bool`).
    TimedOut(bool),
    /// A read from the socket failed (not a timeout).
    ReadFailed(std::io::Error, bool),
}

/// The reader's role, given up when dropped (a read that failed, or an
/// async reader whose future was dropped): one of the callers still
/// waiting takes it over.
struct Reader<'a> {
    conn: &'a H2Conn,
    /// Still held (not given up under the lock already).
    held: bool,
}

impl Reader<'_> {
    /// Gives the role up under the lock the caller holds (its `Drop` then
    /// does nothing); the caller passes it on.
    fn give_up(&mut self, d: &mut Driver) {
        if std::mem::take(&mut self.held) {
            d.reading = false;
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if self.held {
            let mut d = self.conn.lock();
            d.reading = false;
            d.pass_reading();
        }
    }
}

/// What a read from the socket left the reader to do.
enum AfterRead {
    /// Look again (writing out what the frames read call for, if `flush`).
    Go { flush: bool },
    /// The read timed out (the connection is fine).
    TimedOut,
    /// The read failed: the connection is broken.
    Failed(std::io::Error),
}

impl H2Conn {
    /// Feeds what a read brought to the connection (its plaintext where
    /// it lies) and hands the events out; the reader's role ends here.
    fn after_read(&self, read: std::io::Result<io::Arrived>, raw: Vec<u8>) -> AfterRead {
        let mut d = self.lock();
        let after = match read {
            Ok(arrived) => {
                let mut events = std::mem::take(&mut d.events);
                let mut received = Ok(());
                let taken = self.io.take_plaintext(&raw[..arrived.n], |plain| {
                    received = d.conn.receive(plain, &mut events);
                    received.is_ok()
                });
                d.events = events;
                d.dispatch(received.is_err());
                if let Err(e) = received {
                    let msg = format!("HTTP/2 connection error from {}: {e}", self.target);
                    d.fail(ErrorKind::RemoteProtocol, msg);
                } else if let Err(e) = &taken {
                    let msg = format!("reading from {} failed: {e}", self.target);
                    d.fail(ErrorKind::Read, msg);
                } else if arrived.end || matches!(taken, Ok(true)) {
                    let msg = format!("server {} closed the HTTP/2 connection", self.target);
                    d.fail(ErrorKind::RemoteProtocol, msg);
                }
                self.push_output(&mut d);
                AfterRead::Go {
                    flush: d.broken.is_none() && self.io.pending() > 0,
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => AfterRead::TimedOut,
            Err(e) => {
                let msg = format!("reading from {} failed: {e}", self.target);
                d.fail(ErrorKind::Read, msg);
                AfterRead::Failed(e)
            }
        };
        d.raw = raw;
        after
    }
}

#[maybe]
impl H2Conn {
    /// Reads what came while the connection sat idle (a GOAWAY, a PING,
    /// the end of the stream), without waiting: a connection the server
    /// closed meanwhile is then not chosen for the next request (which, a
    /// streamed upload, could not be sent again).
    pub(crate) async fn catch_up(&self) {
        let mut raw = {
            let mut d = self.lock();
            if d.reading || d.broken.is_some() {
                return;
            }
            d.reading = true;
            std::mem::take(&mut d.raw)
        };
        let role = Reader {
            conn: self,
            held: true,
        };
        let read = self.io.read(&mut raw, Some(Duration::from_micros(1))).await;
        let after = self.after_read(read, raw);
        drop(role);
        if let AfterRead::Go { flush: true } = after {
            let _ = self.io.flush(Some(Duration::from_secs(1))).await;
        }
    }
}

#[maybe]
impl H2Conn {
    /// Waits until `check` finds what the caller needs, reading from the
    /// socket when no one else is. `slot` is the caller's stream (`None`:
    /// it waits for one, on `signal`). Each wait for the socket or the
    /// signal lasts at most `until` (and the total deadline).
    async fn wait_for<T>(
        &self,
        slot: Option<u32>,
        signal: &Arc<rt::Signal>,
        until: Option<Instant>,
        deadline: &Deadline,
        mut check: impl FnMut(&mut Driver) -> Option<T>,
    ) -> Waited<T> {
        // The reader's role, once taken: kept from one read to the next
        // while this caller's condition is unmet (no wake-up of another
        // caller per read), given up when it leaves.
        let mut role = Reader {
            conn: self,
            held: false,
        };
        loop {
            let buffers = {
                let mut d = self.lock();
                if let Some(s) = slot.and_then(|id| d.slots.get_mut(&id)) {
                    s.waiting = false;
                }
                if let Some(found) = check(&mut d) {
                    self.push_output(&mut d);
                    role.give_up(&mut d);
                    d.pass_reading();
                    return Waited::Ready(found);
                }
                if let Some(e) = self.broken_error(&d) {
                    role.give_up(&mut d);
                    d.pass_reading();
                    return Waited::Broken(e);
                }
                if role.held {
                    Some(std::mem::take(&mut d.raw))
                } else if d.reading {
                    match slot.and_then(|id| d.slots.get_mut(&id)) {
                        Some(s) => s.waiting = true,
                        None => d.openers.push(signal.clone()),
                    }
                    None
                } else {
                    d.reading = true;
                    role.held = true;
                    Some(std::mem::take(&mut d.raw))
                }
            };
            let left = until.map(|u| u.saturating_duration_since(Instant::now()));
            let (limit, by_deadline) = deadline.limit(left);
            let Some(mut raw) = buffers else {
                if !signal.wait(limit).await {
                    let mut d = self.lock();
                    if let Some(s) = slot.and_then(|id| d.slots.get_mut(&id)) {
                        s.waiting = false;
                    }
                    d.pass_reading();
                    return Waited::TimedOut(by_deadline);
                }
                continue;
            };
            // What is queued (this request, perhaps) goes out before the wait.
            if let Err(e) = self.io.flush(limit).await {
                let mut d = self.lock();
                d.raw = raw;
                d.fail(
                    ErrorKind::Write,
                    format!("sending to {} failed: {e}", self.target),
                );
                continue;
            }
            let read = self.io.read(&mut raw, limit).await;
            match self.after_read(read, raw) {
                AfterRead::Go { flush } => {
                    if flush {
                        // Acknowledgements and window updates: not waited for.
                        let _ = self.io.flush(limit).await;
                    }
                }
                AfterRead::TimedOut => return Waited::TimedOut(by_deadline),
                AfterRead::Failed(e) => return Waited::ReadFailed(e, by_deadline),
            }
        }
    }
}

/// A stream a request opened: dropping it before the response ended
/// resets the stream (the connection stays usable for the others).
#[derive(Debug)]
pub(crate) struct H2Stream {
    conn: Arc<H2Conn>,
    id: u32,
    signal: Arc<rt::Signal>,
}

impl Drop for H2Stream {
    fn drop(&mut self) {
        self.conn.close_stream(self.id);
    }
}

/// How an exchange on a stream failed.
fn exchange_error(error: Error, nothing_written: bool, no_response: bool) -> ExchangeError {
    ExchangeError {
        error,
        nothing_written,
        no_response,
    }
}

/// The deadline of one wait of `timeout` from now.
fn until(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

impl H2Conn {
    /// The error of a wait that did not end with what it waited for.
    fn waited_error<T>(
        &self,
        waited: Waited<T>,
        phase: Phase,
        deadline: &Deadline,
    ) -> std::result::Result<T, Error> {
        match waited {
            Waited::Ready(t) => Ok(t),
            Waited::Broken(e) => Err(e),
            Waited::TimedOut(by_deadline) => Err(io_error(
                std::io::ErrorKind::TimedOut.into(),
                phase,
                &self.target,
                deadline,
                by_deadline,
            )),
            Waited::ReadFailed(e, by_deadline) => {
                Err(io_error(e, phase, &self.target, deadline, by_deadline))
            }
        }
    }
}

/// A stream's next event, taken from its queue; a body's bytes are given
/// back to the windows as they are taken (so a caller that stops reading
/// stops the server).
fn next_event(d: &mut Driver, id: u32) -> Option<Event> {
    let event = d.slots.get_mut(&id)?.queue.pop_front()?;
    if let Event::Data { data, .. } = &event {
        d.conn.consumed(id, data.len());
    }
    Some(event)
}

/// The error of a stream the peer reset.
fn reset_error(target: &str, code: ErrorCode, got_head: bool) -> Error {
    let what = if got_head {
        "the response body"
    } else {
        "the response"
    };
    Error::new(
        ErrorKind::RemoteProtocol,
        format!("server {target} reset the HTTP/2 stream of {what} ({code:?})"),
    )
}

#[maybe]
impl H2Conn {
    /// Sends a request on a new stream and waits for its response head.
    /// `open_wait` bounds the wait for a free stream slot.
    pub(crate) async fn send(
        self: &Arc<Self>,
        head: RequestHead<'_>,
        body: &mut Body,
        timeouts: (Option<Duration>, Option<Duration>, Option<Duration>),
        deadline: &Deadline,
    ) -> std::result::Result<(H2Stream, ResponseHead), ExchangeError> {
        let (open_wait, write_timeout, read_timeout) = timeouts;
        let signal = Arc::new(rt::Signal::default());
        let empty = body.len() == Some(0);
        let length;
        let headers = match body.len() {
            Some(n)
                if !empty
                    || head.method == http::Method::POST
                    || head.method == http::Method::PUT =>
            {
                length = {
                    let mut h = head.headers.clone();
                    h.insert(http::header::CONTENT_LENGTH, n.into());
                    h
                };
                &length
            }
            _ => head.headers,
        };
        // A stream slot: the server's limit may make this wait.
        let opened = self
            .wait_for(None, &signal, until(open_wait), deadline, |d| {
                // Broken meanwhile: nothing was sent, another connection.
                if d.broken.is_some() {
                    return Some(None);
                }
                if d.conn.can_open() {
                    let id = d.conn.open(
                        head.method.as_str(),
                        head.scheme,
                        head.authority,
                        head.path,
                        headers,
                        empty,
                    );
                    if let Ok(id) = id {
                        d.slots.insert(
                            id,
                            Slot {
                                queue: VecDeque::new(),
                                signal: signal.clone(),
                                waiting: false,
                            },
                        );
                    }
                    return Some(Some(id));
                }
                // GOAWAY, or ids used up: never here; another connection.
                d.conn.going_away().then_some(None)
            })
            .await;
        let id = match opened {
            Waited::Ready(Some(Ok(id))) => id,
            Waited::Ready(Some(Err(e))) => {
                let error = Error::new(
                    ErrorKind::LocalProtocol,
                    format!("cannot send the request to {}: {e}", self.target),
                );
                return Err(exchange_error(error, true, true));
            }
            Waited::Ready(None) => {
                let error = Error::new(
                    ErrorKind::RemoteProtocol,
                    format!("HTTP/2 connection to {} takes no new requests", self.target),
                );
                return Err(exchange_error(error, true, true));
            }
            Waited::TimedOut(false) => {
                let error = Error::new(
                    ErrorKind::PoolTimeout,
                    format!(
                        "timed out waiting for a free HTTP/2 stream on {} (the server's limit)",
                        self.target
                    ),
                );
                return Err(exchange_error(error, true, true));
            }
            other => {
                let e = self
                    .waited_error(other, Phase::Write, deadline)
                    .expect_err("Ready handled above");
                return Err(exchange_error(e, true, true));
            }
        };
        let mut stream = H2Stream {
            conn: self.clone(),
            id,
            signal,
        };
        // The head goes out now, or with the bytes of the caller writing
        // already (no wait for it: the outbox stays small, a head each).
        let (limit, by_deadline) = deadline.limit(write_timeout);
        if let Err(e) = self.io.flush(limit).await {
            let error = io_error(e, Phase::Write, &self.target, deadline, by_deadline);
            self.lock().fail(error.kind(), error.message().to_string());
            return Err(exchange_error(error, false, true));
        }
        if !empty {
            self.send_body(&mut stream, body, write_timeout, deadline)
                .await?;
        }
        // The response head; interim (1xx) heads are skipped.
        loop {
            let waited = self
                .wait_for(
                    Some(id),
                    &stream.signal,
                    until(read_timeout),
                    deadline,
                    |d| next_event(d, id),
                )
                .await;
            let event = self
                .waited_error(waited, Phase::ReadHead, deadline)
                .map_err(|e| exchange_error(e, false, true))?;
            match event {
                Event::Head {
                    status,
                    headers,
                    end_stream,
                    ..
                } => {
                    if status.is_informational() {
                        continue;
                    }
                    let head = ResponseHead {
                        status,
                        headers,
                        end_stream,
                    };
                    return Ok((stream, head));
                }
                Event::Reset {
                    code, retryable, ..
                } => {
                    let error = reset_error(&self.target, code, false);
                    // Refused (never processed): as if nothing was sent.
                    return Err(exchange_error(error, retryable, true));
                }
                _ => {
                    let error = Error::new(
                        ErrorKind::RemoteProtocol,
                        format!(
                            "server {} sent body bytes before a response head",
                            self.target
                        ),
                    );
                    return Err(exchange_error(error, false, true));
                }
            }
        }
    }

    /// Sends `body` on the stream within the flow-control windows; a wait
    /// for window reads frames meanwhile (it may be the reader).
    async fn send_body(
        &self,
        stream: &mut H2Stream,
        body: &mut Body,
        write_timeout: Option<Duration>,
        deadline: &Deadline,
    ) -> std::result::Result<(), ExchangeError> {
        let id = stream.id;
        // An in-memory body is sent from its shared bytes, not a copy.
        let in_memory = body.shared_bytes();
        let mut chunk = Vec::new();
        let mut at = 0;
        let mut ended = false;
        let mut source_done = in_memory.is_some();
        while !ended {
            if at == chunk.len() && !source_done {
                chunk.resize(BODY_CHUNK, 0);
                at = 0;
                let n = rt::read_user_body(body, &mut chunk).await.map_err(|e| {
                    let error =
                        Error::new(ErrorKind::RequestBody, "reading the request body failed")
                            .with_source(e);
                    exchange_error(error, false, true)
                })?;
                chunk.truncate(n);
                source_done = n == 0;
            }
            let data: &[u8] = in_memory.as_deref().unwrap_or(&chunk);
            let rest = &data[at..];
            let end = source_done;
            // Room in the windows (reading frames meanwhile), then a frame.
            let waited = self
                .wait_for(Some(id), &stream.signal, until(write_timeout), deadline, |d| {
                    if let Some(Event::Reset { .. }) = d.slots.get(&id).and_then(|s| s.queue.back()) {
                        return Some(Err(()));
                    }
                    if d.slots.get(&id).is_some_and(|s| {
                        s.queue
                            .iter()
                            .any(|e| matches!(e, Event::Head { status, .. } if !status.is_informational()))
                    }) && d.conn.send_capacity(id) == 0
                    {
                        // Answered before the body went: the rest is not sent.
                        return Some(Ok(None));
                    }
                    if rest.is_empty() && end {
                        return Some(d.conn.send_data(id, &[], true).map(|_| Some(0)).map_err(|_| ()));
                    }
                    // Frames while the windows allow, up to a chunk per turn.
                    let mut sent = 0;
                    while sent < rest.len() && sent < BODY_CHUNK {
                        match d.conn.send_data(id, &rest[sent..], end) {
                            Ok(0) => break,
                            Ok(n) => sent += n,
                            Err(_) => return Some(Err(())),
                        }
                    }
                    (sent > 0).then_some(Ok(Some(sent)))
                })
                .await;
            match waited {
                Waited::Ready(Ok(Some(n))) => {
                    at += n;
                    ended = end && at == data.len();
                }
                Waited::Ready(Ok(None)) | Waited::Ready(Err(())) => return Ok(()),
                other => {
                    let e = self
                        .waited_error(other, Phase::Write, deadline)
                        .expect_err("Ready handled above");
                    return Err(exchange_error(e, false, true));
                }
            }
            let (limit, by_deadline) = deadline.limit(write_timeout);
            if let Err(e) = self.io.flush_wait(&stream.signal, limit).await {
                let error = io_error(e, Phase::Write, &self.target, deadline, by_deadline);
                self.lock().fail(error.kind(), error.message().to_string());
                return Err(exchange_error(error, false, true));
            }
        }
        Ok(())
    }
}

/// A response body arriving on a stream.
#[derive(Debug)]
pub(crate) struct H2Body {
    stream: H2Stream,
    chunk: Vec<u8>,
    at: usize,
    /// The stream ended (or failed): nothing more comes.
    done: bool,
    /// The `Content-Length` the body must match (RFC 9113 §8.1.1).
    expected: Option<u64>,
    got: u64,
    /// An error met after bytes that were handed out first.
    error: Option<Error>,
    read_timeout: Option<Duration>,
    deadline: Deadline,
}

impl H2Body {
    /// The body of `stream`, whose head said `end_stream` when it has none.
    pub(crate) fn new(
        stream: H2Stream,
        end_stream: bool,
        expected: Option<u64>,
        read_timeout: Option<Duration>,
        deadline: Deadline,
    ) -> H2Body {
        H2Body {
            stream,
            chunk: Vec::new(),
            at: 0,
            done: end_stream,
            expected: if end_stream { None } else { expected },
            got: 0,
            error: None,
            read_timeout,
            deadline,
        }
    }

    /// The body failed: nothing more is read (the stream is reset when the
    /// body is dropped).
    pub(crate) fn abandon(&mut self) {
        self.done = true;
        self.chunk = Vec::new();
        self.at = 0;
    }

    fn copy_out(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        n
    }

    /// The stream's next event, as body bytes (in `chunk`) or its end.
    fn take(&mut self, event: Event, trailers: &mut Option<HeaderMap>) -> Result<()> {
        match event {
            Event::Data {
                data, end_stream, ..
            } => {
                self.got += data.len() as u64;
                self.chunk = data;
                self.at = 0;
                if end_stream {
                    self.end()?;
                } else if self.expected.is_some_and(|n| self.got > n) {
                    return Err(self.length_error());
                }
            }
            Event::Trailers { headers, .. } => {
                *trailers = Some(headers);
                self.end()?;
            }
            Event::Reset { code, .. } => {
                self.abandon();
                return Err(reset_error(&self.stream.conn.target, code, true));
            }
            Event::Head { .. } | Event::GoAway { .. } | Event::SendCapacity | Event::Pong(_) => {
                self.abandon();
                return Err(Error::new(
                    ErrorKind::RemoteProtocol,
                    format!(
                        "server {} sent a second response head",
                        self.stream.conn.target
                    ),
                ));
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.done = true;
        if self.expected.is_some_and(|n| n != self.got) {
            return Err(self.length_error());
        }
        Ok(())
    }

    #[cold]
    fn length_error(&mut self) -> Error {
        let expected = self.expected.unwrap_or_default();
        let what = if self.got > expected {
            "longer"
        } else {
            "shorter"
        };
        self.abandon();
        Error::new(
            ErrorKind::RemoteProtocol,
            format!(
                "the response body from {} is {what} than its Content-Length ({expected} bytes)",
                self.stream.conn.target
            ),
        )
    }

    /// Reads what needs no waiting: bytes received, or the end.
    /// `None`: a wait is needed.
    pub(crate) fn read_buffered(
        &mut self,
        out: &mut [u8],
        trailers: &mut Option<HeaderMap>,
    ) -> Option<Result<usize>> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let mut n = 0;
        let mut took = false;
        let result = loop {
            if self.at < self.chunk.len() {
                n += self.copy_out(&mut out[n..]);
                if n == out.len() {
                    break Some(Ok(n));
                }
            }
            if self.done {
                break Some(Ok(n));
            }
            // More of what already came, while `out` has room.
            let event = {
                let conn = &self.stream.conn;
                let mut d = conn.lock();
                // The emptied buffer goes back for the frames to come.
                if self.chunk.capacity() > 0 {
                    d.conn.recycle(std::mem::take(&mut self.chunk));
                    self.at = 0;
                }
                let Some(event) = next_event(&mut d, self.stream.id) else {
                    break (n > 0).then_some(Ok(n));
                };
                conn.push_output(&mut d);
                event
            };
            took = true;
            if let Err(e) = self.take(event, trailers) {
                // Bytes already copied go first; the error comes next read.
                if n > 0 {
                    self.error = Some(e);
                    break Some(Ok(n));
                }
                break Some(Err(e));
            }
        };
        // The window updates the bytes taken earned go out now: the caller
        // reading the socket for everyone may be blocked until they do.
        if took && self.stream.conn.io.pending() > 0 {
            self.stream.conn.io.flush_now();
        }
        result
    }
}

#[maybe]
impl H2Body {
    /// Reads body bytes into `out`; 0 at its end.
    pub(crate) async fn read(
        &mut self,
        out: &mut [u8],
        trailers: &mut Option<HeaderMap>,
    ) -> Result<usize> {
        loop {
            if let Some(read) = self.read_buffered(out, trailers) {
                return read;
            }
            let conn = self.stream.conn.clone();
            let id = self.stream.id;
            let waited = conn
                .wait_for(
                    Some(id),
                    &self.stream.signal,
                    until(self.read_timeout),
                    &self.deadline,
                    |d| next_event(d, id),
                )
                .await;
            let event = conn.waited_error(waited, Phase::ReadBody, &self.deadline)?;
            self.take(event, trailers)?;
            // Window updates the bytes taken earned.
            if conn.io.pending() > 0 {
                let (limit, _) = self.deadline.limit(self.read_timeout);
                let _ = conn.io.flush(limit).await;
            }
        }
    }
}
