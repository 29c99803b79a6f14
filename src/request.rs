//! [`Request`]: a request ready to send, editable before it goes.

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
#[derive(Debug)]
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    version: Version,
    timeout: Option<Timeout>,
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

    /// The HTTP version asked for (HTTP/1.1 until HTTP/2 lands).
    pub fn version(&self) -> Version {
        self.version
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
        Some(Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.try_clone()?,
            version: self.version,
            timeout: self.timeout,
        })
    }
}
