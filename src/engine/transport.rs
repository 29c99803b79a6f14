//! The seam between a client and the network: the `Transport` trait, the
//! default `HttpTransport`, and `MockTransport`'s implementation.

use std::time::Instant;

use http::Method;

use super::body::{ConnBody, ResponseBody};
use super::conn::{Conn, ExchangeError};
use super::maybe;
use super::pool::{Pool, PoolKey};
use super::response::Response;
use crate::config::{H1Limits, Limits, Timeout};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::decode::ContentDecoder;
use crate::proto::h1::{self, BodyFraming, HeadParser};
use crate::request::Request;

/// Sends a request and gives back its response: what a client uses to reach
/// the network, or anything that stands in for it.
///
/// The blocking client uses `Transport`; the async client uses
/// `AsyncTransport`, the same trait with an `async fn` (implement it with
/// `#[ferrohttp::async_trait]`). A transport speaks in requests and
/// responses, never bytes, so a handler can answer without a socket.
#[maybe]
pub trait Transport: Send + Sync + std::fmt::Debug + 'static {
    /// Sends `request` and returns the response (its body may still stream).
    ///
    /// # Errors
    /// Any failure to get a response.
    async fn handle_request(&self, request: Request) -> Result<Response>;
}

/// The default transport: HTTP/1.1 over TCP, with a keep-alive pool.
///
/// Cloning it shares the pool. A client builds one from its settings;
/// build one yourself to share a pool between clients or to set options.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    pool: Pool,
    h1: H1Limits,
}

impl Default for HttpTransport {
    fn default() -> HttpTransport {
        HttpTransport::new()
    }
}

impl HttpTransport {
    /// A transport with the default limits.
    pub fn new() -> HttpTransport {
        HttpTransport::with_limits(Limits::default())
    }

    /// A transport with pool `limits`.
    pub fn with_limits(limits: Limits) -> HttpTransport {
        HttpTransport {
            pool: Pool::new(limits),
            h1: H1Limits::default(),
        }
    }

    /// Sets the largest response head accepted, in bytes (default 64 KiB).
    /// The same limit bounds a chunked body's trailer section.
    #[must_use]
    pub fn max_response_head_size(mut self, n: usize) -> HttpTransport {
        self.h1.max_head_size = n;
        self
    }

    /// Sets the most header fields accepted in a response head (default 100).
    #[must_use]
    pub fn max_response_headers(mut self, n: usize) -> HttpTransport {
        self.h1.max_headers = n;
        self
    }

    /// The number of idle keep-alive connections in the pool.
    pub fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    /// Closes every idle connection.
    pub fn close_idle(&self) {
        self.pool.clear();
    }
}

fn is_idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

#[maybe]
impl HttpTransport {
    async fn send_request(&self, request: &mut Request) -> Result<Response> {
        let url = request.url().clone();
        let port = match url.scheme() {
            "http" => url.port().unwrap_or(80),
            "https" => {
                return Err(Error::new(
                    ErrorKind::UnsupportedProtocol,
                    "https:// URLs need TLS, which this version of ferrohttp does not have yet",
                ))
            }
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedProtocol,
                    format!("unsupported URL scheme {other:?} (http and https are)"),
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("URL {url} has no host")))?
            .to_string();
        let timeout: Timeout = request.timeout().copied().unwrap_or_default();
        let method = request.method().clone();

        let body_framing = match request.body().len() {
            Some(0)
                if matches!(
                    method,
                    Method::GET
                        | Method::HEAD
                        | Method::OPTIONS
                        | Method::DELETE
                        | Method::TRACE
                        | Method::CONNECT
                ) =>
            {
                BodyFraming::None
            }
            Some(n) => BodyFraming::Length(n),
            None => BodyFraming::Chunked,
        };
        let mut head = Vec::with_capacity(512);
        h1::encode_request_head(&method, &url, request.headers(), body_framing, &mut head)?;

        let key = PoolKey {
            scheme: url.scheme().to_string(),
            host: host.clone(),
            port,
        };
        let started = Instant::now();
        let mut retried = false;
        loop {
            let (mut conn, reused) = match self.pool.checkout(&key) {
                Some(conn) => (conn, true),
                None => (
                    Conn::connect(&host, port, timeout.connect_timeout()).await?,
                    false,
                ),
            };
            let mut parser = HeadParser::new(self.h1.max_head_size, self.h1.max_headers);
            let chunked = body_framing == BodyFraming::Chunked;
            let mut result = conn
                .write_request(&head, request.body_mut(), chunked, timeout.write_timeout())
                .await;
            if result.is_ok() {
                result = match conn.read_head(&mut parser, timeout.read_timeout()).await {
                    Ok(response_head) => {
                        return self.finish(conn, key, response_head, request, timeout, started);
                    }
                    Err(e) => Err(e),
                };
            }
            let ExchangeError {
                error,
                nothing_written,
                no_response,
            } = result.expect_err("Ok returned above");
            // A kept-alive connection the server had already closed: try once
            // more on a fresh one when that cannot repeat a side effect.
            let replayable = !request.body().is_streaming();
            let safe = nothing_written || (is_idempotent(&method) && replayable);
            if reused && !retried && no_response && safe {
                retried = true;
                continue;
            }
            return Err(error);
        }
    }
}

impl HttpTransport {
    fn finish(
        &self,
        conn: Conn,
        key: PoolKey,
        head: h1::ResponseHead,
        request: &Request,
        timeout: Timeout,
        started: Instant,
    ) -> Result<Response> {
        let framing =
            h1::response_framing(request.method(), head.status, head.version, &head.headers)?;
        let keep_alive = !framing.must_close
            && h1::is_keep_alive(request.headers(), head.version, &head.headers);
        let decoder = if framing.kind == h1::FramingKind::Empty {
            None
        } else {
            ContentDecoder::from_headers(&head.headers)
        };
        let body = ConnBody::new(
            conn,
            framing.kind,
            keep_alive,
            self.pool.clone(),
            key,
            timeout.read_timeout(),
            self.h1,
        );
        Ok(Response::new(
            head,
            request.url().clone(),
            started.elapsed(),
            ResponseBody::from_conn(body, decoder),
        ))
    }
}

#[maybe]
impl Transport for HttpTransport {
    async fn handle_request(&self, mut request: Request) -> Result<Response> {
        let url = request.url().clone();
        self.send_request(&mut request)
            .await
            .map_err(|e| e.with_url(&url))
    }
}

#[maybe]
impl Transport for crate::MockTransport {
    async fn handle_request(&self, request: Request) -> Result<Response> {
        let response = self.respond(&request);
        let (head, url, body, decoded) = response.into_user_parts();
        let _ = url;
        Ok(Response::from_user_parts(
            head,
            request.url().clone(),
            body,
            decoded,
        ))
    }
}
