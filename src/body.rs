//! Request bodies: in memory, or streamed from a reader with a known or
//! unknown length.

use std::fmt;
use std::io::Read;

use bytes::Bytes;

/// The body of a request (and of responses made for a [`MockTransport`](crate::MockTransport)).
///
/// In-memory bodies (`&str`, `String`, `Vec<u8>`, [`Bytes`]) are sent with a
/// `Content-Length` and can be replayed (for a retry on a stale connection,
/// or a redirect). A streaming body is read as it is sent and never held
/// in memory whole: [`Body::sized`] sends a `Content-Length`, [`Body::new`]
/// sends `Transfer-Encoding: chunked`.
///
/// # Examples
///
/// ```
/// use ferrohttp::Body;
///
/// let small = Body::from("hello");
/// assert_eq!(small.len(), Some(5));
///
/// let file = std::io::Cursor::new(vec![0u8; 1 << 20]); // any `Read + Send`
/// let streamed = Body::sized(file, 1 << 20);
/// assert_eq!(streamed.len(), Some(1 << 20));
/// assert!(streamed.try_clone().is_none()); // a stream cannot be replayed
/// ```
pub struct Body {
    pub(crate) inner: Inner,
}

/// Told of an upload's progress: bytes handed to the connection so far, and
/// the body's length when known.
pub(crate) type ProgressFn = std::sync::Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// A reader that reports how much of it was read.
struct Counting<R> {
    inner: R,
    sent: u64,
    total: Option<u64>,
    progress: ProgressFn,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.sent += n as u64;
            (self.progress)(self.sent, self.total);
        }
        Ok(n)
    }
}

#[cfg(feature = "async")]
impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counting<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.sent += n as u64;
            (self.progress)(self.sent, self.total);
        }
        polled
    }
}

/// Opens a fresh reader over a replayable body's bytes, from the start.
pub(crate) type Opener =
    std::sync::Arc<dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync>;

pub(crate) enum Inner {
    Empty,
    Bytes(Bytes),
    Reader {
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
    },
    /// A stream that can be read again from the start (a file, reopened by
    /// its path; a multipart form of bytes and files): opened when first
    /// read, and opened afresh by each copy.
    Replayable {
        open: Opener,
        reader: Option<Box<dyn Read + Send>>,
        len: Option<u64>,
    },
    #[cfg(feature = "async")]
    AsyncReader {
        reader: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>,
        len: Option<u64>,
    },
    #[cfg(feature = "async")]
    Stream {
        stream: std::pin::Pin<Box<dyn futures_core::Stream<Item = std::io::Result<Bytes>> + Send>>,
        len: Option<u64>,
        /// A part of the last item that did not fit the reader's buffer.
        rest: Bytes,
    },
    /// An `http_body::Body` (a tower app's response): its data frames, and
    /// its trailers once it ended.
    #[cfg(feature = "tower")]
    Frames {
        body: std::pin::Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>,
        rest: Bytes,
        trailers: Option<http::HeaderMap>,
    },
}

