//! [`Request`]: a request ready to send, editable before it goes.

use std::fmt;

use http::{HeaderMap, Method, Version};
use url::Url;

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
    /// Boxed: a request goes from its builder through the client and the
    /// transport into its response, and is several hundred bytes; moving
    /// it whole at every step was a measurable share of a request's cost.
    parts: Box<Parts>,
}

struct Parts {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    version: Version,
    timeout: Option<Timeout>,
    follow_redirects: Option<bool>,
    /// Cookies of this request only, merged with the jar's for the first hop.
    cookies: Vec<(String, String)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.parts.method)
            .field("url", &self.parts.url.as_str())
            .field("headers", &self.parts.headers)
            .field("body", &self.parts.body)
            .field("version", &self.parts.version)
            .field("timeout", &self.parts.timeout)
            .field("follow_redirects", &self.parts.follow_redirects)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: Url) -> Request {
        Request::from_parts(Parts {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            version: Version::HTTP_11,
            timeout: None,
            follow_redirects: None,
            cookies: Vec::new(),
        })
    }

    fn from_parts(parts: Parts) -> Request {
        Request {
            parts: Box::new(parts),
        }
    }

    /// Cookies of this request only (`RequestBuilder::cookies`), merged
    /// with the jar's for the first hop.
    pub(crate) fn cookies_mut(&mut self) -> &mut Vec<(String, String)> {
        &mut self.parts.cookies
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The method, to change.
    pub fn method_mut(&mut self) -> &mut Method {
        &mut self.parts.method
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.parts.url
    }

    /// The URL, to change.
    pub fn url_mut(&mut self) -> &mut Url {
        &mut self.parts.url
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.parts.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.parts.body
    }

    /// The body, to change or replace.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.parts.body
    }

    /// The HTTP version asked for: HTTP/1.1 (the default) or HTTP/1.0.
    pub fn version(&self) -> Version {
        self.parts.version
    }

    /// The HTTP version, to change.
    pub fn version_mut(&mut self) -> &mut Version {
        &mut self.parts.version
    }

    /// Whether this request follows redirects; `None` uses the client's setting.
    pub fn follow_redirects(&self) -> Option<bool> {
        self.parts.follow_redirects
    }

    /// Sets whether this request follows redirects (`None`: the client's setting).
    pub fn set_follow_redirects(&mut self, follow: Option<bool>) {
        self.parts.follow_redirects = follow;
    }

    /// A copy without the body.
    pub(crate) fn clone_head(&self) -> Request {
        Request::from_parts(Parts {
            method: self.parts.method.clone(),
            url: self.parts.url.clone(),
            headers: self.parts.headers.clone(),
            body: Body::empty(),
            version: self.parts.version,
            timeout: self.parts.timeout,
            follow_redirects: self.parts.follow_redirects,
            cookies: self.parts.cookies.clone(),
        })
    }

    /// The timeouts for this request; `None` uses the client's.
    pub fn timeout(&self) -> Option<&Timeout> {
        self.parts.timeout.as_ref()
    }

    /// The timeouts for this request, to change.
    pub fn timeout_mut(&mut self) -> &mut Option<Timeout> {
        &mut self.parts.timeout
    }

    /// A copy of the request, if its body can be replayed (in memory).
    pub fn try_clone(&self) -> Option<Request> {
        let body = self.parts.body.try_clone()?;
        let mut copy = self.clone_head();
        copy.parts.body = body;
        Some(copy)
    }
}

/// `Cookie: a=1; b=2` for `pairs`; `None` for no pairs. (With the
/// `cookies` feature the jar builds the header.)
#[cfg(not(feature = "cookies"))]
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
