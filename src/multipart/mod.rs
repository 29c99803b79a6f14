//! `multipart/form-data` request bodies (RFC 7578), streamed: text fields,
//! file parts read from disk as they are sent (never whole), parts from any
//! reader or from bytes. The bytes of the framing (boundaries, part heads,
//! escaping, the length) are decided in the `encode` module, sans-IO; the body only
//! pulls parts through it.

mod encode;
mod mime;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};

pub(crate) use encode::{boundary_ok, part_head, random_boundary};

/// Where a part's content comes from.
enum Source {
    /// In memory: a text field or bytes.
    Bytes(Bytes),
    /// A file, opened when the body reaches it; its size read at `file()`.
    File { path: PathBuf, len: u64 },
    /// Any reader, with its length when known.
    Reader {
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
    },
    /// An async reader (the async client only), with its length when known.
    #[cfg(feature = "async")]
    AsyncReader {
        reader: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>,
        len: Option<u64>,
    },
}

/// One part of a [`Multipart`] form: its content, and optionally a file
/// name, a content type and extra header fields.
///
/// ```
/// use ferrohttp::multipart::Part;
///
/// let part = Part::bytes(vec![1, 2, 3])
///     .file_name("a.bin")
///     .mime("application/octet-stream");
/// # drop(part);
/// ```
pub struct Part {
    source: Source,
    file_name: Option<String>,
    mime: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The first invalid setting, reported when the form is sent.
    invalid: Option<String>,
    /// A text field: no `Content-Type` unless one is given.
    text: bool,
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::File { path, len } => format!("file {} ({len} bytes)", path.display()),
            Source::Reader { len, .. } => match len {
                Some(n) => format!("reader ({n} bytes)"),
                None => "reader".to_string(),
            },
            #[cfg(feature = "async")]
            Source::AsyncReader { len, .. } => match len {
                Some(n) => format!("async reader ({n} bytes)"),
                None => "async reader".to_string(),
            },
        };
        f.debug_struct("Part")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .finish_non_exhaustive()
    }
}

impl Part {
    fn new(source: Source, text: bool) -> Part {
        Part {
            source,
            file_name: None,
            mime: None,
            headers: Vec::new(),
            invalid: None,
            text,
        }
    }

    /// A text field's value (sent with no `Content-Type`, as browsers do).
    pub fn text(value: impl Into<String>) -> Part {
        Part::new(Source::Bytes(Bytes::from(value.into())), true)
    }

    /// Bytes, with no file name unless [`file_name`](Self::file_name) gives
    /// one; `Content-Type: application/octet-stream` unless
    /// [`mime`](Self::mime) says otherwise.
    pub fn bytes(data: impl Into<Bytes>) -> Part {
        Part::new(Source::Bytes(data.into()), false)
    }

    /// The file at `path`: its size and name are read now (a missing file
    /// fails here), its contents when the form is sent, a buffer at a time.
    /// The type is guessed from the file name.
    ///
    /// # Errors
    /// `RequestBody` when the file's metadata cannot be read, or it is not
    /// a regular file.
    pub fn file(path: impl AsRef<Path>) -> Result<Part> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::new(
                ErrorKind::RequestBody,
                format!("cannot read {} for a multipart part", path.display()),
            )
            .with_source(e)
        })?;
        if !meta.is_file() {
            return Err(Error::new(
                ErrorKind::RequestBody,
                format!("{} is not a regular file", path.display()),
            ));
        }
        let mut part = Part::new(
            Source::File {
                path: path.to_path_buf(),
                len: meta.len(),
            },
            false,
        );
        part.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(part)
    }

    /// A part read from `reader` as it is sent: with `Some(len)` it must
    /// give exactly that many bytes; with `None` the form's length is
    /// unknown and it is sent chunked.
    pub fn reader(reader: impl Read + Send + 'static, len: Option<u64>) -> Part {
        Part::new(
            Source::Reader {
                reader: Box::new(reader),
                len,
            },
            false,
        )
    }

    /// A part read from an async `reader` as it is sent, by the async
    /// client (the blocking client refuses a form with such a part with
    /// `RequestBody`): with `Some(len)` it must give exactly that many
    /// bytes; with `None` the form is sent chunked.
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub fn async_reader(
        reader: impl tokio::io::AsyncRead + Send + 'static,
        len: Option<u64>,
    ) -> Part {
        Part::new(
            Source::AsyncReader {
                reader: Box::pin(reader),
                len,
            },
            false,
        )
    }

    /// The file name sent for this part (`filename=` in its
    /// `Content-Disposition`); the type is guessed from it unless `mime`
    /// gives one.
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Part {
        self.file_name = Some(name.into());
        self
    }

    /// The part's `Content-Type`, instead of the guessed one.
    #[must_use]
    pub fn mime(mut self, mime: impl Into<String>) -> Part {
        let mime = mime.into();
        if HeaderValue::from_str(&mime).is_err() {
            self.invalid
                .get_or_insert_with(|| format!("invalid content type {mime:?}"));
        }
        self.mime = Some(mime);
        self
    }

    /// An extra header field for this part.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Part {
        let (n, v) = (name.as_ref(), value.as_ref());
        match (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => {
                self.invalid
                    .get_or_insert_with(|| format!("invalid part header {n:?}"));
            }
        }
        self
    }

    /// The content's length, when known.
    fn len(&self) -> Option<u64> {
        match &self.source {
            Source::Bytes(b) => Some(b.len() as u64),
            Source::File { len, .. } => Some(*len),
            Source::Reader { len, .. } => *len,
            #[cfg(feature = "async")]
            Source::AsyncReader { len, .. } => *len,
        }
    }

    /// The `Content-Type` sent: the given one; none for a text field; else
    /// guessed from the file name, `application/octet-stream` otherwise.
    fn content_type(&self) -> Option<&str> {
        if let Some(m) = &self.mime {
            return Some(m);
        }
        if self.text && self.file_name.is_none() {
            return None;
        }
        Some(
            self.file_name
                .as_deref()
                .and_then(mime::guess)
                .unwrap_or("application/octet-stream"),
        )
    }
}

