//! The response: status, headers and a streaming body.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};
use url::Url;

use super::body::{Meta, ResponseBody};
use super::maybe;
use super::rt;
use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::decode::ContentDecoder;
use crate::proto::h1::ResponseHead;
use crate::request::Request;
use crate::timings::Timings;

/// The size of each read when collecting a whole body.
const COLLECT_CHUNK_SIZE: usize = 16 * 1024;

/// An HTTP response whose body streams: nothing of the body is read until
/// asked for, and reading it to the end returns the connection to the pool.
///
/// Collect the body with `bytes()`, `text()` or `json()`, or stream it: the
/// blocking `Response` is a `std::io::Read`, the async one a
/// `tokio::io::AsyncRead` and a stream of chunks; both have `chunk()`.
/// Dropping a response before its body was read closes its connection
/// (unless the rest of the body has already arrived).
///
/// # Reading after an error
/// A read that times out on its own read timeout takes nothing: read again
/// and the body resumes with exactly its next bytes (so a caller can wait
/// longer, or give up). Any other error — the server closing early, a
/// broken chunk, bad compressed data, the total deadline — fails the body:
/// its connection is closed and every later read returns an error of the
/// same kind, never a clean end. With `AsyncResponse`, a read future dropped
/// part way (by `tokio::time::timeout` or `select!`) is a read that never
/// happened. A connection goes back to the pool only when its response was
/// read to its end in good order.
pub struct Response {
    head: ResponseHead,
    /// The request as sent (its body dropped); `None` for a hand-made one.
    pub(crate) request: Option<Request>,
    elapsed: Duration,
    pub(crate) body: Option<Box<ResponseBody>>,
    #[allow(dead_code, reason = "only the async shim keeps state here")]
    pub(crate) pending: rt::PendingRead,
    pub(crate) history: Vec<Response>,
    pub(crate) next_request: Option<Request>,
    /// The most bytes `bytes`, `text` and `json` collect.
    pub(crate) max_body_size: Option<u64>,
}

/// The URL, status line and headers, as reqwest shows them; not the body,
/// the connection or the request (whose `Debug` hides the credentials and
/// cookies the client added).
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url().as_str())
            .field("status", &self.head.status)
            .field("version", &self.head.version)
            .field("headers", &self.head.headers)
            .field("elapsed", &self.elapsed)
            .field("history", &self.history.len())
            .finish_non_exhaustive()
    }
}

impl<B: Into<Body>> From<http::Response<B>> for Response {
    /// A response made in memory, for a `MockTransport` or tests. Its URL is
    /// `about:blank` until a client sends it back for a request.
    fn from(r: http::Response<B>) -> Response {
        let (parts, body) = r.into_parts();
        let head = ResponseHead {
            status: parts.status,
            version: parts.version,
            reason: None,
            headers: parts.headers,
        };
        Response::from_user_parts(head, body.into(), false)
    }
}

impl Response {
    pub(crate) fn new(head: ResponseHead, elapsed: Duration, body: ResponseBody) -> Response {
        Response {
            head,
            request: None,
            elapsed,
            body: Some(Box::new(body)),
            pending: rt::PendingRead::default(),
            history: Vec::new(),
            next_request: None,
            max_body_size: None,
        }
    }

    /// A response around a caller-given body; `decoded` says the body is
    /// already decoded despite any `Content-Encoding`.
    pub(crate) fn from_user_parts(head: ResponseHead, body: Body, decoded: bool) -> Response {
        let decoder = if decoded {
            None
        } else {
            ContentDecoder::from_headers(&head.headers)
        };
        Response::new(head, Duration::ZERO, ResponseBody::from_body(body, decoder))
    }

    /// A response from an in-process app: decoded as the network's are, its
    /// body held to the length its head declared.
    #[allow(dead_code, reason = "each client copy has its own app transport")]
    pub(crate) fn from_app(head: ResponseHead, body: Body, expected: Option<u64>) -> Response {
        let decoder = ContentDecoder::from_headers(&head.headers);
        Response::new(
            head,
            Duration::ZERO,
            ResponseBody::from_framed_body(body, expected, decoder),
        )
    }

    #[allow(dead_code, reason = "used by the blocking copy only")]
    pub(crate) fn head(&self) -> &ResponseHead {
        &self.head
    }

    #[allow(dead_code, reason = "used by the blocking copy only")]
    pub(crate) fn into_head(self) -> (ResponseHead, Option<Box<ResponseBody>>) {
        (self.head, self.body)
    }

