//! Opening a connection, as a chain of steps under one connect deadline:
//! a socket ([`tcp`]: resolving, Happy Eyeballs; or [`uds`]: a Unix domain
//! socket) to the origin or to a proxy; for a proxy, TLS to an HTTPS proxy
//! ([`tls`]) and a tunnel through it ([`tunnel`]: HTTP CONNECT; or
//! [`socks`]); then TLS to the origin ([`tls`]) for `https`.

mod socks;
mod tcp;
#[cfg(feature = "rustls")]
mod tls;
mod tunnel;

use tunnel::Tunnel;
#[cfg(unix)]
mod uds;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
#[cfg(feature = "rustls")]
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::deadline::{io_error, Deadline, Phase};
use super::maybe;
use super::rt;
use crate::config::H1Limits;
use crate::error::{ErrorKind, Result};
use crate::proxy::{Proxy, ProxyScheme};
use crate::timings::ConnectMarks;

/// Where and how to connect (httpx's `HTTPTransport` options).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectOptions {
    /// The source address to bind before connecting.
    pub(crate) local_address: Option<IpAddr>,
    /// Connect to this Unix domain socket instead of the URL's host.
    pub(crate) uds: Option<PathBuf>,
    /// Addresses to use instead of resolving a host name (curl's `--resolve`);
    /// a port of 0 means the URL's port.
    pub(crate) resolve: HashMap<String, Vec<SocketAddr>>,
    /// How many times to retry a failed connect.
    pub(crate) retries: u32,
    /// The TLS configuration; `None`: the process-wide default.
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// The same offering HTTP/2 by ALPN, made when first needed.
    #[cfg(feature = "rustls")]
    pub(crate) tls_h2: std::sync::OnceLock<Arc<rustls::ClientConfig>>,
}

impl ConnectOptions {
    /// The TLS configuration for an origin, offering `h2` by ALPN.
    #[cfg(feature = "rustls")]
    fn tls_for_h2(&self) -> Result<Arc<rustls::ClientConfig>> {
        if let Some(config) = self.tls_h2.get() {
            return Ok(config.clone());
        }
        let base = match &self.tls {
            Some(config) => config.clone(),
            None => crate::tls::default_config()?,
        };
        Ok(self
            .tls_h2
            .get_or_init(|| crate::tls::offering_h2(&base))
            .clone())
    }
}

/// Where to connect: `https` (TLS to the origin), host and port, and the
/// way there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) https: bool,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    /// The proxy on the way, if any.
    pub(crate) via: Option<&'a Proxy>,
    /// Whether requests are forwarded to that proxy (else tunnelled).
    pub(crate) forward: bool,
    /// Offer HTTP/2 by ALPN (when TLS to the origin runs straight over the
    /// socket, which an HTTP/2 connection can share).
    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "only a TLS build negotiates")
    )]
    pub(crate) alpn_h2: bool,
}

/// The time one step of a connect may take: what is left of the connect
/// timeout (one for the whole chain, as curl's `--connect-timeout` is),
/// bounded by the whole-request deadline.
#[derive(Debug, Clone, Copy)]
struct Budget<'a> {
    /// When the connect timeout runs out, if it does.
    until: Option<Instant>,
    deadline: &'a Deadline,
}

impl Budget<'_> {
    /// The limit for the next step, and whether the total deadline binds it.
    fn limit(&self) -> (Option<Duration>, bool) {
        let left = self
            .until
            .map(|u| u.saturating_duration_since(Instant::now()));
        self.deadline.limit(left)
    }
}

