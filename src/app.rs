//! In-process applications as transports (httpx's `WSGITransport` and
//! `ASGITransport`): [`AppTransport`] calls a blocking handler for the
//! blocking [`Client`](crate::Client); `TowerTransport` (feature `tower`)
//! calls a tower `Service`, such as an axum `Router`, for the `AsyncClient`.
//! No socket is opened: the request goes to the app as an
//! [`http::Request`], and the app's [`http::Response`] comes back through
//! the same framing and decoding rules as one from the network.

use std::any::Any;
use std::fmt;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use http::{HeaderValue, Method, StatusCode};

use crate::body::{Body, Inner};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::h1::{self, BodyFraming, ResponseHead};
use crate::request::Request;

#[cfg(feature = "tower")]
mod tower;
#[cfg(feature = "tower")]
pub use self::tower::TowerTransport;

/// What the app sees besides the request, and what a panic becomes; shared
/// by both app transports.
#[derive(Debug, Clone)]
pub(crate) struct AppOptions {
    /// The mount prefix, without a trailing `/` (empty: none).
    root_path: String,
    client_addr: SocketAddr,
    raise_panics: bool,
}

impl Default for AppOptions {
    fn default() -> AppOptions {
        AppOptions {
            root_path: String::new(),
            // httpx's default client address.
            client_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 123)),
            raise_panics: true,
        }
    }
}

impl AppOptions {
    fn set_root_path(&mut self, path: &str) {
        let path = path.trim_end_matches('/');
        self.root_path = if path.is_empty() || path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
    }

    /// The request as the app sees it: origin-form target (`/path?query`)
    /// below the root path, `Host` and the body's framing fields as a
    /// server would have received them, the client address as an extension.
    /// `None` for a URL outside the root path.
    pub(crate) fn app_request(&self, request: &mut Request) -> Result<Option<http::Request<Body>>> {
        let url = request.url();
        let path = url.path();
        let rest = if self.root_path.is_empty() {
            path
        } else if path == self.root_path {
            "/"
        } else {
            match path.strip_prefix(self.root_path.as_str()) {
                Some(rest) if rest.starts_with('/') => rest,
                _ => return Ok(None),
            }
        };
        let mut target = String::with_capacity(rest.len() + url.query().map_or(0, |q| q.len() + 1));
        target.push_str(rest);
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let uri = http::Uri::try_from(target).map_err(|e| {
            Error::new(
                ErrorKind::LocalProtocol,
                format!("the URL {url} cannot be handed to an in-process app"),
            )
            .with_source(e)
        })?;
        let host = if request.headers().contains_key(http::header::HOST) {
            None
        } else {
            let mut host = Vec::new();
            h1::head::write_host(url, &mut host)?;
            HeaderValue::from_bytes(&host).ok()
        };
        // The router kept a copy of the head for the response: take these.
        let mut headers = std::mem::take(request.headers_mut());
        if let Some(value) = host {
            headers.insert(http::header::HOST, value);
        }
        let body = std::mem::take(request.body_mut());
        if !headers.contains_key(http::header::CONTENT_LENGTH)
            && !headers.contains_key(http::header::TRANSFER_ENCODING)
        {
            match h1::request_framing(request.method(), body.len()) {
                BodyFraming::None => {}
                BodyFraming::Length(n) => {
                    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(n));
                }
                BodyFraming::Chunked => {
                    headers.insert(
                        http::header::TRANSFER_ENCODING,
                        HeaderValue::from_static("chunked"),
                    );
                }
            }
        }
        let mut app_request = http::Request::new(body);
        *app_request.method_mut() = request.method().clone();
        *app_request.uri_mut() = uri;
        *app_request.version_mut() = request.version();
        *app_request.headers_mut() = headers;
        app_request.extensions_mut().insert(self.client_addr);
        Ok(Some(app_request))
    }

    /// What a panic of the app becomes: an error of kind `App`, or a bare
    /// `500` when the transport was told not to raise panics.
    pub(crate) fn panicked(&self, payload: &(dyn Any + Send)) -> Result<http::Response<Body>> {
        if self.raise_panics {
            return Err(app_panicked(payload, "handling the request"));
        }
        let mut response = http::Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        Ok(response)
    }
}