#[cfg(feature = "tower")]
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body {
            inner: Inner::Empty,
        }
    }

    /// A body streamed from `reader`, of unknown length: it is sent with
    /// `Transfer-Encoding: chunked`, a buffer at a time.
    pub fn new(reader: impl Read + Send + 'static) -> Body {
        Body {
            inner: Inner::Reader {
                reader: Box::new(reader),
                len: None,
            },
        }
    }

    /// A body streamed from `reader`, which must give exactly `len` bytes: it
    /// is sent with `Content-Length: len`. A reader that ends early fails the
    /// request with [`ErrorKind::RequestBody`](crate::ErrorKind::RequestBody);
    /// bytes past `len` are not read.
    pub fn sized(reader: impl Read + Send + 'static, len: u64) -> Body {
        Body {
            inner: Inner::Reader {
                reader: Box::new(reader),
                len: Some(len),
            },
        }
    }

    /// The file at `path`, streamed when sent and read again from its start
    /// when the request must be sent again (a 307/308 redirect, an auth
    /// challenge, a retry on a stale connection), as an in-memory body is.
    /// Its length is read now and sent as `Content-Length`; a file that is
    /// shorter when sent fails the request.
    ///
    /// # Errors
    /// `RequestBody` when the file's metadata cannot be read, or it is not
    /// a regular file.
    pub fn file(path: impl AsRef<std::path::Path>) -> crate::Result<Body> {
        let path = path.as_ref().to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::RequestBody,
                format!("cannot read {} for a request body", path.display()),
            )
            .with_source(e)
        })?;
        if !meta.is_file() {
            return Err(crate::Error::new(
                crate::ErrorKind::RequestBody,
                format!("{} is not a regular file", path.display()),
            ));
        }
        let open: Opener = std::sync::Arc::new(move || {
            let file = std::fs::File::open(&path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("opening {}: {e}", path.display()))
            })?;
            Ok(Box::new(file) as Box<dyn Read + Send>)
        });
        Ok(Body::replayable(open, Some(meta.len())))
    }

    /// This body, reporting its upload: `progress(sent, total)` is called
    /// as bytes of it are handed to the connection (`total` is the length
    /// when known), from the thread or task that sends the request. A
    /// replayable body counts again from 0 when it is sent again.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let sent = Arc::new(AtomicU64::new(0));
    /// let seen = sent.clone();
    /// let body = ferrohttp::Body::from(vec![0u8; 1024])
    ///     .with_upload_progress(move |n, _total| seen.store(n, Ordering::Relaxed));
    /// assert_eq!(body.len(), Some(1024));
    /// ```
    pub fn with_upload_progress(
        self,
        progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
    ) -> Body {
        self.with_progress(std::sync::Arc::new(progress))
    }

    pub(crate) fn with_progress(self, progress: ProgressFn) -> Body {
        let counting = |inner: Box<dyn Read + Send>, total: Option<u64>, progress: &ProgressFn| {
            Box::new(Counting {
                inner,
                sent: 0,
                total,
                progress: progress.clone(),
            }) as Box<dyn Read + Send>
        };
        match self.inner {
            Inner::Empty => Body::empty(),
            Inner::Bytes(b) => {
                let len = b.len() as u64;
                let open: Opener = std::sync::Arc::new(move || {
                    Ok(counting(
                        Box::new(std::io::Cursor::new(b.clone())),
                        Some(len),
                        &progress,
                    ))
                });
                Body::replayable(open, Some(len))
            }
            Inner::Reader { reader, len } => Body {
                inner: Inner::Reader {
                    reader: counting(reader, len, &progress),
                    len,
                },
            },
            Inner::Replayable { open, len, .. } => {
                let open: Opener =
                    std::sync::Arc::new(move || Ok(counting(open()?, len, &progress)));
                Body::replayable(open, len)
            }
            #[cfg(feature = "async")]
            Inner::AsyncReader { reader, len } => Body {
                inner: Inner::AsyncReader {
                    reader: Box::pin(Counting {
                        inner: reader,
                        sent: 0,
                        total: len,
                        progress,
                    }),
                    len,
                },
            },
            #[cfg(feature = "async")]
            Inner::Stream { stream, len, rest } => {
                let mut sent = 0u64;
                let counted = CountingStream {
                    inner: stream,
                    count: Box::new(move |n| {
                        sent += n;
                        progress(sent, len);
                    }),
                };
                Body {
                    inner: Inner::Stream {
                        stream: Box::pin(counted),
                        len,
                        rest,
                    },
                }
            }
            // Made only for responses, which report no upload.
            #[cfg(feature = "tower")]
            inner @ Inner::Frames { .. } => Body { inner },
        }
    }

    /// A body read from what `open` gives, opened afresh for every send.
    pub(crate) fn replayable(open: Opener, len: Option<u64>) -> Body {
        Body {
            inner: Inner::Replayable {
                open,
                reader: None,
                len,
            },
        }
    }

    /// The length, when known before sending.
    pub fn len(&self) -> Option<u64> {
        match &self.inner {
            Inner::Empty => Some(0),
            Inner::Bytes(b) => Some(b.len() as u64),
            Inner::Reader { len, .. } | Inner::Replayable { len, .. } => *len,
            #[cfg(feature = "async")]
            Inner::AsyncReader { len, .. } | Inner::Stream { len, .. } => *len,
            #[cfg(feature = "tower")]
            Inner::Frames { body, rest, .. } => http_body::Body::size_hint(&**body)
                .exact()
                .map(|n| n + rest.len() as u64),
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The bytes of an in-memory body; `None` for a streaming one.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Empty => Some(&[]),
            Inner::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes of an in-memory body, shared (no copy); `None` for a
    /// body that is read.
    pub(crate) fn shared_bytes(&self) -> Option<Bytes> {
        match &self.inner {
            Inner::Empty => Some(Bytes::new()),
            Inner::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }

    /// A copy of an in-memory body (cheap: the bytes are shared) or of a
    /// replayable one ([`Body::file`], a multipart form of bytes and
    /// files: the copy reads from the start); `None` for a stream from a
    /// reader, which can be sent only once.
    pub fn try_clone(&self) -> Option<Body> {
        match &self.inner {
            Inner::Empty => Some(Body::empty()),
            Inner::Bytes(b) => Some(Body {
                inner: Inner::Bytes(b.clone()),
            }),
            Inner::Replayable { open, len, .. } => Some(Body::replayable(open.clone(), *len)),
            _ => None,
        }
    }

    /// Reads from a blocking `Read` body (retrying interrupted reads);
    /// `None` for other kinds of body.
    pub(crate) fn read_blocking(&mut self, buf: &mut [u8]) -> Option<std::io::Result<usize>> {
        let reader = match &mut self.inner {
            Inner::Reader { reader, .. } => reader,
            Inner::Replayable { open, reader, .. } => {
                if reader.is_none() {
                    match open() {
                        Ok(r) => *reader = Some(r),
                        Err(e) => return Some(Err(e)),
                    }
                }
                reader.as_mut().expect("opened above")
            }
            _ => return None,
        };
        loop {
            match reader.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => return Some(r),
            }
        }
    }

    pub(crate) fn is_streaming(&self) -> bool {
        self.as_bytes().is_none()
    }

    /// Reads the whole body into memory (an in-memory body is handed over
    /// without a copy): for an in-process app's handler, which gets the
    /// request's body as the client had it.
    ///
    /// # Errors
    /// The error of the body's reader; `Unsupported` for a body of the
    /// async client (an `AsyncBody`), which a blocking read cannot take.
    ///
    /// ```
    /// let body = ferrohttp::Body::new(std::io::Cursor::new(b"streamed".to_vec()));
    /// assert_eq!(body.into_bytes()?, "streamed");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_bytes(mut self) -> std::io::Result<Bytes> {
        match self.inner {
            Inner::Empty => Ok(Bytes::new()),
            Inner::Bytes(b) => Ok(b),
            _ => {
                let hint = self.len().map_or(0, |n| n.min(1 << 20) as usize);
                let mut out = Vec::with_capacity(hint);
                self.read_to_end(&mut out)?;
                Ok(out.into())
            }
        }
    }

    /// The trailers of a body that carried some, once it was read to its end.
    pub(crate) fn take_trailers(&mut self) -> Option<http::HeaderMap> {
        match &mut self.inner {
            #[cfg(feature = "tower")]
            Inner::Frames { trailers, .. } => trailers.take(),
            _ => None,
        }
    }
}

