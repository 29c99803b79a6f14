//! The blocking runtime shim: std::net sockets with socket deadlines. The
//! engine reaches the outside world only through these names; the async shim
//! (`nonblocking/rt.rs`) has the same names as `async fn`s.

use std::io::{self, IoSlice, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::body::{Body, Inner};

/// A connected byte stream (TCP now; TLS joins it in its own issue).
#[derive(Debug)]
pub(crate) struct Stream {
    tcp: TcpStream,
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
    fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if self.read_timeout != Some(t) {
            self.tcp.set_read_timeout(socket_timeout(t))?;
            self.read_timeout = Some(t);
        }
        Ok(())
    }

    fn set_write_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if self.write_timeout != Some(t) {
            self.tcp.set_write_timeout(socket_timeout(t))?;
            self.write_timeout = Some(t);
        }
        Ok(())
    }

    /// Reads into `buf`, waiting at most `timeout` for the first byte.
    pub(crate) fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<usize> {
        self.set_read_timeout(timeout)?;
        loop {
            match self.tcp.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timed_out),
            }
        }
    }

    /// Writes all of `bufs`, in as few syscalls as the socket allows; each
    /// wait for the socket is bounded by `timeout`.
    pub(crate) fn write_all_vectored(
        &mut self,
        mut bufs: &mut [IoSlice<'_>],
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        self.set_write_timeout(timeout)?;
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match self.tcp.write_vectored(bufs) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(timed_out(e)),
            }
        }
        Ok(())
    }
}

/// Resolves `host:port` with the system resolver.
pub(crate) fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // IPv6 literals come from `Url::host_str` in brackets.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Opens a TCP connection to `addr` within `timeout`, with TCP_NODELAY.
pub(crate) fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<Stream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    let sa = SockAddr::from(addr);
    match timeout {
        Some(t) => socket
            .connect_timeout(&sa, t.max(Duration::from_micros(1)))
            .map_err(timed_out)?,
        None => socket.connect(&sa)?,
    }
    socket.set_tcp_nodelay(true)?;
    Ok(Stream {
        tcp: socket.into(),
        read_timeout: None,
        write_timeout: None,
    })
}

/// Reads the next bytes of a streaming request body.
pub(crate) fn read_body(body: &mut Body, buf: &mut [u8]) -> io::Result<usize> {
    match &mut body.inner {
        Inner::Empty => Ok(0),
        Inner::Bytes(_) => Err(io::Error::other("in-memory body is sent directly")),
        Inner::Reader { reader, .. } => loop {
            match reader.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        },
        #[cfg(feature = "async")]
        Inner::AsyncReader { .. } | Inner::Stream { .. } => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "an AsyncBody can only be sent by the async client",
        )),
    }
}

/// No state is needed to read a response body synchronously; the async shim
/// keeps its in-flight read here.
#[derive(Debug, Default)]
pub(crate) struct PendingRead {
    _private: (),
}
