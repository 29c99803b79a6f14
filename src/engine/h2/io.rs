//! The byte side of an HTTP/2 connection that many callers share: one of
//! them reads while another writes, with no background task and no lock
//! held across a wait on the socket.
//!
//! rustls' `StreamOwned` needs `&mut` to read or write, so a caller
//! blocked reading it would block every writer. Here the TLS session is
//! taken apart from its socket: a read waits on the bare socket with no
//! lock held, then feeds the raw bytes to the session under a short lock;
//! a write seals plaintext under the same short lock into an outbox, whose
//! bytes one writer at a time moves to the socket. Bytes sealed are never
//! lost: what a failed or cancelled write left stays in the outbox, first.
//!
//! The reader feeds the raw bytes to the session with the connection's
//! lock held, and the frame reader takes the plaintext from the session's
//! buffers where it lies ([`H2Io::take_plaintext`]). Locks are taken in one
//! order only: the connection's, then the session's, then the outbox's.

use std::io;
#[cfg(feature = "rustls")]
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::super::maybe;
use super::super::rt;

/// The size of each read from the socket. A connection carries many
/// streams: larger reads than one response's (fewer calls, and fewer turns
/// of the locks and of the frame reader per byte). 1 GiB from hyper's
/// server over TLS, blocking client, alternated runs: 2 685–2 981 MB/s with
/// 32 KiB reads, 2 969–3 474 with 128 KiB.
const READ_SIZE: usize = 128 * 1024;

/// What a read brought.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrived {
    /// The socket's bytes, at the front of the read buffer.
    pub(crate) n: usize,
    /// The peer closed the stream.
    pub(crate) end: bool,
}

/// Bytes ready for the socket, whether a caller is writing them, and the
/// callers waiting for that write to end.
#[derive(Debug, Default)]
struct Outbox {
    bytes: Vec<u8>,
    writing: bool,
    waiters: Vec<Arc<rt::Signal>>,
}

impl Outbox {
    /// The writer is done (or gave up): the waiters look again.
    fn end_write(&mut self) {
        self.writing = false;
        for w in self.waiters.drain(..) {
            w.notify();
        }
    }
}

/// What a caller that wants the outbox written finds.
enum Turn {
    /// Nothing to write.
    Empty,
    /// Another caller is writing.
    Busy,
    /// Its turn: these bytes.
    Write(Vec<u8>),
}

/// A socket (with its TLS session, if any) shared by an HTTP/2
/// connection's callers.
#[derive(Debug)]
pub(crate) struct H2Io {
    socket: rt::SharedSocket,
    #[cfg(feature = "rustls")]
    tls: Option<Mutex<rustls::ClientConnection>>,
    out: Mutex<Outbox>,
    /// Plaintext read past a handshake reply (h2c through a tunnel), handed
    /// out before the socket's.
    early: Mutex<Vec<u8>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section leaves its data consistent at every step.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl H2Io {
    /// The shared side of a stream taken apart.
    pub(crate) fn new(split: rt::Split) -> io::Result<H2Io> {
        let io = H2Io {
            socket: split.socket,
            #[cfg(feature = "rustls")]
            tls: split.tls.map(Mutex::new),
            out: Mutex::default(),
            early: Mutex::default(),
        };
        #[cfg(feature = "rustls")]
        if let Some(tls) = &io.tls {
            let mut plain = Vec::new();
            io.feed(tls, &split.leftover, |chunk| {
                plain.extend_from_slice(chunk);
                true
            })?;
            *lock(&io.early) = plain;
            return Ok(io);
        }
        *lock(&io.early) = split.leftover;
        Ok(io)
    }

    /// Queues `plain` to be written, sealed by TLS if the stream has it
    /// (in the order of the calls).
    pub(crate) fn queue(&self, plain: &[u8]) -> io::Result<()> {
        if plain.is_empty() {
            return Ok(());
        }
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            let mut tls = lock(tls);
            // Sealed into the outbox under the session's lock, so records
            // go out in the order they were numbered.
            let mut out = lock(&self.out);
            let mut rest = plain;
            while !rest.is_empty() {
                let n = tls.writer().write(rest)?;
                rest = &rest[n..];
                let mut sealed = false;
                while tls.wants_write() {
                    tls.write_tls(&mut out.bytes)?;
                    sealed = true;
                }
                if n == 0 && !sealed {
                    return Err(io::Error::other("the TLS session takes no more bytes"));
                }
            }
            return Ok(());
        }
        lock(&self.out).bytes.extend_from_slice(plain);
        Ok(())
    }