    pub(crate) fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }

    /// What the exchange recorded (kept with the boxed body, so that a
    /// response moves as a few words).
    fn meta(&self) -> Meta {
        self.body.as_ref().map(|b| b.meta).unwrap_or_default()
    }

    /// Records the phases of the request that started at `started`.
    pub(crate) fn set_timings(&mut self, timings: Timings, started: Instant) {
        if let Some(b) = self.body.as_mut() {
            b.meta.timings = timings;
            b.meta.started = Some(started);
        }
    }

    /// Records the connection's addresses, remote first.
    pub(crate) fn set_addrs(&mut self, remote: Option<SocketAddr>, local: Option<SocketAddr>) {
        if let Some(b) = self.body.as_mut() {
            b.meta.remote = remote;
            b.meta.local = local;
        }
    }

    /// The address of the server (or of the proxy, through one) that sent
    /// the response; `None` over a Unix socket or from a custom transport.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.meta().remote
    }

    /// This end's address of the connection the response came on; `None`
    /// over a Unix socket or from a custom transport.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.meta().local
    }

    /// Whether the request's start was recorded (by the transport).
    pub(crate) fn has_start(&self) -> bool {
        self.meta().started.is_some()
    }

    /// When each phase of the request ended, from its start: name lookup,
    /// connect, TLS handshake, request written, first response byte, and
    /// — once the body was read to its end — the end. See [`Timings`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut r = ferrohttp::get("http://127.0.0.1:8080/").send()?;
    /// std::io::copy(&mut r, &mut std::io::sink())?;
    /// println!("first byte after {:?}", r.timings().first_byte());
    /// # Ok(())
    /// # }
    /// ```
    pub fn timings(&self) -> Timings {
        let meta = self.meta();
        let mut t = meta.timings;
        if let (Some(start), Some(end)) = (
            meta.started,
            self.body.as_ref().and_then(|b| b.finished_at()),
        ) {
            t.end = Some(end.saturating_duration_since(start));
        }
        t
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The HTTP version of the response.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The reason phrase the server sent, if any (`"OK"` in `200 OK`).
    pub fn reason(&self) -> Option<&str> {
        self.head.reason.as_deref()
    }

    /// The response headers, as received (a decoded body keeps its
    /// `Content-Encoding` and `Content-Length` headers, as httpx does).
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The response headers, to change (say, in a hook).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.head.headers
    }

    /// The URL of the request this responds to (`about:blank` for a
    /// response made by hand with `Response::from` and not yet sent through
    /// a client).
    pub fn url(&self) -> &Url {
        match &self.request {
            Some(request) => request.url(),
            None => blank_url(),
        }
    }

    /// The request this responds to, as it was sent: method, URL, headers
    /// (including those the client added, such as `Cookie` and
    /// `Authorization`) and settings; its body is not kept. httpx's
    /// `response.request`. `None` for a response made by hand with
    /// `Response::from` and not yet sent through a client.
    pub fn request(&self) -> Option<&Request> {
        self.request.as_ref()
    }

    /// The time from starting to send the request until the response head
    /// arrived.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The redirect responses that led to this one, oldest first (their
    /// bodies read into memory), and the responses an auth flow answered.
    pub fn history(&self) -> &[Response] {
        &self.history
    }

    /// The request that would follow this redirect response, when redirects
    /// were not followed (httpx's `next_request`).
    pub fn next_request(&self) -> Option<&Request> {
        self.next_request.as_ref()
    }

    /// Takes the request [`next_request`](Self::next_request) shows, to send it.
    pub fn take_next_request(&mut self) -> Option<Request> {
        self.next_request.take()
    }

    /// The `Content-Length` the server declared, if any.
    pub fn content_length(&self) -> Option<u64> {
        let v = self.head.headers.get(http::header::CONTENT_LENGTH)?;
        crate::proto::h1::framing::parse_digits(v.as_bytes())
    }

    /// Body bytes received so far as they came off the wire: de-chunked, but
    /// before content decoding (httpx's `num_bytes_downloaded`). Use it for
    /// download progress against `content_length()`.
    pub fn num_bytes_downloaded(&self) -> u64 {
        self.body.as_ref().map_or(0, |b| b.downloaded())
    }

    /// The trailer fields of a chunked body, once the body was read to its end
    /// (`None` before, and for bodies that were not chunked).
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.body.as_ref().and_then(|b| b.trailers())
    }

    /// Whether the body has been read to its end.
    pub fn is_body_finished(&self) -> bool {
        self.body.as_ref().is_none_or(|b| b.is_finished())
    }

    /// Turns a 4xx or 5xx status into an `Err` of kind `Status`.
    ///
    /// # Errors
    /// `Status` with the status code, for 4xx and 5xx.
    pub fn error_for_status(self) -> Result<Response> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// Like [`error_for_status`](Self::error_for_status), keeping the response.
    ///
    /// # Errors
    /// `Status` with the status code, for 4xx and 5xx.
    pub fn error_for_status_ref(&self) -> Result<&Response> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    fn status_error(&self) -> Option<Error> {
        let s = self.head.status;
        (s.is_client_error() || s.is_server_error()).then(|| Error::status_error(s, self.url()))
    }

    fn body_mut(&mut self) -> Result<&mut ResponseBody> {
        match self.body.as_deref_mut() {
            Some(b) => Ok(b),
            None => Err(Error::new(
                ErrorKind::StreamConsumed,
                "the response body is being read by a stream",
            )),
        }
    }

    fn charset(&self) -> Option<String> {
        let ct = self
            .head
            .headers
            .get(http::header::CONTENT_TYPE)?
            .to_str()
            .ok()?;
        ct.split(';').skip(1).find_map(|param| {
            let (k, v) = param.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_string())
        })
    }
}

