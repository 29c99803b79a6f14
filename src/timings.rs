//! [`Timings`]: when each phase of one request ended.

use std::time::{Duration, Instant};

/// When each phase of a request ended, measured from the start of the
/// request (as curl's `-w` times are), from `Response::timings()`.
///
/// A phase that did not happen is `None`: no name lookup, connect or TLS
/// handshake on a reused connection, no TLS handshake for `http://`, and no
/// end before the body was read to its end. Through a proxy, `connect` is
/// the connection to the proxy and `tls_handshake` the one with the
/// origin. A response from a custom transport (a mock, an in-process app)
/// has no network phases. Each response of a redirect chain
/// (`Response::history`) keeps its own.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut r = ferrohttp::get("https://127.0.0.1:8443/").send()?;
/// std::io::copy(&mut r, &mut std::io::sink())?; // the body, to its end
/// let t = r.timings();
/// println!(
///     "dns {:?} connect {:?} tls {:?} first byte {:?} total {:?}",
///     t.name_lookup(), t.connect(), t.tls_handshake(), t.first_byte(), t.end()
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    pub(crate) name_lookup: Option<Duration>,
    pub(crate) connect: Option<Duration>,
    pub(crate) tls_handshake: Option<Duration>,
    pub(crate) request_sent: Option<Duration>,
    pub(crate) first_byte: Option<Duration>,
    pub(crate) end: Option<Duration>,
}

impl Timings {
    /// When the host's name was resolved (curl's `time_namelookup`).
    pub fn name_lookup(&self) -> Option<Duration> {
        self.name_lookup
    }

    /// When the TCP (or Unix socket) connection was established, to the
    /// origin or the proxy (curl's `time_connect`).
    pub fn connect(&self) -> Option<Duration> {
        self.connect
    }

    /// When the TLS handshake with the origin completed (curl's
    /// `time_appconnect`).
    pub fn tls_handshake(&self) -> Option<Duration> {
        self.tls_handshake
    }

    /// When the request, body included, was fully written.
    pub fn request_sent(&self) -> Option<Duration> {
        self.request_sent
    }

    /// When the first byte of the response arrived (curl's
    /// `time_starttransfer`).
    pub fn first_byte(&self) -> Option<Duration> {
        self.first_byte
    }

    /// When the body was read to its end (curl's `time_total`); `None`
    /// until then.
    pub fn end(&self) -> Option<Duration> {
        self.end
    }
}

/// The instants a connect records, for [`Timings`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ConnectMarks {
    pub(crate) resolved: Option<Instant>,
    pub(crate) connected: Option<Instant>,
    pub(crate) tls_done: Option<Instant>,
}

impl ConnectMarks {
    /// The marks as times since `start`.
    pub(crate) fn apply(&self, start: Instant, t: &mut Timings) {
        let since = |i: Option<Instant>| i.map(|i| i.saturating_duration_since(start));
        t.name_lookup = since(self.resolved);
        t.connect = since(self.connected);
        t.tls_handshake = since(self.tls_done);
    }
}