    /// Bytes queued and not yet written.
    pub(crate) fn pending(&self) -> usize {
        lock(&self.out).bytes.len()
    }

    /// Writes what the socket takes at once, for a caller that cannot wait
    /// (a stream reset from `Drop`); the rest stays queued.
    pub(crate) fn flush_now(&self) {
        let mut out = lock(&self.out);
        if out.writing {
            return;
        }
        let mut at = 0;
        while at < out.bytes.len() {
            match self.socket.write_now(&out.bytes[at..]) {
                Ok(n) if n > 0 => at += n,
                _ => break,
            }
        }
        out.bytes.drain(..at);
    }

    /// Feeds raw bytes to the TLS session, handing the plaintext they
    /// held to `take` where it lies, chunk by chunk (the session holds
    /// only so much undelivered plaintext before it refuses more records);
    /// true when the peer closed the session. Stops early when `take`
    /// returns false.
    #[cfg(feature = "rustls")]
    fn feed(
        &self,
        tls: &Mutex<rustls::ClientConnection>,
        mut raw: &[u8],
        mut take: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<bool> {
        let mut tls = lock(tls);
        let mut closed = false;
        // At least once: plaintext the session held before it was taken apart.
        loop {
            if !raw.is_empty() {
                tls.read_tls(&mut raw)?;
            }
            let state = match tls.process_new_packets() {
                Ok(state) => state,
                Err(e) => {
                    // The alert goes out with the next write.
                    let _ = tls.write_tls(&mut lock(&self.out).bytes);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
            };
            closed |= state.peer_has_closed();
            if !drain_plaintext(&mut tls, &mut take)? {
                return Ok(closed);
            }
            if raw.is_empty() {
                break;
            }
        }
        // A key update answered, a ticket acknowledged: out with the next write.
        if tls.wants_write() {
            let mut out = lock(&self.out);
            while tls.wants_write() {
                tls.write_tls(&mut out.bytes)?;
            }
        }
        Ok(closed)
    }

    /// Hands the plaintext of the `raw` bytes a read brought to `take`,
    /// piece by piece where it lies (in the TLS session's buffers, or in
    /// `raw` itself without TLS): first any bytes read past a handshake.
    /// Stops early when `take` returns false (the connection failed: the
    /// rest is not wanted). True when the peer closed the TLS session.
    pub(crate) fn take_plaintext(
        &self,
        raw: &[u8],
        mut take: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<bool> {
        let early = std::mem::take(&mut *lock(&self.early));
        if !early.is_empty() && !take(&early) {
            return Ok(false);
        }
        if raw.is_empty() {
            return Ok(false);
        }
        #[cfg(feature = "rustls")]
        if let Some(tls) = &self.tls {
            return self.feed(tls, raw, take);
        }
        take(raw);
        Ok(false)
    }
}

/// Hands the session's received plaintext to `take`, chunk by chunk,
/// until there is none (true) or `take` returns false (false).
#[cfg(feature = "rustls")]
fn drain_plaintext(
    tls: &mut rustls::ClientConnection,
    take: &mut impl FnMut(&[u8]) -> bool,
) -> io::Result<bool> {
    let mut reader = tls.reader();
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) if !chunk.is_empty() => chunk,
            Ok(_) => return Ok(true),
            // No more for now; the end of the stream is the socket's to tell.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::UnexpectedEof
                ) =>
            {
                return Ok(true)
            }
            Err(e) => return Err(e),
        };
        let n = chunk.len();
        let go = take(chunk);
        reader.consume(n);
        if !go {
            return Ok(false);
        }
    }
}

