//! Client configuration values: [`Timeout`], [`Limits`], and the merged
//! settings both clients share.

use std::time::Duration;

/// The default for each of the four timeouts (httpx: 5 seconds).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default total number of open connections (httpx: 100).
pub const DEFAULT_MAX_CONNECTIONS: usize = 100;
/// The default number of idle keep-alive connections kept (httpx: 20).
pub const DEFAULT_MAX_KEEPALIVE_CONNECTIONS: usize = 20;
/// The default time an idle connection is kept for reuse (httpx: 5 seconds).
pub const DEFAULT_KEEPALIVE_EXPIRY: Duration = Duration::from_secs(5);
/// The default limit on the size of a response head (status line and headers).
pub const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;
/// The default limit on the number of headers in a response head.
pub const DEFAULT_MAX_HEADERS: usize = 100;

/// Timeouts for the phases of a request: connect, read, write, pool, and an
/// optional total deadline.
///
/// Each phase is an `Option<Duration>`: `None` waits forever. The default is
/// 5 seconds for connect, read, write and pool (as httpx), and no total deadline.
/// The read and write timeouts bound each socket operation, not the whole body.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrohttp::Timeout;
///
/// // 10 s everywhere, but 60 s to connect.
/// let t = Timeout::from_secs(10).connect(Duration::from_secs(60));
/// assert_eq!(t.connect_timeout(), Some(Duration::from_secs(60)));
/// assert_eq!(t.read_timeout(), Some(Duration::from_secs(10)));
///
/// // A Duration means all four phases.
/// let t: Timeout = Duration::from_millis(500).into();
/// assert_eq!(t.pool_timeout(), Some(Duration::from_millis(500)));
///
/// // Wait forever.
/// assert_eq!(Timeout::none().read_timeout(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout {
    connect: Option<Duration>,
    read: Option<Duration>,
    write: Option<Duration>,
    pool: Option<Duration>,
    total: Option<Duration>,
}

impl Default for Timeout {
    fn default() -> Timeout {
        Timeout::new(DEFAULT_TIMEOUT)
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Timeout {
        Timeout::new(d)
    }
}

impl From<Option<Duration>> for Timeout {
    fn from(d: Option<Duration>) -> Timeout {
        Timeout::new(d)
    }
}

impl Timeout {
    /// The same timeout for connect, read, write and pool; no total deadline.
    pub fn new(all: impl Into<Option<Duration>>) -> Timeout {
        let all = all.into();
        Timeout {
            connect: all,
            read: all,
            write: all,
            pool: all,
            total: None,
        }
    }

    /// `secs` seconds for connect, read, write and pool.
    pub fn from_secs(secs: u64) -> Timeout {
        Timeout::new(Duration::from_secs(secs))
    }

    /// No timeout at all: every phase waits forever.
    pub fn none() -> Timeout {
        Timeout::new(None)
    }

    /// Sets the connect timeout (TCP connect, and later TLS and proxy handshakes).
    #[must_use]
    pub fn connect(mut self, d: impl Into<Option<Duration>>) -> Timeout {
        self.connect = d.into();
        self
    }

    /// Sets the read timeout: the longest wait for any bytes from the server.
    #[must_use]
    pub fn read(mut self, d: impl Into<Option<Duration>>) -> Timeout {
        self.read = d.into();
        self
    }

    /// Sets the write timeout: the longest wait for the socket to accept bytes.
    #[must_use]
    pub fn write(mut self, d: impl Into<Option<Duration>>) -> Timeout {
        self.write = d.into();
        self
    }

    /// Sets the pool timeout: the longest wait for a free connection.
    #[must_use]
    pub fn pool(mut self, d: impl Into<Option<Duration>>) -> Timeout {
        self.pool = d.into();
        self
    }

    /// Sets a deadline for the whole request, beyond httpx: waiting for a
    /// connection, connecting, sending, and receiving the head and the body
    /// (curl's `--max-time`). Default: none.
    #[must_use]
    pub fn total(mut self, d: impl Into<Option<Duration>>) -> Timeout {
        self.total = d.into();
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.write
    }