/// The `App` error for a panic of the app while it was `doing` something.
pub(crate) fn app_panicked(payload: &(dyn Any + Send), doing: &str) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a payload that is not a string)");
    Error::new(
        ErrorKind::App,
        format!("the in-process app panicked while {doing}: {message}"),
    )
}

/// The `404` a transport answers for a URL outside its root path.
pub(crate) fn outside_root() -> http::Response<Body> {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// The app's response as the client takes it: the head, the body (none for
/// `HEAD` and for 204 and 304, as on the network), and the length the body
/// must have (its `Content-Length`, checked as it is read).
pub(crate) fn app_response(
    method: &Method,
    response: http::Response<Body>,
) -> Result<(ResponseHead, Body, Option<u64>)> {
    let (parts, body) = response.into_parts();
    if parts.status.is_informational() && parts.status != StatusCode::SWITCHING_PROTOCOLS {
        return Err(Error::new(
            ErrorKind::RemoteProtocol,
            format!(
                "the in-process app answered with the interim status {} as its response",
                parts.status
            ),
        ));
    }
    let bodiless = *method == Method::HEAD
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED;
    let head = ResponseHead {
        status: parts.status,
        version: parts.version,
        reason: None,
        headers: parts.headers,
    };
    if bodiless {
        return Ok((head, Body::empty(), None));
    }
    let declared = h1::content_length(&head.headers)?;
    let expected = match (declared, body.len()) {
        (Some(d), Some(n)) if d != n => {
            return Err(Error::new(
                ErrorKind::RemoteProtocol,
                format!(
                    "the in-process app's response declares Content-Length {d} \
                     but its body is {n} bytes"
                ),
            ))
        }
        (d, n) => d.or(n),
    };
    Ok((head, body, expected))
}

/// A response body reader that turns the app's panic into an error.
struct Unwinding(Box<dyn Read + Send>);

impl Read for Unwinding {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match catch_unwind(AssertUnwindSafe(|| self.0.read(buf))) {
            Ok(result) => result,
            Err(payload) => Err(app_panicked(&*payload, "streaming its response body").into()),
        }
    }
}

type Handler = dyn Fn(http::Request<Body>) -> http::Response<Body> + Send + Sync;

/// A transport that calls a blocking handler in process, with no socket:
/// httpx's `WSGITransport` for the blocking [`Client`](crate::Client).
/// Any synchronous web framework, or a plain function, serves requests
/// this way — in tests, or to ship an app and its client in one binary.
///
/// The handler gets an [`http::Request`] as a server would: an origin-form
/// URI (`/path?query`, below [`root_path`](Self::root_path)), the client's
/// headers with `Host` and the body's `Content-Length` (or
/// `Transfer-Encoding: chunked`), the client address as an extension of
/// type [`std::net::SocketAddr`], and the body as the client had it:
/// streamed through [`std::io::Read`] (which [`Body`] implements) or
/// collected with [`Body::into_bytes`]. Its [`http::Response`] goes
/// through the network's rules: no body for `HEAD`, 204 and 304; a
/// `Content-Length` the body must match; `Content-Encoding` decoded. A
/// streaming response body ([`Body::new`]) reaches the caller as it is
/// read, never collected first.
///
/// Everything above the transport applies: `base_url`, hooks, auth,
/// redirects (the app's `Location` is followed, through the app when the
/// URL routes to it again), cookies. Mount it for some hosts and the rest
/// of the client's requests reach the network:
/// `Client::builder().mount("http://app.test", app)`.
///
/// **Timeouts**: the handler runs on the calling thread, and nothing can
/// interrupt a running function, so the read and total timeouts do not cut
/// a slow handler (or a slow response body reader) short. A handler that
/// must be bounded checks the time itself; the async client's
/// `TowerTransport` does enforce the read timeout.
///
/// **Panics**: a handler that panics (or whose response body panics while
/// it is read) fails the request with [`ErrorKind::App`], naming the
/// panic's message. With [`raise_app_panics(false)`](Self::raise_app_panics)
/// a panic in the handler becomes a bare `500` response instead.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::net::SocketAddr;
/// use ferrohttp::{AppTransport, Body, Client};
///
/// let app = AppTransport::new(|req: http::Request<Body>| {
///     let peer = req.extensions().get::<SocketAddr>().copied();
///     let path = req.uri().path().to_owned();
///     let mut body = String::new();
///     req.into_body().read_to_string(&mut body).unwrap();
///     http::Response::new(Body::from(format!("{path} from {peer:?}: {body}")))
/// })
/// .root_path("/api");
/// let client = Client::builder().transport(app).build()?;
/// let r = client.post("http://app.test/api/echo").body("hi").send()?;
/// assert_eq!(r.text()?, "/echo from Some(127.0.0.1:123): hi");
/// # Ok::<(), ferrohttp::Error>(())
/// ```
#[derive(Clone)]
pub struct AppTransport {
    handler: Arc<Handler>,
    options: AppOptions,
}