/// Moves the front of `src` into `out`: as many bytes as fit, and returns
/// how many. (`Buf::advance`, not `split_to`, which would make a
/// vector-backed `Bytes` shared: an allocation per call.)
pub(crate) fn take_into(src: &mut Bytes, out: &mut [u8]) -> usize {
    let n = src.len().min(out.len());
    out[..n].copy_from_slice(&src[..n]);
    bytes::Buf::advance(src, n);
    n
}

/// Reads the body as a stream: how an in-process app's handler takes the
/// request's body without holding it in memory whole. A body of the async
/// client (an `AsyncBody`) cannot be read this way (`Unsupported`).
impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            Inner::Empty => Ok(0),
            Inner::Bytes(b) => Ok(take_into(b, buf)),
            _ => self.read_blocking(buf).unwrap_or_else(|| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "an async body can only be read by the async client",
                ))
            }),
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Empty => f.write_str("Body(empty)"),
            Inner::Bytes(b) => write!(f, "Body({} bytes)", b.len()),
            Inner::Reader { len, .. } => write!(f, "Body(reader, length {len:?})"),
            Inner::Replayable { len, .. } => write!(f, "Body(replayable stream, length {len:?})"),
            #[cfg(feature = "async")]
            Inner::AsyncReader { len, .. } => write!(f, "Body(async reader, length {len:?})"),
            #[cfg(feature = "async")]
            Inner::Stream { len, .. } => write!(f, "Body(stream, length {len:?})"),
            #[cfg(feature = "tower")]
            Inner::Frames { .. } => write!(f, "Body(http_body, length {:?})", self.len()),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        if b.is_empty() {
            Body::empty()
        } else {
            Body {
                inner: Inner::Bytes(b),
            }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Bytes::from(v).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Body {
        Bytes::from_static(s).into()
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}

/// A stream of chunks that reports each chunk's size.
#[cfg(feature = "async")]
struct CountingStream {
    inner: std::pin::Pin<Box<dyn futures_core::Stream<Item = std::io::Result<Bytes>> + Send>>,
    count: Box<dyn FnMut(u64) + Send>,
}

#[cfg(feature = "async")]
impl futures_core::Stream for CountingStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(chunk))) = &polled {
            let n = chunk.len() as u64;
            (self.count)(n);
        }
        polled
    }
}

