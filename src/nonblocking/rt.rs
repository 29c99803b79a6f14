//! The async runtime shim: tokio sockets, with `tokio::time::timeout` as the
//! deadline. Same names and signatures as `blocking/rt.rs`, as `async fn`s.

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};

use crate::body::{Body, Inner};

/// A connected socket: TCP, or a Unix domain socket. TLS runs over either.
#[derive(Debug)]
enum Plain {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
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

impl AsyncRead for Plain {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Plain::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Plain {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Plain::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Plain::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Plain::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Plain::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Plain::Tcp(s) => s.is_write_vectored(),
            #[cfg(unix)]
            Plain::Unix(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Plain::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Plain::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A stream's layers, innermost a socket: TLS nests (TLS to an HTTPS proxy,
/// then TLS to the origin through its tunnel), and bytes read past a
/// handshake reply are handed out before the socket's own.
#[derive(Debug)]
enum Io {
    Plain(Plain),
    #[cfg(feature = "rustls")]
    Tls(Box<tokio_rustls::client::TlsStream<Io>>),
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
            Io::Tls(s) => s.get_ref().0.plain(),
            Io::Rewind(r) => r.io.plain(),
        }
    }

    /// Whether bytes are waiting in a layer above the socket.
    fn buffered(&self) -> bool {
        match self {
            Io::Plain(_) => false,
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.get_ref().0.buffered(),
            Io::Rewind(r) => r.pos < r.buf.len() || r.io.buffered(),
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(p) => Pin::new(p).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
            Io::Rewind(r) if r.pos < r.buf.len() => {
                let n = buf.remaining().min(r.buf.len() - r.pos);
                buf.put_slice(&r.buf[r.pos..r.pos + n]);
                r.pos += n;
                Poll::Ready(Ok(()))
            }
            Io::Rewind(r) => Pin::new(&mut r.io).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(p) => Pin::new(p).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            Io::Rewind(r) => Pin::new(&mut r.io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(p) => Pin::new(p).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
            Io::Rewind(r) => Pin::new(&mut r.io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Io::Plain(p) => p.is_write_vectored(),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => s.is_write_vectored(),
            Io::Rewind(r) => r.io.is_write_vectored(),
        }
    }

    /// Pushes the records every TLS layer holds down to the socket.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(p) => Pin::new(p).poll_flush(cx),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            Io::Rewind(r) => Pin::new(&mut r.io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(p) => Pin::new(p).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            Io::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
            Io::Rewind(r) => Pin::new(&mut r.io).poll_shutdown(cx),
        }
    }
}

/// A connected byte stream: TCP or a Unix domain socket, with any layers
/// of TLS over it.
#[derive(Debug)]
pub(crate) struct Stream {
    io: Io,
}

async fn with_timeout<T>(
    timeout: Option<Duration>,
    fut: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match timeout {
        None => fut.await,
        Some(t) => match tokio::time::timeout(t, fut).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "socket operation timed out",
            )),
        },
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
    /// for, seen without waiting: a peek at the (non-blocking) socket.
    pub(crate) fn peer_gone(&self) -> bool {
        if self.io.buffered() {
            return true;
        }
        let sock = self.io.plain().sock();
        let mut byte = [MaybeUninit::uninit()];
        !matches!(sock.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Reads into `buf`, waiting at most `timeout` for the first byte.
    pub(crate) async fn read(
        &mut self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        with_timeout(timeout, self.io.read(buf)).await
    }

    /// Writes all of `bufs`; each wait for the socket is bounded by
    /// `timeout`. `written` counts the bytes the socket accepted.
    pub(crate) async fn write_all_vectored(
        &mut self,
        mut bufs: &mut [IoSlice<'_>],
        timeout: Option<Duration>,
        written: &mut u64,
    ) -> io::Result<()> {
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            let n = with_timeout(timeout, self.io.write_vectored(bufs)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            *written += n as u64;
            IoSlice::advance_slices(&mut bufs, n);
        }
        // tokio-rustls may hold the last records until flushed.
        #[cfg(feature = "rustls")]
        if matches!(self.io, Io::Tls(_)) {
            with_timeout(timeout, self.io.flush()).await?;
        }
        Ok(())
    }

    /// This stream, handing `bytes` (read past a handshake reply) out
    /// before its own on the next reads.
    pub(crate) fn rewind(self, bytes: &[u8]) -> Stream {
        if bytes.is_empty() {
            return self;
        }
        Stream {
            io: Io::Rewind(Box::new(Rewind {
                buf: bytes.to_vec(),
                pos: 0,
                io: self.io,
            })),
        }
    }
}

/// A socket shared by the tasks of one HTTP/2 connection: one reads while
/// another writes (both through `&self`), each with its own timeout.
#[derive(Debug)]
pub(crate) struct SharedSocket {
    plain: Plain,
}

impl SharedSocket {
    /// Reads into `buf`, waiting at most `timeout` for the first byte; 0 at
    /// the end of the stream. Cancel-safe: a dropped future read nothing.
    pub(crate) async fn read(
        &self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        with_timeout(timeout, async {
            loop {
                let r = match &self.plain {
                    Plain::Tcp(s) => {
                        s.readable().await?;
                        s.try_read(buf)
                    }
                    #[cfg(unix)]
                    Plain::Unix(s) => {
                        s.readable().await?;
                        s.try_read(buf)
                    }
                };
                match r {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    r => return r,
                }
            }
        })
        .await
    }

    /// Writes some of `buf`, waiting at most `timeout` for room.
    /// Cancel-safe: a dropped future wrote nothing.
    pub(crate) async fn write(&self, buf: &[u8], timeout: Option<Duration>) -> io::Result<usize> {
        with_timeout(timeout, async {
            loop {
                let r = match &self.plain {
                    Plain::Tcp(s) => {
                        s.writable().await?;
                        s.try_write(buf)
                    }
                    #[cfg(unix)]
                    Plain::Unix(s) => {
                        s.writable().await?;
                        s.try_write(buf)
                    }
                };
                match r {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Ok(0) if !buf.is_empty() => return Err(io::ErrorKind::WriteZero.into()),
                    r => return r,
                }
            }
        })
        .await
    }

    /// Writes some of `buf` now, for a caller that cannot wait (a `Drop`):
    /// what the socket takes without waiting.
    pub(crate) fn write_now(&self, buf: &[u8]) -> io::Result<usize> {
        match &self.plain {
            Plain::Tcp(s) => s.try_write(buf),
            #[cfg(unix)]
            Plain::Unix(s) => s.try_write(buf),
        }
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
            Io::Tls(s) => s.get_ref().1.alpn_protocol() == Some(b"h2"),
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
            Io::Tls(s) => bare_ref(s.get_ref().0),
            io => bare_ref(io),
        }
    }

    /// Takes the stream apart for an HTTP/2 connection; a stream with
    /// TLS nested in TLS is given back.
    pub(crate) fn split(self) -> std::result::Result<Split, Stream> {
        if !self.splittable() {
            return Err(self);
        }
        match self.io {
            #[cfg(feature = "rustls")]
            Io::Tls(s) => {
                let (sock, conn) = s.into_inner();
                let (plain, leftover) = bare(sock).map_err(|_| ()).expect("checked splittable");
                Ok(Split {
                    socket: SharedSocket { plain },
                    tls: Some(conn),
                    leftover,
                })
            }
            io => {
                let (plain, leftover) = bare(io).map_err(|_| ()).expect("checked splittable");
                Ok(Split {
                    socket: SharedSocket { plain },
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
pub(crate) async fn tls_connect(
    stream: Stream,
    config: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
    timeout: Option<Duration>,
) -> io::Result<Stream> {
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls = with_timeout(timeout, connector.connect(name, stream.io)).await?;
    Ok(Stream {
        io: Io::Tls(Box::new(tls)),
    })
}

/// Resolves `host:port` (a bare host: IPv6 without brackets) with the
/// system resolver (on tokio's blocking pool).
pub(crate) async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

async fn connect_one(addr: SocketAddr, local: Option<IpAddr>) -> io::Result<Stream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    socket.set_nodelay(true)?;
    let tcp = socket.connect(addr).await?;
    Ok(Stream {
        io: Io::Plain(Plain::Tcp(tcp)),
    })
}

/// Connects to `addr` within `timeout` (TCP_NODELAY set; `local` bound
/// first).
pub(crate) async fn connect_tcp(
    addr: SocketAddr,
    timeout: Option<Duration>,
    local: Option<IpAddr>,
) -> io::Result<Stream> {
    with_timeout(timeout, connect_one(addr, local)).await
}

/// Connect attempts running at once (Happy Eyeballs): each a task; the
/// engine decides when to start one and how long to wait. Dropped, the
/// race aborts the attempts still running.
#[derive(Debug)]
pub(crate) struct Race {
    set: tokio::task::JoinSet<io::Result<Stream>>,
    local: Option<IpAddr>,
}

impl Race {
    pub(crate) fn new(local: Option<IpAddr>) -> Race {
        Race {
            set: tokio::task::JoinSet::new(),
            local,
        }
    }

    /// Starts an attempt to connect to `addr` within `timeout`.
    pub(crate) fn start(&mut self, addr: SocketAddr, timeout: Option<Duration>) -> io::Result<()> {
        let local = self.local;
        self.set
            .spawn(async move { with_timeout(timeout, connect_one(addr, local)).await });
        Ok(())
    }

    /// Attempts started and not finished.
    pub(crate) fn pending(&self) -> usize {
        self.set.len()
    }

    /// The next attempt to finish, waiting at most `wait` (`None`: as long
    /// as it takes); `None` when the wait passed first.
    pub(crate) async fn next(&mut self, wait: Option<Duration>) -> Option<io::Result<Stream>> {
        let joined = async {
            match self.set.join_next().await {
                Some(Ok(result)) => result,
                Some(Err(e)) => Err(io::Error::other(e)),
                None => Err(io::ErrorKind::NotConnected.into()),
            }
        };
        match wait {
            Some(w) => tokio::time::timeout(w, joined).await.ok(),
            None => Some(joined.await),
        }
    }
}

/// Connects to the Unix domain socket at `path`.
#[cfg(unix)]
pub(crate) async fn connect_unix(
    path: &std::path::Path,
    timeout: Option<Duration>,
) -> io::Result<Stream> {
    let s = with_timeout(timeout, tokio::net::UnixStream::connect(path)).await?;
    Ok(Stream {
        io: Io::Plain(Plain::Unix(s)),
    })
}

/// A one-shot wake-up for a task waiting on the pool: `notify` from any
/// thread (also from `Drop`), `wait` with a timeout. A notify before the
/// wait is not lost (tokio's `Notify` keeps one permit).
#[derive(Debug, Default)]
pub(crate) struct Signal {
    notify: tokio::sync::Notify,
}

impl Signal {
    pub(crate) fn notify(&self) {
        self.notify.notify_one();
    }

    /// Waits for a notify; false when `timeout` passed first.
    pub(crate) async fn wait(&self, timeout: Option<Duration>) -> bool {
        match timeout {
            None => {
                self.notify.notified().await;
                true
            }
            Some(t) => tokio::time::timeout(t, self.notify.notified())
                .await
                .is_ok(),
        }
    }
}

/// Waits for `d`.
pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Reads the next bytes of a `Body` the caller gave (a streaming request
/// body, or a response body a custom transport made). A blocking `Read`
/// body is read in place (meant for in-memory readers and files; use
/// `AsyncBody` for anything slow).
pub(crate) async fn read_user_body(body: &mut Body, buf: &mut [u8]) -> io::Result<usize> {
    match &mut body.inner {
        Inner::Empty => Ok(0),
        Inner::Bytes(_) => Err(io::Error::other("in-memory body is sent directly")),
        Inner::Reader { .. } | Inner::Replayable { .. } => {
            body.read_blocking(buf).expect("a Read body")
        }
        Inner::AsyncReader { reader, .. } => reader.read(buf).await,
        Inner::Stream { stream, rest, .. } => {
            while rest.is_empty() {
                let next = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
                match next {
                    None => return Ok(0),
                    Some(item) => *rest = item?,
                }
            }
            Ok(crate::body::take_into(rest, buf))
        }
        #[cfg(feature = "tower")]
        Inner::Frames {
            body,
            rest,
            trailers,
        } => {
            while rest.is_empty() {
                let next =
                    std::future::poll_fn(|cx| http_body::Body::poll_frame(body.as_mut(), cx)).await;
                match next {
                    None => return Ok(0),
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => *rest = data,
                        Err(frame) => {
                            if let Ok(more) = frame.into_trailers() {
                                trailers.get_or_insert_with(Default::default).extend(more);
                            }
                        }
                    },
                    // An error of ferrohttp's (a read timeout) keeps its kind.
                    Some(Err(e)) => {
                        return Err(match e.downcast::<crate::Error>() {
                            Ok(e) => io::Error::from(*e),
                            Err(e) => io::Error::other(e),
                        })
                    }
                }
            }
            Ok(crate::body::take_into(rest, buf))
        }
    }
}

type ReadFuture = Pin<
    Box<
        dyn Future<
                Output = (
                    Box<super::engine::ResponseBody>,
                    Vec<u8>,
                    crate::Result<usize>,
                ),
            > + Send,
    >,
>;

/// The state of `AsyncRead for AsyncResponse`: the body's in-flight read,
/// which owns the body until it completes, and bytes read but not yet taken
/// (`ready[ready_pos..ready_end]`; the buffer keeps its length, so a read
/// does not zero it again).
#[derive(Default)]
pub(crate) struct PendingRead {
    pub(crate) future: Option<ReadFuture>,
    pub(crate) ready: Vec<u8>,
    pub(crate) ready_pos: usize,
    pub(crate) ready_end: usize,
}

impl std::fmt::Debug for PendingRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRead")
            .field("in_flight", &self.future.is_some())
            .field("ready", &(self.ready_end - self.ready_pos))
            .finish()
    }
}

/// Runs a test scenario written once for both clients: here, a future, on
/// a runtime of its own.
#[cfg(test)]
pub(crate) fn run_test<F: Future>(scenario: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(scenario)
}

/// Runs the future `f` makes as a task (the blocking shim: a thread), for
/// tests of code that waits on other callers.
#[cfg(test)]
pub(crate) fn spawn_test<F, Fut>(f: F) -> tokio::task::JoinHandle<()>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(f())
}

/// What `spawn_test` returns.
#[cfg(test)]
pub(crate) type TestTask = tokio::task::JoinHandle<()>;

/// Waits for what `spawn_test` started; its panic is the test's.
#[cfg(test)]
pub(crate) async fn join_test(handle: tokio::task::JoinHandle<()>) {
    if let Err(e) = handle.await {
        std::panic::resume_unwind(e.into_panic());
    }
}
