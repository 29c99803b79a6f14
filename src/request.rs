//! [`Request`]: a request ready to send, editable before it goes.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method, Version};
use url::Url;

use crate::auth::Auth;
use crate::body::Body;
use crate::config::Timeout;

/// A request: method, URL, headers, body and per-request settings.
///
/// Build one with a client's `build_request` (client defaults merged in) or
/// `RequestBuilder::build`, edit it, then send it with the client's `send`.
///
/// # Examples
///
/// ```
/// use ferrohttp::{Method, Request, Url};
///
/// let mut req = Request::new(Method::POST, Url::parse("http://127.0.0.1:8080/items")?);
/// req.headers_mut().insert("x-trace", "1".parse()?);
/// *req.body_mut() = "hello".into();
/// assert_eq!(req.body().len(), Some(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    version: Version,
    timeout: Option<Timeout>,
    follow_redirects: Option<bool>,
    auth: Option<Arc<dyn Auth>>,
    /// Cookies of this request only, merged with the jar's for the first hop.
    pub(crate) cookies: Vec<(String, String)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("version", &self.version)
            .field("timeout", &self.timeout)
            .field("follow_redirects", &self.follow_redirects)
            .field("auth", &self.auth.as_ref().map(|_| "<auth>"))
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            version: Version::HTTP_11,
            timeout: None,
            follow_redirects: None,
            auth: None,
            cookies: Vec::new(),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The method, to change.
    pub fn method_mut(&mut self) -> &mut Method {
        &mut self.method
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL, to change.
    pub fn url_mut(&mut self) -> &mut Url {
        &mut self.url
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, to change or replace.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// The HTTP version asked for: HTTP/1.1 (the default) or HTTP/1.0.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The HTTP version, to change.
    pub fn version_mut(&mut self) -> &mut Version {
        &mut self.version
    }

    /// Whether this request follows redirects; `None` uses the client's setting.
    pub fn follow_redirects(&self) -> Option<bool> {
        self.follow_redirects
    }

    /// Sets whether this request follows redirects (`None`: the client's setting).
    pub fn set_follow_redirects(&mut self, follow: Option<bool>) {
        self.follow_redirects = follow;
    }

    /// Authenticates this request with `auth`, instead of the client's.
    pub fn set_auth(&mut self, auth: impl Auth) {
        self.auth = Some(Arc::new(auth));
    }

    pub(crate) fn set_auth_arc(&mut self, auth: Arc<dyn Auth>) {
        self.auth = Some(auth);
    }

    pub(crate) fn take_auth(&mut self) -> Option<Arc<dyn Auth>> {
        self.auth.take()
    }

    /// A copy without the body, and whether the body could not be copied.
    pub(crate) fn clone_head(&self) -> Request {
        Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: Body::empty(),
            version: self.version,
            timeout: self.timeout,
            follow_redirects: self.follow_redirects,
            auth: self.auth.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// The timeouts for this request; `None` uses the client's.
    pub fn timeout(&self) -> Option<&Timeout> {
        self.timeout.as_ref()
    }

    /// The timeouts for this request, to change.
    pub fn timeout_mut(&mut self) -> &mut Option<Timeout> {
        &mut self.timeout
    }

    /// A copy of the request, if its body can be replayed (in memory).
    pub fn try_clone(&self) -> Option<Request> {
        let body = self.body.try_clone()?;
        let mut copy = self.clone_head();
        copy.body = body;
        Some(copy)
    }
}

/// `Cookie: a=1; b=2` for `pairs`; `None` for no pairs.
pub(crate) fn cookie_header(pairs: &[(String, String)]) -> Option<http::HeaderValue> {
    if pairs.is_empty() {
        return None;
    }
    let text = pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    http::HeaderValue::from_str(&text).ok()
}