#[maybe]
/// Opens a stream to `target` (or through the Unix socket in `options`)
/// within `timeout` for the whole chain, retrying failures `options.retries`
/// times.
pub(crate) async fn connect(
    target: Target<'_>,
    name: &str,
    options: &ConnectOptions,
    limits: H1Limits,
    timeout: Option<Duration>,
    deadline: &Deadline,
    marks: &mut ConnectMarks,
) -> Result<rt::Stream> {
    let mut attempt = 0;
    loop {
        match connect_once(target, name, options, limits, timeout, deadline, marks).await {
            Ok(stream) => return Ok(stream),
            // httpx's `retries`: only failures to connect, where nothing
            // of the request was sent; never past the deadline, and never
            // a proxy's refusal (an answer, not a failure to connect). The
            // backoff is httpcore's: 0 s, then 0.5 s doubling.
            Err(e)
                if attempt < options.retries
                    && !matches!(e.kind(), ErrorKind::TotalTimeout | ErrorKind::Proxy) =>
            {
                let delay = retry_delay(attempt);
                let (left, _) = deadline.limit(None);
                if left.is_some_and(|l| l <= delay) {
                    return Err(e);
                }
                rt::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[maybe]
/// One attempt: the socket (to the origin or the proxy), then TLS to an
/// HTTPS proxy, a CONNECT tunnel through it, and TLS to an `https` origin,
/// all within one budget.
async fn connect_once(
    target: Target<'_>,
    name: &str,
    options: &ConnectOptions,
    limits: H1Limits,
    timeout: Option<Duration>,
    deadline: &Deadline,
    marks: &mut ConnectMarks,
) -> Result<rt::Stream> {
    let budget = Budget {
        until: timeout.and_then(|t| Instant::now().checked_add(t)),
        deadline,
    };
    let (limit, by_deadline) = budget.limit();
    if limit == Some(Duration::ZERO) && by_deadline {
        return Err(deadline.error("connecting", name));
    }
    // A proxy's Digest challenge to CONNECT is answered on a new
    // connection (the proxy may close the refused one), once.
    let mut proxy_authorization = None;
    let stream = loop {
        let stream = first_hop(target, name, options, &budget, marks).await?;
        let Some(proxy) = target.via else {
            break stream;
        };
        if let Some(version) = proxy.scheme.socks() {
            break socks::open(stream, target, proxy, version, options, &budget).await?;
        }
        if target.forward {
            break stream;
        }
        let auth = proxy_authorization.as_ref();
        match tunnel::open(stream, target, proxy, auth, limits, &budget).await? {
            Tunnel::Open(stream) => break stream,
            Tunnel::Challenged(answer) => proxy_authorization = Some(answer),
        }
    };
    if !target.https || target.forward {
        return Ok(stream);
    }
    #[cfg(feature = "rustls")]
    {
        let h2_config;
        let config = if target.alpn_h2 && stream.splittable() {
            h2_config = options.tls_for_h2()?;
            Some(&h2_config)
        } else {
            options.tls.as_ref()
        };
        let stream = tls::handshake(stream, target.host, config, name, &budget).await?;
        marks.tls_done = Some(Instant::now());
        Ok(stream)
    }
    #[cfg(not(feature = "rustls"))]
    Err(crate::error::https_unsupported())
}

#[maybe]
/// The socket to the first hop (the proxy, if any, else the origin; or the
/// Unix socket), with TLS to an HTTPS proxy.
async fn first_hop(
    target: Target<'_>,
    name: &str,
    options: &ConnectOptions,
    budget: &Budget<'_>,
    marks: &mut ConnectMarks,
) -> Result<rt::Stream> {
    let (host, port, hop_name): (&str, u16, std::borrow::Cow<'_, str>) = match target.via {
        Some(proxy) => (&proxy.host, proxy.port, format!("proxy {proxy}").into()),
        None => (target.host, target.port, name.into()),
    };
    #[cfg(unix)]
    let unix = match &options.uds {
        Some(path) => {
            let stream = uds::open(path, budget).await?;
            marks.connected = Some(Instant::now());
            Some(stream)
        }
        None => None,
    };
    #[cfg(not(unix))]
    let unix = None;
    let stream = match unix {
        Some(stream) => stream,
        None => tcp::open(host, port, &hop_name, options, budget, marks)
            .await
            .map_err(|e| match target.via {
                // "failed to resolve host ...": say it was the proxy's name.
                Some(_) if e.kind() == ErrorKind::Connect && !e.message().contains("proxy") => {
                    e.prefixed(&hop_name)
                }
                _ => e,
            })?,
    };
    match target.via {
        Some(proxy) if proxy.scheme == ProxyScheme::Https => {
            #[cfg(feature = "rustls")]
            {
                let config = proxy.tls.as_ref().or(options.tls.as_ref());
                tls::handshake(stream, host, config, &hop_name, budget).await
            }
            #[cfg(not(feature = "rustls"))]
            Err(crate::error::https_unsupported())
        }
        _ => Ok(stream),
    }
}

/// The wait before connect retry number `attempt` (0-based): httpcore's
/// exponential backoff with factor 0.5 (0 s, 0.5 s, 1 s, 2 s, ...), capped.
pub(crate) fn retry_delay(attempt: u32) -> Duration {
    if attempt == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(500u64.saturating_mul(1 << (attempt - 1).min(6)))
}
