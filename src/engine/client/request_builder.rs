//! `RequestBuilder`: one request put together step by step, then sent.

use std::fmt;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::super::maybe;
use super::super::response::Response;
use super::builder::{header_pair, named_headers};
use super::Client;
use crate::auth::{Auth, BasicAuth};
use crate::body::Body;
use crate::config::Timeout;
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;
use crate::urls::merge_query;

/// What a finished builder hands on: the client, the request, its auth.
type Finished = (Client, Request, Option<Arc<dyn Auth>>);

/// A request being put together; `send` sends it. Errors in any step
/// (a bad header, a bad URL) surface at `send` or `build`.
#[must_use]
pub struct RequestBuilder {
    client: Client,
    request: Result<Request>,
    /// Header names this request set, so that a second `header` call with
    /// the same name adds a value instead of replacing the first.
    set_headers: Vec<HeaderName>,
    /// This request's auth, instead of the client's.
    auth: Option<Arc<dyn Auth>>,
    /// Told of the body's upload as it goes.
    upload_progress: Option<crate::body::ProgressFn>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    /// A builder for `request` (or the error that stopped it) on `client`.
    pub(super) fn new(client: Client, request: Result<Request>) -> RequestBuilder {
        RequestBuilder {
            client,
            request,
            set_headers: Vec::new(),
            auth: None,
            upload_progress: None,
        }
    }