/// Builds streaming request bodies for the async client: from a
/// `tokio::io::AsyncRead` or a `Stream` of [`Bytes`], with the constructor
/// names [`Body`] has. Converts into a [`Body`].
///
/// # Examples
///
/// ```
/// use ferrohttp::{AsyncBody, Body};
///
/// let reader = std::io::Cursor::new(b"abc".to_vec()); // Cursor is AsyncRead too
/// let body: Body = AsyncBody::sized(reader, 3).into();
/// assert_eq!(body.len(), Some(3));
/// ```
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
#[derive(Debug)]
pub struct AsyncBody(Body);

#[cfg(feature = "async")]
impl AsyncBody {
    /// A body streamed from `reader`, of unknown length (sent chunked).
    pub fn new(reader: impl tokio::io::AsyncRead + Send + 'static) -> AsyncBody {
        AsyncBody(Body {
            inner: Inner::AsyncReader {
                reader: Box::pin(reader),
                len: None,
            },
        })
    }

    /// A body streamed from `reader`, which must give exactly `len` bytes.
    pub fn sized(reader: impl tokio::io::AsyncRead + Send + 'static, len: u64) -> AsyncBody {
        AsyncBody(Body {
            inner: Inner::AsyncReader {
                reader: Box::pin(reader),
                len: Some(len),
            },
        })
    }

    /// A body from a stream of byte chunks that give exactly `len` bytes
    /// (sent with `Content-Length`).
    #[cfg(feature = "multipart")]
    pub(crate) fn sized_stream(
        stream: impl futures_core::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        len: u64,
    ) -> AsyncBody {
        AsyncBody(Body {
            inner: Inner::Stream {
                stream: Box::pin(stream),
                len: Some(len),
                rest: Bytes::new(),
            },
        })
    }

    /// A body from a stream of byte chunks, of unknown length (sent chunked).
    pub fn wrap_stream(
        stream: impl futures_core::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) -> AsyncBody {
        AsyncBody(Body {
            inner: Inner::Stream {
                stream: Box::pin(stream),
                len: None,
                rest: Bytes::new(),
            },
        })
    }
}

#[cfg(feature = "async")]
impl From<AsyncBody> for Body {
    fn from(b: AsyncBody) -> Body {
        b.0
    }
}
