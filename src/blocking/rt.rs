//! The blocking runtime shim: std::net sockets with socket deadlines. The
//! engine reaches the outside world only through these names; the async shim
//! (`nonblocking/rt.rs`) has the same names as `async fn`s.

use std::io::{self, IoSlice, Read, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};

use crate::body::{Body, Inner};

/// A connected socket: TCP, or a Unix domain socket. TLS runs over either.
#[derive(Debug)]
enum Plain {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Plain {
    fn sock(&self) -> SockRef<'_> {
        match self {
            Plain::Tcp(s) => SockRef::from(s),
            #[cfg(unix)]
            Plain::Unix(s) => SockRef::from(s),
        }
    }
}

impl Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Plain::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Plain::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Plain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Plain::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Plain::Unix(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Plain::Tcp(s) => s.write_vectored(bufs),
            #[cfg(unix)]
            Plain::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // sockets have no user-space buffer
    }
}

/// A stream's layers, innermost a socket: TLS nests (TLS to an HTTPS proxy,
/// then TLS to the origin through its tunnel), and bytes read past a
/// handshake reply are handed out before the socket's own.
#[derive(Debug)]
enum Io {
    Plain(Plain),
    #[cfg(feature = "rustls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, Io>>),
    Rewind(Box<Rewind>),
}

/// Bytes already read from `io`, to be read again first.
#[derive(Debug)]
struct Rewind {
    buf: Vec<u8>,
    pos: usize,
    io: Io,
}

impl Io {
    /// The socket under every layer.
    fn plain(&self) -> &Plain {
        match self {
            Io::Plain(p) => p,
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.sock.plain(),
            Io::Rewind(r) => r.io.plain(),
        }
    }

    /// Whether bytes are waiting in a layer above the socket.
    fn buffered(&self) -> bool {
        match self {
            Io::Plain(_) => false,
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.sock.buffered(),
            Io::Rewind(r) => r.pos < r.buf.len() || r.io.buffered(),
        }
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(p) => p.read(buf),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.read(buf),
            Io::Rewind(r) if r.pos < r.buf.len() => {
                let n = buf.len().min(r.buf.len() - r.pos);
                buf[..n].copy_from_slice(&r.buf[r.pos..r.pos + n]);
                r.pos += n;
                Ok(n)
            }
            Io::Rewind(r) => r.io.read(buf),
        }
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(p) => p.write(buf),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.write(buf),
            Io::Rewind(r) => r.io.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Io::Plain(p) => p.write_vectored(bufs),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.write_vectored(bufs),
            Io::Rewind(r) => r.io.write_vectored(bufs),
        }
    }

    /// Pushes the records every TLS layer holds down to the socket.
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(_) => Ok(()),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => {
                s.flush()?;
                s.sock.flush()
            }
            Io::Rewind(r) => r.io.flush(),
        }
    }
}

/// A connected byte stream: TCP or a Unix domain socket, either with TLS.
#[derive(Debug)]
pub(crate) struct Stream {
    io: Io,
    // The timeouts last set on the socket, so a keep-alive request with the
    // same settings costs no setsockopt calls.
    read_timeout: Option<Option<Duration>>,
    write_timeout: Option<Option<Duration>>,
}

/// setsockopt refuses a zero timeout; the shortest positive one is as good.
fn socket_timeout(t: Option<Duration>) -> Option<Duration> {
    t.map(|d| d.max(Duration::from_micros(1)))
}

/// Linux reports an expired SO_RCVTIMEO/SO_SNDTIMEO as EAGAIN; the engine
/// wants one kind for "timed out".
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "socket operation timed out")
    } else {
        e
    }
}

impl Stream {
    /// The addresses of the socket's two ends, peer first (two system
    /// calls: asked once per connection); `None` for a Unix socket.
    pub(crate) fn addrs(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        let sock = self.io.plain().sock();
        let ip = |a: io::Result<socket2::SockAddr>| a.ok().and_then(|a| a.as_socket());
        (ip(sock.peer_addr()), ip(sock.local_addr()))
    }

    /// Whether the peer closed the connection or sent bytes nobody asked
    /// for, seen without waiting: a peek with the socket briefly non-blocking
    /// (three syscalls; only for a connection that sat idle a while).
    pub(crate) fn peer_gone(&self) -> bool {
        if self.io.buffered() {
            return true;
        }
        let sock = self.io.plain().sock();
        let mut byte = [MaybeUninit::uninit()];
        let peeked = sock
            .set_nonblocking(true)
            .and_then(|()| sock.peek(&mut byte));
        let restored = sock.set_nonblocking(false);
        let quiet = matches!(&peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        !quiet || restored.is_err()
    }

    fn new(io: Io) -> Stream {
        Stream {
            io,
            read_timeout: None,
            write_timeout: None,
        }
    }

    fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if self.read_timeout != Some(t) {
            self.io.plain().sock().set_read_timeout(socket_timeout(t))?;
            self.read_timeout = Some(t);
        }
        Ok(())
    }