    fn map(mut self, f: impl FnOnce(&mut Request) -> Result<()>) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            if let Err(e) = f(req) {
                self.request = Err(e);
            }
        }
        self
    }

    fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        if let Ok(req) = &mut self.request {
            if self.set_headers.contains(&name) {
                req.headers_mut().append(name, value);
            } else {
                // The request's header replaces the client's of the same name.
                req.headers_mut().insert(name.clone(), value);
                self.set_headers.push(name);
            }
        }
    }

    /// Adds a header. The first value of a name replaces the client's header
    /// of that name; later ones add values.
    pub fn header<K, V>(mut self, key: K, value: V) -> RequestBuilder
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        match header_pair(key, value) {
            Ok((k, v)) => self.set_header(k, v),
            Err(e) => {
                if self.request.is_ok() {
                    self.request = Err(e);
                }
            }
        }
        self
    }

    /// Adds headers as [`header`](Self::header) does.
    pub fn headers(mut self, headers: HeaderMap) -> RequestBuilder {
        for (name, value, _) in named_headers(headers) {
            self.set_header(name, value);
        }
        self
    }

    /// Adds query parameters; each key given replaces the same key from the
    /// client or the URL.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(self, params: &[(K, V)]) -> RequestBuilder {
        self.map(|req| {
            merge_query(req.url_mut(), params);
            Ok(())
        })
    }

    /// Sets the body.
    pub fn body(self, body: impl Into<Body>) -> RequestBuilder {
        let body = body.into();
        self.map(|req| {
            *req.body_mut() = body;
            Ok(())
        })
    }

    /// Sets a URL-encoded form body and `Content-Type:
    /// application/x-www-form-urlencoded`.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> RequestBuilder {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        self.map(|req| {
            req.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            *req.body_mut() = encoded.into();
            Ok(())
        })
    }

    /// Sets a `multipart/form-data` body (and its `Content-Type`), streamed
    /// part by part: files are read as they are sent. See
    /// [`Multipart`](crate::multipart::Multipart).
    #[cfg(feature = "multipart")]
    #[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
    pub fn multipart(self, form: crate::multipart::Multipart) -> RequestBuilder {
        self.map(|req| {
            let (body, content_type) = form.into_body()?;
            let value = HeaderValue::try_from(content_type).map_err(|e| {
                Error::new(ErrorKind::LocalProtocol, "invalid multipart Content-Type")
                    .with_source(e)
            })?;
            req.headers_mut().insert(CONTENT_TYPE, value);
            *req.body_mut() = body;
            Ok(())
        })
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        let encoded = serde_json::to_vec(value);
        self.map(|req| {
            let bytes = encoded.map_err(|e| {
                Error::new(
                    ErrorKind::LocalProtocol,
                    "the value could not be serialized as JSON",
                )
                .with_source(e)
            })?;
            req.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *req.body_mut() = bytes.into();
            Ok(())
        })
    }

    /// Whether this request follows redirects (default: the client's setting).
    pub fn follow_redirects(self, follow: bool) -> RequestBuilder {
        self.map(|req| {
            req.set_follow_redirects(Some(follow));
            Ok(())
        })
    }

    /// Reports the upload of this request's body: `progress(sent, total)`
    /// is called as its bytes are handed to the connection (`total`: the
    /// body's length when known), on the sending thread or task. For a
    /// progress bar; see [`Body::with_upload_progress`].
    pub fn upload_progress(
        mut self,
        progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
    ) -> RequestBuilder {
        self.upload_progress = Some(Arc::new(progress));
        self
    }

    /// The client, the request (with the upload reporting asked for) and
    /// its own auth.
    fn finish(self) -> Result<Finished> {
        let mut request = self.request?;
        if let Some(progress) = self.upload_progress {
            let body = std::mem::take(request.body_mut());
            *request.body_mut() = body.with_progress(progress);
        }
        Ok((self.client, request, self.auth))
    }

    /// Authenticates this request with `auth` instead of the client's.
    pub fn auth(mut self, auth: impl Auth) -> RequestBuilder {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// HTTP Basic authentication for this request.
    pub fn basic_auth(
        self,
        username: impl AsRef<str>,
        password: impl AsRef<str>,
    ) -> RequestBuilder {
        self.auth(BasicAuth::new(username, password))
    }

    /// `Authorization: Bearer <token>` for this request, as its auth.
    pub fn bearer_auth(self, token: impl std::fmt::Display) -> RequestBuilder {
        match HeaderValue::from_str(&format!("Bearer {token}")) {
            Ok(mut v) => {
                v.set_sensitive(true);
                self.auth(move |req: &mut Request| {
                    req.headers_mut()
                        .insert(http::header::AUTHORIZATION, v.clone());
                })
            }
            Err(e) => self.map(|_| {
                Err(Error::new(ErrorKind::LocalProtocol, "invalid bearer token").with_source(e))
            }),
        }
    }

    /// Adds cookies to this request only, on top of the client's jar (the
    /// request's replace the jar's of the same name).
    pub fn cookies<K: AsRef<str>, V: AsRef<str>>(self, cookies: &[(K, V)]) -> RequestBuilder {
        let pairs: Vec<(String, String)> = cookies
            .iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        self.map(|req| {
            req.cookies_mut().extend(pairs);
            Ok(())
        })
    }

    /// The HTTP version: HTTP/1.1 (default) or HTTP/1.0; others fail at send
    /// with `UnsupportedProtocol` (HTTP/2 arrives in a later release).
    pub fn version(self, version: http::Version) -> RequestBuilder {
        self.map(|req| {
            *req.version_mut() = version;
            Ok(())
        })
    }

    /// Sets the timeouts for this request (a `Duration` sets all four).
    pub fn timeout(self, timeout: impl Into<Timeout>) -> RequestBuilder {
        let timeout = timeout.into();
        self.map(|req| {
            *req.timeout_mut() = Some(timeout);
            Ok(())
        })
    }

    /// The request as built so far, to edit or send later.
    ///
    /// # Errors
    /// The first error of any step.
    ///
    /// An auth given to this builder is not part of a `Request` (as in
    /// httpx, auth is given when sending): `build()` then fails with
    /// `Config`; send the request with `Client::send_with_auth`.
    pub fn build(self) -> Result<Request> {
        if self.auth.is_some() {
            return Err(Error::new(
                ErrorKind::Config,
                "RequestBuilder::build: a Request does not carry the auth given to the builder; \
                 build without it and pass it to Client::send_with_auth",
            ));
        }
        self.finish().map(|(_, request, _)| request)
    }
}

#[maybe]
impl RequestBuilder {
    /// Sends the request and returns the response once its head arrived; the
    /// body streams from there.
    ///
    /// # Errors
    /// The first error of any builder step, or any failure to get a response
    /// head; see [`ErrorKind`].
    pub async fn send(self) -> Result<Response> {
        let (client, request, auth) = self.finish()?;
        client.send_authenticated(request, auth).await
    }
}
