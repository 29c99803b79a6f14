//! [`TowerTransport`]: a tower `Service` (an axum `Router`, a hyper
//! service, ...) called in process by the `AsyncClient`, its bodies
//! streamed both ways as `http_body::Body` frames.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http_body::{Frame, SizeHint};
use tokio::io::ReadBuf;
use tower_service::Service;

use super::{app_panicked, app_response, outside_root, AppOptions};
use crate::body::{Body, BoxError, Inner};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;
use crate::AsyncResponse;

/// The most bytes one frame of a streamed request body carries.
const FRAME_SIZE: usize = 16 * 1024;

type AppBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;
type AppFuture =
    Pin<Box<dyn Future<Output = std::result::Result<http::Response<AppBody>, BoxError>> + Send>>;
type Call = dyn Fn(http::Request<Body>) -> AppFuture + Send + Sync;

/// A transport that calls a tower [`Service`] in process, with no socket:
/// httpx's `ASGITransport` for the `AsyncClient`, the way to test an axum
/// app (or any service of `http` requests) through a real client.
///
/// The service gets an [`http::Request<Body>`](http::Request) as a server
/// would hand it over (see [`AppTransport`](crate::AppTransport): an
/// origin-form URI below the root path, `Host`, the body's framing fields,
/// the client address as a [`std::net::SocketAddr`] extension); [`Body`] is
/// an `http_body::Body` whose frames stream from the client's body as the
/// service reads them. The response body streams back the same way: each
/// frame reaches the caller as it is produced (a streaming route is not
/// collected first), and its trailers are kept
/// (`AsyncResponse::trailers`). The network's rules apply to the response:
/// no body for `HEAD`, 204 and 304; a `Content-Length` the body must match;
/// `Content-Encoding` decoded.
///
/// Each request calls a clone of the service (`svc.clone().oneshot(req)`:
/// a `Service` is called through `&mut self`, a transport through `&self`).
/// The read timeout bounds the wait for the response head and for each
/// frame of its body ([`ErrorKind::ReadTimeout`]), as the total timeout
/// bounds the whole; a service error fails the request with
/// [`ErrorKind::App`], as a panic does unless
/// [`raise_app_panics(false)`](Self::raise_app_panics) turns it into a `500`.
///
/// # Examples
///
/// An axum handler reads the client address with `Extension<SocketAddr>`
/// (or give the router axum's `MockConnectInfo` layer for `ConnectInfo`):
///
/// ```
/// use axum::{routing::get, Extension, Router};
/// use ferrohttp::{AsyncClient, TowerTransport};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrohttp::Result<()> {
/// let app = Router::new().route(
///     "/who",
///     get(|Extension(peer): Extension<std::net::SocketAddr>| async move { peer.to_string() }),
/// );
/// let client = AsyncClient::builder().transport(TowerTransport::new(app)).build()?;
/// let text = client.get("http://app.test/who").send().await?.text().await?;
/// assert_eq!(text, "127.0.0.1:123");
/// # Ok(())
/// # }
/// ```
///
/// `examples/axum_app.rs` runs this with a JSON route and a streaming one.
pub struct TowerTransport {
    call: Box<Call>,
    options: AppOptions,
}

impl TowerTransport {
    /// A transport calling `service` for each request. `service` is any
    /// tower `Service` of `http::Request<Body>` whose response body is an
    /// `http_body::Body`, such as an axum `Router`.
    pub fn new<S, B>(service: S) -> TowerTransport
    where
        S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let service = Mutex::new(service);
        let call = move |request: http::Request<Body>| -> AppFuture {
            let mut svc = service
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            Box::pin(async move {
                std::future::poll_fn(|cx| svc.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
                let response = svc.call(request).await.map_err(Into::into)?;
                Ok(response.map(|body| Box::pin(BytesFrames(Box::pin(body))) as AppBody))
            })
        };
        TowerTransport {
            call: Box::new(call),
            options: AppOptions::default(),
        }
    }

    /// The prefix the app is mounted at: a request for `/api/items` reaches
    /// the service as `/items`; one outside the prefix gets a `404` from the
    /// transport. As [`AppTransport::root_path`](crate::AppTransport::root_path).
    pub fn root_path(mut self, path: &str) -> TowerTransport {
        self.options.set_root_path(path);
        self
    }