    fn set_write_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if self.write_timeout != Some(t) {
            self.io
                .plain()
                .sock()
                .set_write_timeout(socket_timeout(t))?;
            self.write_timeout = Some(t);
        }
        Ok(())
    }

    /// Reads into `buf`, waiting at most `timeout` for the first byte.
    pub(crate) fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        self.set_read_timeout(timeout)?;
        loop {
            match self.io.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timed_out),
            }
        }
    }

    /// Writes all of `bufs`, in as few syscalls as the socket allows; each
    /// wait for the socket is bounded by `timeout`. `written` counts the bytes
    /// the socket accepted, also when it fails part way.
    pub(crate) fn write_all_vectored(
        &mut self,
        mut bufs: &mut [IoSlice<'_>],
        timeout: Option<Duration>,
        written: &mut u64,
    ) -> io::Result<()> {
        self.set_write_timeout(timeout)?;
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match self.io.write_vectored(bufs) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    *written += n as u64;
                    IoSlice::advance_slices(&mut bufs, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(timed_out(e)),
            }
        }
        // rustls may hold the last records until flushed.
        #[cfg(feature = "rustls")]
        if matches!(self.io, Io::Tls(_)) {
            self.io.flush().map_err(timed_out)?;
        }
        Ok(())
    }

    /// This stream, handing `bytes` (read past a handshake reply) out
    /// before its own on the next reads.
    pub(crate) fn rewind(self, bytes: &[u8]) -> Stream {
        if bytes.is_empty() {
            return self;
        }
        let io = Io::Rewind(Box::new(Rewind {
            buf: bytes.to_vec(),
            pos: 0,
            io: self.io,
        }));
        Stream { io, ..self }
    }
}

/// The read and write timeouts last set on a socket (`None`: not known).
type SetTimeouts = (Option<Option<Duration>>, Option<Option<Duration>>);

/// Whether a socket timeout already `set` may serve for `wanted`: the same,
/// or at most an eighth (and a millisecond) longer. An HTTP/2 reader's
/// timeout is what is left of its wait, a little less at every read: a
/// setsockopt per read would cost more than the read, so the wait may run
/// over by that much.
fn close_enough(set: Option<Option<Duration>>, wanted: Option<Duration>) -> bool {
    match (set, wanted) {
        (Some(Some(set)), Some(wanted)) => {
            set >= wanted && set <= wanted + wanted / 8 + Duration::from_millis(1)
        }
        (Some(set), wanted) => set == wanted,
        (None, _) => false,
    }
}

/// A socket shared by the callers of one HTTP/2 connection: one reads while
/// another writes (both through `&self`), each with its own timeout.
#[derive(Debug)]
pub(crate) struct SharedSocket {
    plain: Plain,
    // The timeouts last set (read, write), as `Stream` keeps them.
    timeouts: Mutex<SetTimeouts>,
}

impl SharedSocket {
    /// Reads into `buf`, waiting at most `timeout` for the first byte; 0 at
    /// the end of the stream.
    pub(crate) fn read(&self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        {
            let mut t = self.timeouts.lock().unwrap_or_else(|p| p.into_inner());
            if !close_enough(t.0, timeout) {
                self.plain
                    .sock()
                    .set_read_timeout(socket_timeout(timeout))?;
                t.0 = Some(timeout);
            }
        }
        loop {
            let r = match &self.plain {
                Plain::Tcp(s) => (&*s).read(buf),
                #[cfg(unix)]
                Plain::Unix(s) => (&*s).read(buf),
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timed_out),
            }
        }
    }

    /// Writes some of `buf`, waiting at most `timeout` for room.
    pub(crate) fn write(&self, buf: &[u8], timeout: Option<Duration>) -> io::Result<usize> {
        {
            let mut t = self.timeouts.lock().unwrap_or_else(|p| p.into_inner());
            if t.1 != Some(timeout) {
                self.plain
                    .sock()
                    .set_write_timeout(socket_timeout(timeout))?;
                t.1 = Some(timeout);
            }
        }
        loop {
            let r = match &self.plain {
                Plain::Tcp(s) => (&*s).write(buf),
                #[cfg(unix)]
                Plain::Unix(s) => (&*s).write(buf),
            };
            match r {
                Ok(0) if !buf.is_empty() => return Err(io::ErrorKind::WriteZero.into()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timed_out),
            }
        }
    }

    /// Writes some of `buf` now, for a caller that cannot wait (a `Drop`):
    /// blocks at most a moment for room.
    pub(crate) fn write_now(&self, buf: &[u8]) -> io::Result<usize> {
        self.write(buf, Some(Duration::from_millis(100)))
    }
}