/// A `multipart/form-data` body (RFC 7578): fields and files, sent as a
/// stream. Give it to `RequestBuilder::multipart`.
///
/// Every part with a known size (text, bytes, files, sized readers) gives
/// the form a `Content-Length`; a reader of unknown length makes it
/// chunked. Files are opened when the body reaches them and read a buffer
/// at a time.
///
/// ```no_run
/// use ferrohttp::multipart::{Multipart, Part};
///
/// let form = Multipart::new()
///     .text("name", "value")
///     .text("tag", "a")
///     .text("tag", "b")                        // repeated names are kept
///     .file("upload", "photo.png")?            // streamed, type guessed
///     .part("raw", Part::bytes(vec![0u8; 16]).file_name("a.bin"));
/// let r = ferrohttp::Client::new()
///     .post("http://127.0.0.1:8080/upload")
///     .multipart(form)
///     .send()?;
/// println!("{}", r.status());
/// # Ok::<(), ferrohttp::Error>(())
/// ```
pub struct Multipart {
    boundary: String,
    parts: Vec<(String, Part)>,
    invalid: Option<String>,
}

impl fmt::Debug for Multipart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multipart")
            .field("boundary", &self.boundary)
            .field("parts", &self.parts)
            .finish()
    }
}

impl Default for Multipart {
    fn default() -> Multipart {
        Multipart::new()
    }
}

impl Multipart {
    /// An empty form with a random boundary.
    pub fn new() -> Multipart {
        Multipart {
            boundary: random_boundary(),
            parts: Vec::new(),
            invalid: None,
        }
    }

    /// Uses `boundary` (1 to 70 of RFC 2046's boundary characters, not
    /// ending in a space); an invalid one fails when the form is sent. It
    /// must not occur in any part's content: choose it knowing the data.
    #[must_use]
    pub fn boundary(mut self, boundary: impl Into<String>) -> Multipart {
        let boundary = boundary.into();
        if !boundary_ok(&boundary) {
            self.invalid.get_or_insert_with(|| {
                format!(
                    "invalid multipart boundary {boundary:?}: 1 to 70 characters of \
                     A-Z a-z 0-9 '()+_,-./:=? and space, not ending in a space"
                )
            });
        }
        self.boundary = boundary;
        self
    }

    /// The boundary.
    pub fn boundary_str(&self) -> &str {
        &self.boundary
    }

    /// Adds a text field.
    #[must_use]
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Multipart {
        self.part(name, Part::text(value))
    }

    /// Adds the file at `path` (see [`Part::file`]).
    ///
    /// # Errors
    /// As `Part::file`: the file's metadata must be readable now.
    pub fn file(self, name: impl Into<String>, path: impl AsRef<Path>) -> Result<Multipart> {
        Ok(self.part(name, Part::file(path)?))
    }