    /// The client address the app sees, as a request extension of type
    /// [`std::net::SocketAddr`] (default `127.0.0.1:123`, as httpx's).
    pub fn client_addr(mut self, addr: std::net::SocketAddr) -> TowerTransport {
        self.options.client_addr = addr;
        self
    }

    /// Whether a panic in the service fails the request with
    /// [`ErrorKind::App`] (`true`, the default) or becomes a `500` response
    /// with an empty body (`false`; httpx's `raise_app_exceptions`).
    #[doc(alias = "raise_app_exceptions")]
    pub fn raise_app_panics(mut self, raise: bool) -> TowerTransport {
        self.options.raise_panics = raise;
        self
    }

    async fn respond(&self, request: &mut Request) -> Result<AsyncResponse> {
        let method = request.method().clone();
        let timeout = request.timeout().copied().unwrap_or_default();
        let limits = AppLimits {
            read: timeout.read_timeout(),
            deadline: timeout
                .total_timeout()
                .and_then(|t| Instant::now().checked_add(t))
                .map(|at| (at, timeout.total_timeout().unwrap_or_default())),
        };
        let response = match self.options.app_request(request)? {
            None => outside_root().map(boxed),
            Some(app_request) => {
                let call = Unwinding(Box::pin((self.call)(app_request)));
                match limits.run(call, "the response head").await? {
                    Ok(Ok(response)) => response,
                    Ok(Err(e)) => {
                        return Err(Error::new(
                            ErrorKind::App,
                            "the in-process app failed to handle the request",
                        )
                        .with_source(e))
                    }
                    Err(payload) => self.options.panicked(&*payload)?.map(boxed),
                }
            }
        };
        let response = response.map(|body| Body {
            inner: Inner::Frames {
                body: Box::pin(Timed {
                    inner: body,
                    limits,
                    sleep: None,
                }),
                rest: Bytes::new(),
                trailers: None,
            },
        });
        let (head, body, expected) = app_response(&method, response)?;
        Ok(AsyncResponse::from_app(head, body, expected))
    }
}

impl fmt::Debug for TowerTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerTransport")
            .field("root_path", &self.options.root_path)
            .field("client_addr", &self.options.client_addr)
            .field("raise_app_panics", &self.options.raise_panics)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl crate::AsyncTransport for TowerTransport {
    async fn handle_request(&self, mut request: Request) -> Result<AsyncResponse> {
        match self.respond(&mut request).await {
            Ok(response) => Ok(response),
            Err(e) => Err(e.with_url(request.url())),
        }
    }
}

/// The read timeout and the total deadline (with its length, for messages)
/// of one request to the app.
#[derive(Debug, Clone, Copy)]
struct AppLimits {
    read: Option<Duration>,
    deadline: Option<(Instant, Duration)>,
}

impl AppLimits {
    /// When the next wait must end, and the error it ends with.
    fn next_wait(&self, what: &str) -> Option<(Instant, Error)> {
        let now = Instant::now();
        let read = self.read.and_then(|d| now.checked_add(d)).map(|at| {
            let d = self.read.unwrap_or_default();
            let e = Error::new(
                ErrorKind::ReadTimeout,
                format!("timed out waiting for {what} of the in-process app (read timeout {d:?})"),
            );
            (at, e)
        });
        let total = self.deadline.map(|(at, d)| {
            let e = Error::new(
                ErrorKind::TotalTimeout,
                format!(
                    "request to the in-process app exceeded its total timeout of {d:?} \
                     while waiting for {what}"
                ),
            );
            (at, e)
        });
        match (read, total) {
            (Some(r), Some(t)) => Some(if t.0 <= r.0 { t } else { r }),
            (r, t) => r.or(t),
        }
    }

    /// Runs `fut` under the limits.
    async fn run<F: Future>(&self, fut: F, what: &str) -> Result<F::Output> {
        match self.next_wait(what) {
            None => Ok(fut.await),
            Some((at, e)) => tokio::time::timeout_at(at.into(), fut).await.map_err(|_| e),
        }
    }
}

/// A body of ours as the app's.
fn boxed(body: Body) -> AppBody {
    Box::pin(BytesFrames(Box::pin(body)))
}