#[maybe]
impl Response {
    /// Reads decoded body bytes into `buf`; 0 at the end of the body.
    pub(crate) async fn read_body(&mut self, buf: &mut [u8]) -> Result<usize> {
        let result = self.body_mut()?.read(buf).await;
        result.map_err(|e| e.with_url(self.url()))
    }

    /// Reads the rest of the body into memory, up to `limit` bytes, so that
    /// the connection is released, and returns it (the response keeps a
    /// shared copy). Past the limit the body is dropped (its connection
    /// closed) and `None` returned.
    pub(crate) async fn buffer_body(&mut self, limit: usize) -> Result<Option<Bytes>> {
        let mut data = Vec::new();
        let mut buf = vec![0u8; COLLECT_CHUNK_SIZE];
        loop {
            let n = self.read_body(&mut buf).await?;
            if n == 0 {
                break;
            }
            if data.len() + n > limit {
                let mut empty = ResponseBody::from_body(Body::empty(), None);
                empty.meta = self.meta();
                self.body = Some(Box::new(empty));
                return Ok(None);
            }
            data.extend_from_slice(&buf[..n]);
        }
        let downloaded = self.num_bytes_downloaded();
        let trailers = self.trailers().cloned();
        let data = Bytes::from(data);
        let finished_at = self.body.as_ref().and_then(|b| b.finished_at());
        let mut body = ResponseBody::from_body(Body::from(data.clone()), None);
        body.restore_counters(downloaded, trailers, finished_at);
        body.meta = self.meta();
        self.body = Some(Box::new(body));
        Ok(Some(data))
    }

    /// The next piece of the decoded body, or `None` at its end.
    ///
    /// # Errors
    /// As reading the body: `Read`, `ReadTimeout`, `RemoteProtocol` (a body
    /// cut short), `Decoding`.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let mut buf = vec![0u8; COLLECT_CHUNK_SIZE];
        let n = self.read_body(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some(Bytes::from(buf)))
    }

    /// The whole decoded body.
    ///
    /// # Errors
    /// As reading the body: `Read`, `ReadTimeout`, `RemoteProtocol` (a body
    /// cut short), `Decoding`; `TooLarge` past the client's `max_body_size`.
    pub async fn bytes(mut self) -> Result<Bytes> {
        let hint = self.content_length().unwrap_or(0).min(1 << 20) as usize;
        let mut out = Vec::with_capacity(hint);
        let mut buf = vec![0u8; COLLECT_CHUNK_SIZE];
        loop {
            let n = self.read_body(&mut buf).await?;
            if n == 0 {
                break;
            }
            if let Some(limit) = self.max_body_size {
                if (out.len() + n) as u64 > limit {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!("response body is larger than max_body_size ({limit} bytes)"),
                    )
                    .with_url(self.url()));
                }
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(Bytes::from(out))
    }

    /// The whole body as text, decoded with the charset of `Content-Type`
    /// (UTF-8 when none is given). Invalid sequences become U+FFFD. Charsets
    /// other than UTF-8 need the `charset` feature (default); without it they
    /// are read as UTF-8.
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes).
    pub async fn text(self) -> Result<String> {
        let charset = self.charset();
        let bytes = self.bytes().await?;
        Ok(decode_text(&bytes, charset.as_deref()))
    }

    /// The whole body parsed as JSON.
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes), and `Decoding` when the body is not valid
    /// JSON for `T`.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let url = self.url().clone();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::Decoding,
                "response body is not the JSON expected",
            )
            .with_source(e)
            .with_url(&url)
        })
    }
}

/// The URL of a response that no request produced.
fn blank_url() -> &'static Url {
    static BLANK: std::sync::OnceLock<Url> = std::sync::OnceLock::new();
    BLANK.get_or_init(|| Url::parse("about:blank").expect("a valid URL"))
}

#[cfg(feature = "charset")]
fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

#[cfg(not(feature = "charset"))]
fn decode_text(bytes: &[u8], _charset: Option<&str>) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
