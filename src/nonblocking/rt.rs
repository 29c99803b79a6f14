//! The async runtime shim: tokio sockets, with `tokio::time::timeout` as the
//! deadline. Same names and signatures as `blocking/rt.rs`, as `async fn`s.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::body::{Body, Inner};

/// A connected byte stream.
#[derive(Debug)]
pub(crate) struct Stream {
    tcp: TcpStream,
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
    /// Reads into `buf`, waiting at most `timeout` for the first byte.
    pub(crate) async fn read(
        &mut self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        with_timeout(timeout, self.tcp.read(buf)).await
    }

    /// Writes all of `bufs`; each wait for the socket is bounded by `timeout`.
    pub(crate) async fn write_all_vectored(
        &mut self,
        mut bufs: &mut [IoSlice<'_>],
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            let n = with_timeout(timeout, self.tcp.write_vectored(bufs)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut bufs, n);
        }
        Ok(())
    }
}

/// Resolves `host:port` with the system resolver (on tokio's blocking pool).
pub(crate) async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// Opens a TCP connection to `addr` within `timeout`, with TCP_NODELAY.
pub(crate) async fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<Stream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_nodelay(true)?;
    let tcp = with_timeout(timeout, socket.connect(addr)).await?;
    Ok(Stream { tcp })
}

/// Reads the next bytes of a streaming request body. A blocking `Read`
/// body is read in place (meant for in-memory readers and files; use
/// `AsyncBody` for anything slow).
pub(crate) async fn read_body(body: &mut Body, buf: &mut [u8]) -> io::Result<usize> {
    match &mut body.inner {
        Inner::Empty => Ok(0),
        Inner::Bytes(_) => Err(io::Error::other("in-memory body is sent directly")),
        Inner::Reader { reader, .. } => loop {
            match reader.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        },
        Inner::AsyncReader { reader, .. } => reader.read(buf).await,
        Inner::Stream { stream, rest, .. } => {
            while rest.is_empty() {
                let next = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
                match next {
                    None => return Ok(0),
                    Some(item) => *rest = item?,
                }
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            let _ = rest.split_to(n);
            Ok(n)
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
/// which owns the body until it completes, and bytes read but not yet taken.
#[derive(Default)]
pub(crate) struct PendingRead {
    pub(crate) future: Option<ReadFuture>,
    pub(crate) ready: Vec<u8>,
    pub(crate) ready_pos: usize,
}

impl std::fmt::Debug for PendingRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRead")
            .field("in_flight", &self.future.is_some())
            .field("ready", &(self.ready.len() - self.ready_pos))
            .finish()
    }
}
