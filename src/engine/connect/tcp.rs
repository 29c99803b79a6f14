//! The TCP step: the host's addresses (a `resolve` override, or the system
//! resolver), interleaved by family and raced (Happy Eyeballs, RFC 8305).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::{io_error, maybe, rt, Budget, ConnectOptions, Phase};
use crate::error::{Error, ErrorKind, Result};
use crate::happy::CONNECTION_ATTEMPT_DELAY;
use crate::timings::ConnectMarks;

#[maybe]
/// A TCP connection to `host` (bare, lower-case) and `port` within the
/// budget.
pub(super) async fn open(
    host: &str,
    port: u16,
    name: &str,
    options: &ConnectOptions,
    budget: &Budget<'_>,
    marks: &mut ConnectMarks,
) -> Result<rt::Stream> {
    let addrs = resolve(host, port, options).await?;
    marks.resolved = Some(Instant::now());
    let addrs = crate::happy::interleave(addrs);
    let (limit, by_deadline) = budget.limit();
    let stream = race(&addrs, limit, options.local_address)
        .await
        .map_err(|e| io_error(e, Phase::Connect, name, budget.deadline, by_deadline))?;
    marks.connected = Some(Instant::now());
    Ok(stream)
}

#[maybe]
/// The addresses of `host`: a `resolve` override, or the system
/// resolver's answer; never empty.
pub(super) async fn resolve(
    host: &str,
    port: u16,
    options: &ConnectOptions,
) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = match options.resolve.get(host) {
        Some(addrs) => addrs
            .iter()
            .map(|a| SocketAddr::new(a.ip(), if a.port() == 0 { port } else { a.port() }))
            .collect(),
        None => rt::resolve(host, port).await.map_err(|e| {
            Error::new(ErrorKind::Connect, format!("failed to resolve host {host}")).with_source(e)
        })?,
    };
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Connect,
            format!("host {host} resolved to no addresses"),
        ));
    }
    Ok(addrs)
}

#[maybe]
/// Connects to the first of `addrs` that answers, racing them as RFC 8305
/// says: the next attempt starts 250 ms after the previous one (or as soon
/// as it fails) while earlier ones go on; `limit` bounds the whole. One
/// address is a plain connect, with no race.
async fn race(
    addrs: &[SocketAddr],
    limit: Option<Duration>,
    local: Option<IpAddr>,
) -> std::io::Result<rt::Stream> {
    if let [addr] = addrs {
        return rt::connect_tcp(*addr, limit, local).await;
    }
    // A limit too large for the clock (`Duration::MAX`) is none.
    let until = limit.and_then(|l| Instant::now().checked_add(l));
    let remaining = || until.map(|u| u.saturating_duration_since(Instant::now()));
    let timed_out = || std::io::Error::from(std::io::ErrorKind::TimedOut);
    let mut race = rt::Race::new(local);
    let mut next = 0;
    let mut last_err = None;
    loop {
        if next < addrs.len() && remaining() != Some(Duration::ZERO) {
            race.start(addrs[next], remaining())?;
            next += 1;
        }
        if race.pending() == 0 {
            return Err(last_err.unwrap_or_else(timed_out));
        }
        let wait = match (next < addrs.len(), remaining()) {
            (true, Some(r)) => Some(r.min(CONNECTION_ATTEMPT_DELAY)),
            (true, None) => Some(CONNECTION_ATTEMPT_DELAY),
            (false, left) => left,
        };
        match race.next(wait).await {
            Some(Ok(stream)) => return Ok(stream),
            // Failed: the next address starts at once (the loop's top).
            Some(Err(e)) => last_err = Some(e),
            None if remaining() == Some(Duration::ZERO) => return Err(timed_out()),
            // The attempt delay passed: the next address starts.
            None => {}
        }
    }
}