    /// Adds `part` under `name`.
    #[must_use]
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Multipart {
        self.parts.push((name.into(), part));
        self
    }

    /// The `Content-Type` header value: `multipart/form-data; boundary=...`
    /// (the boundary quoted when it needs to be).
    pub fn content_type(&self) -> String {
        encode::content_type(&self.boundary)
    }

    /// The body's length, when every part's size is known.
    pub fn len(&self) -> Option<u64> {
        let mut total = encode::closing(&self.boundary).len() as u64;
        for (name, part) in &self.parts {
            total += self.head(name, part).len() as u64 + part.len()? + 2;
        }
        Some(total)
    }

    /// Whether the form has no parts.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    fn head(&self, name: &str, part: &Part) -> Vec<u8> {
        part_head(
            &self.boundary,
            name,
            part.file_name.as_deref(),
            part.content_type(),
            &part.headers,
        )
    }

    /// The form as a streaming body, and its `Content-Type`: for a
    /// [`Request`](crate::Request) put together by hand
    /// (`RequestBuilder::multipart` does this itself).
    ///
    /// # Errors
    /// `LocalProtocol` for an invalid boundary, content type or part header.
    pub fn into_body(self) -> Result<(Body, String)> {
        let invalid = self
            .invalid
            .clone()
            .or_else(|| self.parts.iter().find_map(|(_, p)| p.invalid.clone()));
        if let Some(msg) = invalid {
            return Err(Error::new(ErrorKind::LocalProtocol, msg));
        }
        let content_type = self.content_type();
        let len = self.len();
        let heads: Vec<Bytes> = self
            .parts
            .iter()
            .map(|(name, part)| Bytes::from(self.head(name, part)))
            .collect();
        // Each part's head, content and CRLF, then the closing delimiter.
        let crlf = || Bytes::from_static(b"\r\n");
        let closing = Bytes::from(encode::closing(&self.boundary));
        let replayable = self
            .parts
            .iter()
            .all(|(_, p)| matches!(p.source, Source::Bytes(_) | Source::File { .. }));
        if replayable {
            // Bytes and files only: the form can be read again from its
            // start (for a redirect or an auth challenge), reopening files.
            let mut spec = Vec::with_capacity(heads.len() * 3 + 1);
            for ((_, part), head) in self.parts.into_iter().zip(heads) {
                spec.push(Spec::Bytes(head));
                spec.push(match part.source {
                    Source::Bytes(b) => Spec::Bytes(b),
                    Source::File { path, len } => Spec::File(path, len),
                    _ => unreachable!("checked above"),
                });
                spec.push(Spec::Bytes(crlf()));
            }
            spec.push(Spec::Bytes(closing));
            let spec = std::sync::Arc::new(spec);
            let open: crate::body::Opener = std::sync::Arc::new(move || {
                let segments = spec.iter().map(Spec::segment).collect();
                Ok(Box::new(FormReader { segments }) as Box<dyn Read + Send>)
            });
            return Ok((Body::replayable(open, len), content_type));
        }
        let mut segments = std::collections::VecDeque::with_capacity(heads.len() * 3 + 1);
        for ((_, part), head) in self.parts.into_iter().zip(heads) {
            segments.push_back(Segment::Bytes(head));
            segments.push_back(match part.source {
                Source::Bytes(b) => Segment::Bytes(b),
                Source::File { path, len } => Spec::File(path, len).segment(),
                Source::Reader { reader, len } => Segment::Reader { reader, len },
                #[cfg(feature = "async")]
                Source::AsyncReader { reader, len } => Segment::AsyncReader { reader, len },
            });
            segments.push_back(Segment::Bytes(crlf()));
        }
        segments.push_back(Segment::Bytes(closing));
        #[cfg(feature = "async")]
        if segments
            .iter()
            .any(|s| matches!(s, Segment::AsyncReader { .. }))
        {
            // A stream of chunks, which only the async client sends.
            let stream = FormStream {
                reader: FormReader { segments },
                buf: vec![0u8; 64 * 1024],
            };
            let body = match len {
                Some(n) => crate::body::AsyncBody::sized_stream(stream, n),
                None => crate::body::AsyncBody::wrap_stream(stream),
            };
            return Ok((body.into(), content_type));
        }
        let reader = FormReader { segments };
        let body = match len {
            Some(n) => Body::sized(reader, n),
            None => Body::new(reader),
        };
        Ok((body, content_type))
    }
}

/// A piece of a replayable form, from which each reading starts afresh.
enum Spec {
    Bytes(Bytes),
    File(PathBuf, u64),
}

