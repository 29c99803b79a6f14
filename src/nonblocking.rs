//! The async client: the engine compiled with `maybe_async::must_be_async`,
//! over tokio sockets.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::ReadBuf;

use maybe_async::must_be_async as maybe;

mod rt;

#[allow(
    clippy::duplicate_mod,
    reason = "the engine is compiled twice on purpose: see DESIGN.md"
)]
#[path = "engine/mod.rs"]
mod engine;

pub use engine::{Client, ClientBuilder, HttpTransport, RequestBuilder, Response, Transport};

/// The most bytes one `poll_read` asks of the body.
const MAX_READ: usize = 64 * 1024;

/// Reads the decoded body. An error from ferrohttp travels inside the
/// `io::Error` (timeouts as `TimedOut`); `ferrohttp::Error::from` gets it back.
impl tokio::io::AsyncRead for Response {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let p = &mut this.pending;
            if p.ready_pos < p.ready_end {
                let n = (p.ready_end - p.ready_pos).min(buf.remaining());
                buf.put_slice(&p.ready[p.ready_pos..p.ready_pos + n]);
                p.ready_pos += n;
                return Poll::Ready(Ok(()));
            }
            if let Some(fut) = p.future.as_mut() {
                let (body, data, result) = ready!(fut.as_mut().poll(cx));
                p.future = None;
                this.body = Some(body);
                p.ready = data;
                p.ready_pos = 0;
                p.ready_end = 0;
                let n = result.map_err(io::Error::from)?;
                if n == 0 {
                    return Poll::Ready(Ok(()));
                }
                p.ready_end = n;
                continue;
            }
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let want = buf.remaining().min(MAX_READ);
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(Err(io::Error::other(
                    "the response body is already being read",
                )));
            };
            // What needs no waiting (a small body that came with the head,
            // the end of the body) is read here, without a future: into the
            // caller's buffer when it is initialised (nothing to zero), else
            // into ours, which keeps its length between reads.
            if buf.initialized().len() - buf.filled().len() >= want {
                if let Some(result) = body.read_now(buf.initialize_unfilled_to(want)) {
                    buf.advance(result.map_err(io::Error::from)?);
                    return Poll::Ready(Ok(()));
                }
            } else {
                if p.ready.len() < want {
                    p.ready.resize(want, 0);
                }
                if let Some(result) = body.read_now(&mut p.ready[..want]) {
                    (p.ready_pos, p.ready_end) = (0, result.map_err(io::Error::from)?);
                    if p.ready_end == 0 {
                        return Poll::Ready(Ok(()));
                    }
                    continue;
                }
            }
            let mut data = std::mem::take(&mut p.ready);
            if data.len() < want {
                data.resize(want, 0);
            }
            let mut body = this.body.take().expect("checked above");
            p.future = Some(Box::pin(async move {
                let r = body.read(&mut data[..want]).await;
                (body, data, r)
            }));
        }
    }
}

type ChunkFuture = Pin<Box<dyn Future<Output = (Response, crate::Result<Option<Bytes>>)> + Send>>;

/// The decoded body of an `AsyncResponse` as a `Stream` of [`Bytes`]
/// chunks; from `AsyncResponse::bytes_stream`.
#[must_use = "streams do nothing unless polled"]
pub struct BytesStream {
    response: Option<Response>,
    future: Option<ChunkFuture>,
}

impl std::fmt::Debug for BytesStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BytesStream")
            .field("response", &self.response)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The decoded body as a `Stream` of chunks.
    pub fn bytes_stream(self) -> BytesStream {
        BytesStream {
            response: Some(self),
            future: None,
        }
    }
}

impl futures_core::Stream for BytesStream {
    type Item = crate::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(fut) = this.future.as_mut() {
                let (response, result) = ready!(fut.as_mut().poll(cx));
                this.future = None;
                return Poll::Ready(match result {
                    Ok(Some(chunk)) => {
                        this.response = Some(response);
                        Some(Ok(chunk))
                    }
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                });
            }
            let Some(mut response) = this.response.take() else {
                return Poll::Ready(None);
            };
            this.future = Some(Box::pin(async move {
                let r = response.chunk().await;
                (response, r)
            }));
        }
    }
}
