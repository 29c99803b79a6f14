//! The one error type of ferrohttp: [`Error`], its [`ErrorKind`], and [`Result`].

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::io;

use http::StatusCode;
use url::Url;

/// A `Result` whose error is ferrohttp's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn StdError + Send + Sync>;

/// What went wrong, mirroring httpx's exception tree.
///
/// The enum is `#[non_exhaustive]`: match with a wildcard arm. No variant is
/// feature-gated, so code that matches on it builds with any feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The URL could not be parsed, or has no host.
    InvalidUrl,
    /// The URL's scheme is not supported (or its feature is not compiled in).
    UnsupportedProtocol,
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// Waiting for data from the server took longer than the read timeout.
    ReadTimeout,
    /// Sending data to the server took longer than the write timeout.
    WriteTimeout,
    /// Waiting for a free connection took longer than the pool timeout.
    PoolTimeout,
    /// The whole request took longer than its total deadline (`Timeout::total`).
    TotalTimeout,
    /// The connection could not be established (refused, unreachable, DNS).
    Connect,
    /// Reading from an established connection failed.
    Read,
    /// Writing to an established connection failed.
    Write,
    /// The TLS handshake or TLS record layer failed.
    Tls,
    /// A proxy refused or broke the request.
    Proxy,
    /// The server broke the HTTP protocol (malformed head, bad framing, ...).
    RemoteProtocol,
    /// The request could not be sent as given (bad header, method, ...).
    LocalProtocol,
    /// The response body could not be decoded (content-encoding, charset, JSON).
    Decoding,
    /// More redirects than allowed were followed.
    TooManyRedirects,
    /// `error_for_status` found a 4xx or 5xx status.
    Status,
    /// A body was read after it had been consumed.
    StreamConsumed,
    /// Reading the request body supplied by the caller failed.
    RequestBody,
    /// The client was closed with `close()`.
    Closed,
    /// A local settings file (`.netrc`, a cookie file) could not be used, or
    /// the client's settings conflict (a setting of the built-in transport
    /// given with a custom transport).
    Config,
    /// A response body collected by `bytes`, `text` or `json` was larger
    /// than `max_body_size`.
    TooLarge,
    /// An in-process app (`AppTransport`, `TowerTransport`) panicked or
    /// failed instead of answering.
    App,
}

impl ErrorKind {
    /// Whether this kind is one of the timeouts.
    pub fn is_timeout(self) -> bool {
        matches!(
            self,
            ErrorKind::ConnectTimeout
                | ErrorKind::ReadTimeout
                | ErrorKind::WriteTimeout
                | ErrorKind::PoolTimeout
                | ErrorKind::TotalTimeout
        )
    }
}

/// The error type of every fallible ferrohttp operation.
///
/// [`Display`](fmt::Display) says what failed and where, at this level only; the
/// underlying cause (an `io::Error`, a decoder error, ...) is [`source()`](StdError::source).
///
/// # Examples
///
/// ```
/// use ferrohttp::ErrorKind;
///
/// let err = ferrohttp::get("not a url").send().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidUrl);
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<BoxError>,
    url: Option<Url>,
    status: Option<StatusCode>,
}

impl Error {
    /// Creates an error of `kind` with a message saying what failed and where.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            source: None,
            url: None,
            status: None,
        }))
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.0.source = Some(source.into());
        self
    }

    /// This error with `context` (what it happened with) before its message.
    pub(crate) fn prefixed(mut self, context: &str) -> Error {
        self.0.message = format!("{context}: {}", self.0.message).into();
        self
    }

    pub(crate) fn with_url(mut self, url: &Url) -> Error {
        if self.0.url.is_none() {
            self.0.url = Some(url.clone());
        }
        self
    }

    pub(crate) fn status_error(status: StatusCode, url: &Url) -> Error {
        let class = if status.is_client_error() {
            "client error"
        } else {
            "server error"
        };
        let mut e = Error::new(ErrorKind::Status, format!("{class} status {status}"));
        e.0.status = Some(status);
        e.with_url(url)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message, without the URL.
    pub(crate) fn message(&self) -> &str {
        &self.0.message
    }

    /// Whether this is a connect, read, write, pool or total timeout.
    pub fn is_timeout(&self) -> bool {
        self.0.kind.is_timeout()
    }

    /// The URL of the request that failed, where known.
    pub fn url(&self) -> Option<&Url> {
        self.0.url.as_ref()
    }

    /// Removes the URL from the error (it may hold credentials or tokens).
    pub fn without_url(mut self) -> Error {
        self.0.url = None;
        self
    }

    /// The status code, for an error made by `error_for_status`.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind)
            .field("message", &self.0.message);
        if let Some(url) = &self.0.url {
            d.field("url", &url.as_str());
        }
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(url) = &self.0.url {
            write!(f, " (url: {url})")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The error for an `https://` URL in a build without TLS.
#[cfg(not(feature = "rustls"))]
pub(crate) fn https_unsupported() -> Error {
    Error::new(
        ErrorKind::UnsupportedProtocol,
        "https:// URLs need the `rustls` feature of ferrohttp, which this build lacks",
    )
}

impl From<Error> for io::Error {
    /// Wraps the error for `std::io::Read` and friends; timeouts become
    /// [`io::ErrorKind::TimedOut`]. [`Error::from`] of such an `io::Error` gives
    /// the original error back.
    fn from(err: Error) -> io::Error {
        let kind = match err.kind() {
            k if k.is_timeout() => io::ErrorKind::TimedOut,
            ErrorKind::Decoding | ErrorKind::RemoteProtocol => io::ErrorKind::InvalidData,
            ErrorKind::StreamConsumed | ErrorKind::LocalProtocol => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

impl From<io::Error> for Error {
    /// Unwraps an [`Error`] carried inside an `io::Error` (as `Response`'s
    /// `Read` impl makes them); any other I/O error becomes a `Read` error.
    fn from(err: io::Error) -> Error {
        if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<Error>().expect("checked above");
        }
        Error::new(ErrorKind::Read, "i/o error while reading the response body").with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_one_word() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn io_round_trip_keeps_the_error() {
        let e = Error::new(
            ErrorKind::ReadTimeout,
            "read timed out receiving body from a:1",
        );
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
        let back = Error::from(io);
        assert_eq!(back.kind(), ErrorKind::ReadTimeout);
        assert!(back.is_timeout());
    }

    #[test]
    fn display_is_this_level_only() {
        let src = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        let e =
            Error::new(ErrorKind::Read, "connection to a:1 failed while reading").with_source(src);
        assert_eq!(e.to_string(), "connection to a:1 failed while reading");
        assert_eq!(e.source().map(|s| s.to_string()).as_deref(), Some("reset"));
    }
}