impl AppTransport {
    /// A transport answering each request with `handler(request)`.
    pub fn new<F>(handler: F) -> AppTransport
    where
        F: Fn(http::Request<Body>) -> http::Response<Body> + Send + Sync + 'static,
    {
        AppTransport {
            handler: Arc::new(handler),
            options: AppOptions::default(),
        }
    }

    /// The prefix the app is mounted at (httpx's `root_path`, axum's
    /// `nest`): a request for `/api/items` reaches the handler as `/items`,
    /// one for `/api` as `/`, and one outside the prefix gets a `404` from
    /// the transport without calling the handler. A trailing `/` is ignored.
    pub fn root_path(mut self, path: &str) -> AppTransport {
        self.options.set_root_path(path);
        self
    }

    /// The client address the app sees, as a request extension of type
    /// [`std::net::SocketAddr`] (default `127.0.0.1:123`, as httpx's).
    pub fn client_addr(mut self, addr: SocketAddr) -> AppTransport {
        self.options.client_addr = addr;
        self
    }

    /// Whether a panic in the handler fails the request with
    /// [`ErrorKind::App`] (`true`, the default) or becomes a `500` response
    /// with an empty body (`false`; httpx's `raise_app_exceptions`).
    #[doc(alias = "raise_app_exceptions")]
    pub fn raise_app_panics(mut self, raise: bool) -> AppTransport {
        self.options.raise_panics = raise;
        self
    }

    fn respond(&self, request: &mut Request) -> Result<crate::Response> {
        let method = request.method().clone();
        let response = match self.options.app_request(request)? {
            None => outside_root(),
            Some(app_request) => {
                let handler = &self.handler;
                match catch_unwind(AssertUnwindSafe(|| handler(app_request))) {
                    Ok(response) => response,
                    Err(payload) => self.options.panicked(&*payload)?,
                }
            }
        };
        let (head, mut body, expected) = app_response(&method, response)?;
        if let Inner::Reader { reader, len } = body.inner {
            body = Body {
                inner: Inner::Reader {
                    reader: Box::new(Unwinding(reader)),
                    len,
                },
            };
        }
        Ok(crate::Response::from_app(head, body, expected))
    }
}

impl fmt::Debug for AppTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTransport")
            .field("root_path", &self.options.root_path)
            .field("client_addr", &self.options.client_addr)
            .field("raise_app_panics", &self.options.raise_panics)
            .finish_non_exhaustive()
    }
}

impl crate::Transport for AppTransport {
    fn handle_request(&self, mut request: Request) -> Result<crate::Response> {
        self.respond(&mut request)
            .map_err(|e| e.with_url(request.url()))
    }
}