/// A stream taken apart for sharing: its socket, the TLS session over it
/// (if any), and raw bytes read past a handshake reply (to come first).
#[derive(Debug)]
pub(crate) struct Split {
    pub(crate) socket: SharedSocket,
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<rustls::ClientConnection>,
    pub(crate) leftover: Vec<u8>,
}

/// The socket under at most a rewind layer, and the rewound bytes.
fn bare(io: Io) -> std::result::Result<(Plain, Vec<u8>), Io> {
    match io {
        Io::Plain(p) => Ok((p, Vec::new())),
        Io::Rewind(r) if matches!(r.io, Io::Plain(_)) => {
            let Rewind { buf, pos, io } = *r;
            match io {
                Io::Plain(p) => Ok((p, buf[pos..].to_vec())),
                _ => unreachable!("matched above"),
            }
        }
        other => Err(other),
    }
}

impl Stream {
    /// Whether TLS negotiated HTTP/2 (ALPN `h2`).
    pub(crate) fn alpn_h2(&self) -> bool {
        match &self.io {
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.conn.alpn_protocol() == Some(b"h2"),
            _ => false,
        }
    }

    /// Whether the stream is a socket with at most one TLS layer over it,
    /// which [`split`](Self::split) can take apart.
    pub(crate) fn splittable(&self) -> bool {
        fn bare_ref(io: &Io) -> bool {
            match io {
                Io::Plain(_) => true,
                Io::Rewind(r) => matches!(r.io, Io::Plain(_)),
                #[cfg(feature = "rustls")]
                Io::Tls(_) => false,
            }
        }
        match &self.io {
            #[cfg(feature = "rustls")]
            Io::Tls(s) => bare_ref(&s.sock),
            io => bare_ref(io),
        }
    }

    /// Takes the stream apart for an HTTP/2 connection; a stream with
    /// TLS nested in TLS is given back.
    pub(crate) fn split(self) -> std::result::Result<Split, Stream> {
        if !self.splittable() {
            return Err(self);
        }
        let shared = |plain| SharedSocket {
            plain,
            timeouts: Mutex::new((self.read_timeout, self.write_timeout)),
        };
        match self.io {
            #[cfg(feature = "rustls")]
            Io::Tls(s) => {
                let rustls::StreamOwned { conn, sock } = *s;
                let (plain, leftover) = bare(sock).map_err(|_| ()).expect("checked splittable");
                Ok(Split {
                    socket: shared(plain),
                    tls: Some(conn),
                    leftover,
                })
            }
            io => {
                let (plain, leftover) = bare(io).map_err(|_| ()).expect("checked splittable");
                Ok(Split {
                    socket: shared(plain),
                    #[cfg(feature = "rustls")]
                    tls: None,
                    leftover,
                })
            }
        }
    }
}

/// Runs a TLS handshake over a connected stream (TCP, a Unix socket, or
/// a stream that already runs TLS: TLS nests) within `timeout`.
#[cfg(feature = "rustls")]
pub(crate) fn tls_connect(
    stream: Stream,
    config: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
    timeout: Option<Duration>,
) -> io::Result<Stream> {
    let mut io = stream.io;
    let sock = io.plain().sock();
    sock.set_read_timeout(socket_timeout(timeout))?;
    sock.set_write_timeout(socket_timeout(timeout))?;
    let mut conn = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut io).map_err(timed_out)?;
    }
    // The last handshake records may still sit in a TLS layer below.
    io.flush().map_err(timed_out)?;
    Ok(Stream {
        io: Io::Tls(Box::new(rustls::StreamOwned::new(conn, io))),
        read_timeout: Some(timeout),
        write_timeout: Some(timeout),
    })
}

/// Resolves `host:port` (a bare host: IPv6 without brackets) with the
/// system resolver.
pub(crate) fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Connects to `addr` within `timeout` (TCP_NODELAY set; `local` bound
/// first).
pub(crate) fn connect_tcp(
    addr: SocketAddr,
    timeout: Option<Duration>,
    local: Option<IpAddr>,
) -> io::Result<Stream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(ip) = local {
        socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    }
    let sa = SockAddr::from(addr);
    match timeout {
        Some(t) if t.is_zero() => return Err(io::ErrorKind::TimedOut.into()),
        Some(t) => socket.connect_timeout(&sa, t).map_err(timed_out)?,
        None => socket.connect(&sa)?,
    }
    socket.set_tcp_nodelay(true)?;
    Ok(Stream::new(Io::Plain(Plain::Tcp(socket.into()))))
}