impl Spec {
    fn segment(&self) -> Segment {
        match self {
            Spec::Bytes(b) => Segment::Bytes(b.clone()),
            Spec::File(path, len) => Segment::File {
                path: path.clone(),
                len: *len,
                file: None,
            },
        }
    }
}

/// One piece of the byte stream.
enum Segment {
    Bytes(Bytes),
    File {
        path: PathBuf,
        len: u64,
        file: Option<std::fs::File>,
    },
    Reader {
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
    },
    #[cfg(feature = "async")]
    AsyncReader {
        reader: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>,
        len: Option<u64>,
    },
}

/// The form's bytes, read in order: each part's head, its content, CRLF,
/// then the closing boundary.
struct FormReader {
    segments: std::collections::VecDeque<Segment>,
}

impl Read for FormReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while let Some(segment) = self.segments.front_mut() {
            let n = read_segment(segment, buf)?;
            if n > 0 {
                return Ok(n);
            }
            self.segments.pop_front();
        }
        Ok(0)
    }
}

/// Reads the next bytes of `segment` into `buf` (not empty): 0 when it is
/// done.
fn read_segment(segment: &mut Segment, buf: &mut [u8]) -> std::io::Result<usize> {
    let short = |what: String| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what);
    match segment {
        Segment::Bytes(b) => Ok(crate::body::take_into(b, buf)),
        Segment::File { path, len, file } => {
            let want = buf.len().min(usize::try_from(*len).unwrap_or(usize::MAX));
            if want == 0 {
                return Ok(0);
            }
            if file.is_none() {
                *file = Some(std::fs::File::open(&*path).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("opening {} for the multipart body: {e}", path.display()),
                    )
                })?);
            }
            let n = file
                .as_mut()
                .expect("opened above")
                .read(&mut buf[..want])?;
            if n == 0 {
                return Err(short(format!(
                    "{} is shorter than when it was added to the form",
                    path.display()
                )));
            }
            *len -= n as u64;
            Ok(n)
        }
        Segment::Reader { reader, len } => {
            let want = match len {
                Some(l) => buf.len().min(usize::try_from(*l).unwrap_or(usize::MAX)),
                None => buf.len(),
            };
            if want == 0 {
                return Ok(0);
            }
            let n = reader.read(&mut buf[..want])?;
            match len {
                Some(_) if n == 0 => Err(short(
                    "a multipart part's reader ended before its length".to_string(),
                )),
                Some(l) => {
                    *l -= n as u64;
                    Ok(n)
                }
                None => Ok(n),
            }
        }
        #[cfg(feature = "async")]
        Segment::AsyncReader { .. } => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "a multipart part from an AsyncRead can only be sent by the async client",
        )),
    }
}

/// A form with async parts, as a stream of chunks for the async client.
#[cfg(feature = "async")]
struct FormStream {
    reader: FormReader,
    buf: Vec<u8>,
}

#[cfg(feature = "async")]
impl futures_core::Stream for FormStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            let Some(segment) = this.reader.segments.front_mut() else {
                return Poll::Ready(None);
            };
            let n = match segment {
                Segment::AsyncReader { reader, len } => {
                    let want = match len {
                        Some(l) => this
                            .buf
                            .len()
                            .min(usize::try_from(*l).unwrap_or(usize::MAX)),
                        None => this.buf.len(),
                    };
                    if want == 0 {
                        0
                    } else {
                        let mut rb = tokio::io::ReadBuf::new(&mut this.buf[..want]);
                        match reader.as_mut().poll_read(cx, &mut rb) {
                            Poll::Pending => return Poll::Pending,
                            Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                            Poll::Ready(Ok(())) => {
                                let n = rb.filled().len();
                                match len {
                                    Some(_) if n == 0 => {
                                        return Poll::Ready(Some(Err(std::io::Error::new(
                                            std::io::ErrorKind::UnexpectedEof,
                                            "a multipart part's async reader ended before its length",
                                        ))))
                                    }
                                    Some(l) => *l -= n as u64,
                                    None => {}
                                }
                                n
                            }
                        }
                    }
                }
                other => match read_segment(other, &mut this.buf) {
                    Ok(n) => n,
                    Err(e) => return Poll::Ready(Some(Err(e))),
                },
            };
            if n > 0 {
                return Poll::Ready(Some(Ok(Bytes::copy_from_slice(&this.buf[..n]))));
            }
            this.reader.segments.pop_front();
        }
    }
}

#[cfg(test)]
mod tests;