    /// The pool timeout.
    pub fn pool_timeout(&self) -> Option<Duration> {
        self.pool
    }

    /// The total deadline.
    pub fn total_timeout(&self) -> Option<Duration> {
        self.total
    }
}

/// Limits on the connection pool, with httpx's names and defaults.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ferrohttp::Limits;
///
/// let limits = Limits::default()
///     .max_connections(10)
///     .max_keepalive_connections(5)
///     .keepalive_expiry(Duration::from_secs(30));
/// assert_eq!(limits.max_connections_limit(), Some(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    max_connections: Option<usize>,
    max_keepalive_connections: Option<usize>,
    keepalive_expiry: Option<Duration>,
    max_connections_per_host: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: Some(DEFAULT_MAX_CONNECTIONS),
            max_keepalive_connections: Some(DEFAULT_MAX_KEEPALIVE_CONNECTIONS),
            keepalive_expiry: Some(DEFAULT_KEEPALIVE_EXPIRY),
            max_connections_per_host: None,
        }
    }
}

impl Limits {
    /// Sets the most connections open at once across all origins (default
    /// 100; `None` is unbounded).
    #[must_use]
    pub fn max_connections(mut self, n: impl Into<Option<usize>>) -> Limits {
        self.max_connections = n.into();
        self
    }

    /// Sets the most idle connections kept for reuse (default 20; `None` is
    /// unbounded, `Some(0)` disables keep-alive).
    #[must_use]
    pub fn max_keepalive_connections(mut self, n: impl Into<Option<usize>>) -> Limits {
        self.max_keepalive_connections = n.into();
        self
    }

    /// Sets how long an idle connection may be reused (default 5 s; `None`
    /// keeps it until the server closes it).
    #[must_use]
    pub fn keepalive_expiry(mut self, d: impl Into<Option<Duration>>) -> Limits {
        self.keepalive_expiry = d.into();
        self
    }

    /// Sets the most connections open at once to one origin — scheme, host
    /// and port, reached directly or through one proxy — in use and idle
    /// together (default `None`: only `max_connections` bounds them; httpx
    /// has no such limit). A request finding its origin at the limit waits
    /// for one of that origin's connections under the pool timeout, behind
    /// earlier requests for the same origin, without holding up requests
    /// for other origins. `Some(0)` is taken as 1.
    ///
    /// ```
    /// let limits = ferrohttp::Limits::default().max_connections_per_host(4);
    /// assert_eq!(limits.max_connections_per_host_limit(), Some(4));
    /// ```
    #[must_use]
    pub fn max_connections_per_host(mut self, n: impl Into<Option<usize>>) -> Limits {
        self.max_connections_per_host = n.into().map(|n| n.max(1));
        self
    }

    /// The most connections open at once to one origin.
    pub fn max_connections_per_host_limit(&self) -> Option<usize> {
        self.max_connections_per_host
    }

    /// The most connections open at once.
    pub fn max_connections_limit(&self) -> Option<usize> {
        self.max_connections
    }

    /// The most idle connections kept.
    pub fn max_keepalive_limit(&self) -> Option<usize> {
        self.max_keepalive_connections
    }

    /// How long an idle connection may be reused.
    pub fn keepalive_expiry_limit(&self) -> Option<Duration> {
        self.keepalive_expiry
    }
}

/// Limits on what the HTTP/1.1 parser accepts from a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct H1Limits {
    pub max_head_size: usize,
    pub max_headers: usize,
}

impl Default for H1Limits {
    fn default() -> H1Limits {
        H1Limits {
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }
}

/// A snapshot of a connection pool, from `Client::pool_status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Open connections: in use, idle, or being connected.
    pub open: usize,
    /// Idle keep-alive connections.
    pub idle: usize,
    /// Idle connections per origin (`scheme://host:port`), sorted.
    pub idle_per_origin: Vec<(String, usize)>,
    /// Requests waiting for a connection.
    pub waiting: usize,
}