/// Connect attempts running at once (Happy Eyeballs): each on a thread of
/// its own; the engine decides when to start one and how long to wait.
/// Dropped, the race leaves the attempts still running to finish on their
/// threads within their timeouts, their streams closed there.
#[derive(Debug)]
pub(crate) struct Race {
    tx: mpsc::Sender<io::Result<Stream>>,
    rx: mpsc::Receiver<io::Result<Stream>>,
    local: Option<IpAddr>,
    pending: usize,
}

impl Race {
    pub(crate) fn new(local: Option<IpAddr>) -> Race {
        let (tx, rx) = mpsc::channel();
        Race {
            tx,
            rx,
            local,
            pending: 0,
        }
    }

    /// Starts an attempt to connect to `addr` within `timeout`.
    pub(crate) fn start(&mut self, addr: SocketAddr, timeout: Option<Duration>) -> io::Result<()> {
        let (tx, local) = (self.tx.clone(), self.local);
        std::thread::Builder::new()
            .name("ferrohttp-connect".into())
            .spawn(move || {
                let _ = tx.send(connect_tcp(addr, timeout, local));
            })?;
        self.pending += 1;
        Ok(())
    }

    /// Attempts started and not finished.
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// The next attempt to finish, waiting at most `wait` (`None`: as long
    /// as it takes); `None` when the wait passed first.
    pub(crate) fn next(&mut self, wait: Option<Duration>) -> Option<io::Result<Stream>> {
        let got = match wait {
            Some(w) => self.rx.recv_timeout(w).ok(),
            None => self.rx.recv().ok(),
        };
        if got.is_some() {
            self.pending -= 1;
        }
        got
    }
}

/// Connects to the Unix domain socket at `path`.
#[cfg(unix)]
pub(crate) fn connect_unix(
    path: &std::path::Path,
    _timeout: Option<Duration>,
) -> io::Result<Stream> {
    // A Unix socket connect does not wait on a network: it succeeds or fails at once.
    let s = std::os::unix::net::UnixStream::connect(path)?;
    Ok(Stream::new(Io::Plain(Plain::Unix(s))))
}

/// Waits for `d`.
pub(crate) fn sleep(d: Duration) {
    std::thread::sleep(d);
}

/// Reads the next bytes of a `Body` the caller gave (a streaming request
/// body, or a response body a custom transport made).
pub(crate) fn read_user_body(body: &mut Body, buf: &mut [u8]) -> io::Result<usize> {
    match &mut body.inner {
        Inner::Empty => Ok(0),
        Inner::Bytes(_) => Err(io::Error::other("in-memory body is sent directly")),
        Inner::Reader { .. } | Inner::Replayable { .. } => {
            body.read_blocking(buf).expect("a Read body")
        }
        #[cfg(feature = "async")]
        Inner::AsyncReader { .. } | Inner::Stream { .. } => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "an AsyncBody can only be sent by the async client",
        )),
        #[cfg(feature = "tower")]
        Inner::Frames { .. } => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a tower app's body can only be read by the async client",
        )),
    }
}

/// A one-shot wake-up for a task waiting on the pool: `notify` from any
/// thread (also from `Drop`), `wait` with a timeout. A notify before the
/// wait is not lost.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    pub(crate) fn notify(&self) {
        *self.flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_one();
    }

    /// Waits for a notify; false when `timeout` passed first.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut flag = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if *flag {
                *flag = false;
                return true;
            }
            match deadline {
                None => flag = self.cv.wait(flag).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    flag = self
                        .cv
                        .wait_timeout(flag, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
    }
}

/// No state is needed to read a response body synchronously; the async shim
/// keeps its in-flight read here.
#[derive(Debug, Default)]
pub(crate) struct PendingRead {
    _private: (),
}

/// Runs a test scenario written once for both clients: here it has already
/// run (the blocking copy of an `async fn` returns its value).
#[cfg(test)]
pub(crate) fn run_test<T>(done: T) -> T {
    done
}

/// Runs `f` on a thread of its own (the async shim: a task), for tests of
/// code that waits on other callers.
#[cfg(test)]
pub(crate) fn spawn_test<F: FnOnce() + Send + 'static>(f: F) -> std::thread::JoinHandle<()> {
    std::thread::spawn(f)
}

/// What `spawn_test` returns.
#[cfg(test)]
pub(crate) type TestTask = std::thread::JoinHandle<()>;

/// Waits for what `spawn_test` started; its panic is the test's.
#[cfg(test)]
pub(crate) fn join_test(handle: std::thread::JoinHandle<()>) {
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}
