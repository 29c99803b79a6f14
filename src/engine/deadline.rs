//! Time limits and the errors of failed socket operations: the
//! whole-request deadline (`Timeout::total`), and which `ErrorKind` a
//! timeout or failure of each phase is.

use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// The whole-request deadline (`Timeout::total`), if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    total: Option<Duration>,
}

impl Deadline {
    /// A deadline `total` from now; none when `total` is `None` or too far
    /// away for the clock to represent (`Duration::MAX`): no deadline.
    pub(crate) fn new(total: Option<Duration>) -> Deadline {
        Deadline {
            at: total.and_then(|t| Instant::now().checked_add(t)),
            total,
        }
    }

    /// The timeout for one operation whose own limit is `phase`: the smaller
    /// of it and the time left; and whether the deadline is what binds.
    pub(crate) fn limit(&self, phase: Option<Duration>) -> (Option<Duration>, bool) {
        let Some(at) = self.at else {
            return (phase, false);
        };
        let left = at.saturating_duration_since(Instant::now());
        match phase {
            Some(p) if p < left => (Some(p), false),
            _ => (Some(left), true),
        }
    }

    /// An error when the deadline has passed: checked before each socket
    /// operation, because a peer that keeps sending never lets a read time out.
    pub(crate) fn check(&self, what: &str, target: &str) -> Result<()> {
        match self.at {
            Some(at) if Instant::now() >= at => Err(self.error(what, target)),
            _ => Ok(()),
        }
    }

    /// The error for an operation stopped by the deadline.
    pub(crate) fn error(&self, what: &str, target: &str) -> Error {
        let total = self.total.unwrap_or_default();
        Error::new(
            ErrorKind::TotalTimeout,
            format!("request to {target} exceeded its total timeout of {total:?} while {what}"),
        )
    }
}

/// The socket operation that failed, for its error's kinds and message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Connect,
    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "only a TLS build shakes hands")
    )]
    TlsHandshake,
    /// Asking a proxy for a tunnel (HTTP CONNECT).
    Tunnel,
    Write,
    ReadHead,
    ReadBody,
}

impl Phase {
    /// What was being done, for messages ("timed out connecting for ...").
    fn what(self) -> &'static str {
        match self {
            Phase::Connect => "connecting",
            Phase::TlsHandshake => "the TLS handshake",
            Phase::Tunnel => "opening a tunnel through the proxy",
            Phase::Write => "sending the request",
            Phase::ReadHead => "waiting for the response head",
            Phase::ReadBody => "receiving the response body",
        }
    }

    /// The kind of a timeout of the phase's own limit.
    fn timeout_kind(self) -> ErrorKind {
        match self {
            Phase::Connect | Phase::TlsHandshake | Phase::Tunnel => ErrorKind::ConnectTimeout,
            Phase::Write => ErrorKind::WriteTimeout,
            Phase::ReadHead | Phase::ReadBody => ErrorKind::ReadTimeout,
        }
    }

    /// The kind of any other failure.
    fn failure_kind(self) -> ErrorKind {
        match self {
            Phase::Connect => ErrorKind::Connect,
            Phase::TlsHandshake => ErrorKind::Tls,
            Phase::Tunnel => ErrorKind::Proxy,
            Phase::Write => ErrorKind::Write,
            Phase::ReadHead | Phase::ReadBody => ErrorKind::Read,
        }
    }
}

/// A failed socket operation of `phase` as an `Error`: the phase's timeout
/// kind for a timeout of its own limit, `TotalTimeout` when the deadline
/// bound it (`by_deadline`), else the phase's failure kind; TLS failures
/// as `tls::classify` names them.
pub(crate) fn io_error(
    e: std::io::Error,
    phase: Phase,
    target: &str,
    deadline: &Deadline,
    by_deadline: bool,
) -> Error {
    #[cfg(feature = "rustls")]
    if let Some(tls) = crate::tls::classify(&e, target) {
        return tls;
    }
    let what = phase.what();
    match e.kind() {
        std::io::ErrorKind::TimedOut if by_deadline => deadline.error(what, target).with_source(e),
        std::io::ErrorKind::TimedOut => Error::new(
            phase.timeout_kind(),
            format!("timed out {what} for {target}"),
        )
        .with_source(e),
        _ => Error::new(phase.failure_kind(), format!("{what} failed for {target}")).with_source(e),
    }
}