/// A future that turns the app's panic into an `Err` of its payload.
struct Unwinding<F>(Pin<Box<F>>);

impl<F: Future> Future for Unwinding<F> {
    type Output = std::result::Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// A service's response body with `Bytes` data and boxed errors.
struct BytesFrames<B>(Pin<Box<B>>);

impl<B> http_body::Body for BytesFrames<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        Poll::Ready(match ready!(self.0.as_mut().poll_frame(cx)) {
            None => None,
            Some(Err(e)) => Some(Err(e.into())),
            Some(Ok(frame)) => Some(Ok(frame.map_data(|mut d| d.copy_to_bytes(d.remaining())))),
        })
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// The app's response body under the read timeout (for each frame) and the
/// total deadline, with its panics turned into errors.
struct Timed {
    inner: AppBody,
    limits: AppLimits,
    /// The running wait for the next frame.
    sleep: Option<(Pin<Box<tokio::time::Sleep>>, Error)>,
}

impl http_body::Body for Timed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let inner = this.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll_frame(cx))) {
            Ok(Poll::Ready(frame)) => {
                this.sleep = None;
                return Poll::Ready(frame);
            }
            Ok(Poll::Pending) => {}
            Err(payload) => {
                this.sleep = None;
                let e = app_panicked(&*payload, "streaming its response body");
                return Poll::Ready(Some(Err(Box::new(e))));
            }
        }
        if this.sleep.is_none() {
            match this.limits.next_wait("the next part of the response body") {
                None => return Poll::Pending,
                Some((at, e)) => {
                    this.sleep = Some((Box::pin(tokio::time::sleep_until(at.into())), e));
                }
            }
        }
        let (sleep, _) = this.sleep.as_mut().expect("set above");
        ready!(sleep.as_mut().poll(cx));
        // The wait is over, not the body: a later read polls it again.
        let (_, e) = this.sleep.take().expect("set above");
        Poll::Ready(Some(Err(Box::new(e))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request body as `http_body` frames, for a service: in-memory bytes as
/// one frame, streams a frame at a time as the service polls for them.
impl http_body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        let this = self.get_mut();
        let data = match &mut this.inner {
            Inner::Empty => return Poll::Ready(None),
            Inner::Bytes(b) => {
                let b = std::mem::take(b);
                this.inner = Inner::Empty;
                b
            }
            Inner::Reader { .. } | Inner::Replayable { .. } => {
                // A blocking reader (a file, a form of files): read here, as
                // the async client's engine reads one.
                let mut buf = vec![0; FRAME_SIZE];
                let n = this.read_blocking(&mut buf).expect("a Read body")?;
                buf.truncate(n);
                Bytes::from(buf)
            }
            Inner::AsyncReader { reader, .. } => {
                let mut buf = vec![0; FRAME_SIZE];
                let mut read = ReadBuf::new(&mut buf);
                ready!(reader.as_mut().poll_read(cx, &mut read))?;
                let n = read.filled().len();
                buf.truncate(n);
                Bytes::from(buf)
            }
            Inner::Stream { stream, rest, .. } => {
                if rest.is_empty() {
                    // An empty chunk is not the end: poll for the next one.
                    loop {
                        match ready!(stream.as_mut().poll_next(cx)) {
                            None => break Bytes::new(),
                            Some(chunk) if chunk.as_ref().is_ok_and(Bytes::is_empty) => {}
                            Some(chunk) => break chunk?,
                        }
                    }
                } else {
                    std::mem::take(rest)
                }
            }
            Inner::Frames { body, rest, .. } => {
                if !rest.is_empty() {
                    std::mem::take(rest)
                } else {
                    return Poll::Ready(
                        ready!(body.as_mut().poll_frame(cx))
                            .map(|frame| frame.map_err(io::Error::other)),
                    );
                }
            }
        };
        if data.is_empty() {
            this.inner = Inner::Empty;
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.inner, Inner::Empty)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Empty | Inner::Bytes(_) | Inner::Frames { .. } => self
                .len()
                .map_or_else(SizeHint::default, SizeHint::with_exact),
            // A stream partly read no longer has its full length ahead.
            _ => SizeHint::default(),
        }
    }
}