/// A write in progress: on an error or a dropped future, the bytes not
/// written go back to the front of the outbox, and the next writer starts
/// from them.
struct Writing<'a> {
    io: &'a H2Io,
    buf: Vec<u8>,
    at: usize,
    done: bool,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut out = lock(&self.io.out);
        let mut rest = self.buf.split_off(self.at);
        rest.append(&mut out.bytes);
        out.bytes = rest;
        out.end_write();
    }
}

impl H2Io {
    /// Takes the writer's turn if it is free and there is something to
    /// write; `waiter` is told when a busy writer ends.
    fn turn(&self, waiter: Option<&Arc<rt::Signal>>) -> Turn {
        let mut out = lock(&self.out);
        if out.bytes.is_empty() {
            Turn::Empty
        } else if out.writing {
            if let Some(w) = waiter {
                out.waiters.push(w.clone());
            }
            Turn::Busy
        } else {
            out.writing = true;
            Turn::Write(std::mem::take(&mut out.bytes))
        }
    }
}

#[maybe]
impl H2Io {
    /// Writes every queued byte (also those queued meanwhile), each wait
    /// for room bounded by `timeout`. Returns false at once when another
    /// caller is writing: that one writes these bytes too.
    pub(crate) async fn flush(&self, timeout: Option<Duration>) -> io::Result<bool> {
        match self.turn(None) {
            Turn::Write(buf) => self.write_out(buf, timeout).await.map(|()| true),
            Turn::Empty | Turn::Busy => Ok(false),
        }
    }

    /// Writes every queued byte, or waits (on `signal`, at most `timeout`)
    /// for the caller writing them: once it returns, what was queued
    /// before the call has reached the socket. This bounds the outbox: a
    /// request body queues its next bytes only after its last went out.
    pub(crate) async fn flush_wait(
        &self,
        signal: &Arc<rt::Signal>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        loop {
            match self.turn(Some(signal)) {
                Turn::Empty => return Ok(()),
                Turn::Write(buf) => return self.write_out(buf, timeout).await,
                Turn::Busy => {
                    if !signal.wait(timeout).await {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "timed out waiting to write",
                        ));
                    }
                }
            }
        }
    }

    /// The writer's turn: `buf`, then whatever was queued meanwhile.
    async fn write_out(&self, buf: Vec<u8>, timeout: Option<Duration>) -> io::Result<()> {
        let mut w = Writing {
            io: self,
            buf,
            at: 0,
            done: false,
        };
        loop {
            while w.at < w.buf.len() {
                let n = self.socket.write(&w.buf[w.at..], timeout).await?;
                w.at += n;
            }
            let mut out = lock(&self.out);
            w.buf.clear();
            w.at = 0;
            // The emptied buffer (its capacity) becomes the outbox's.
            std::mem::swap(&mut w.buf, &mut out.bytes);
            if w.buf.is_empty() {
                out.end_write();
                w.done = true;
                return Ok(());
            }
        }
    }

    /// Reads from the peer into `raw` (sized here), waiting at most
    /// `timeout` for bytes; their plaintext is then taken with
    /// [`H2Io::take_plaintext`] (decrypted there, with TLS). A dropped
    /// future read nothing.
    pub(crate) async fn read(
        &self,
        raw: &mut Vec<u8>,
        timeout: Option<Duration>,
    ) -> io::Result<Arrived> {
        if !lock(&self.early).is_empty() {
            return Ok(Arrived { n: 0, end: false });
        }
        if raw.len() < READ_SIZE {
            raw.resize(READ_SIZE, 0);
        }
        let n = self.socket.read(raw, timeout).await?;
        Ok(Arrived { n, end: n == 0 })
    }
}
