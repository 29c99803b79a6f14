//! Authentication as sans-IO flows that both clients drive: [`Auth`],
//! [`AuthFlow`], [`AuthResponse`], with [`BasicAuth`], [`DigestAuth`] and
//! closures implementing [`Auth`].

mod basic;
mod challenge;
pub(crate) mod digest;

pub use basic::BasicAuth;
pub use challenge::{parse_challenges, Challenge};
pub use digest::DigestAuth;

/// Whether a digest `algorithm` parameter names a supported algorithm.
#[allow(dead_code, reason = "used by the fuzz entry points")]
pub(crate) fn digest_algorithm(name: Option<&str>) -> bool {
    digest::Algorithm::parse(name).is_some()
}

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};
use url::Url;

use crate::error::Result;
use crate::request::Request;

/// A way to authenticate requests, as a flow of requests and responses the
/// client drives (httpx's `Auth`). The same value works with both clients.
///
/// Simple schemes edit the request once ([`BasicAuth`], or a closure
/// `Fn(&mut Request)`); challenge-response schemes ([`DigestAuth`]) or
/// token refreshes send further requests after seeing a response.
///
/// # Examples
///
/// A bearer token that is refreshed once when the server answers 401:
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ferrohttp::{Auth, AuthFlow, AuthResponse, Request, Result};
///
/// #[derive(Clone)]
/// struct RefreshingToken {
///     token: Arc<Mutex<String>>,
///     refresh: Arc<dyn Fn() -> String + Send + Sync>, // say, a call to the token endpoint
/// }
///
/// impl Auth for RefreshingToken {
///     fn auth_flow(&self, request: Request) -> Box<dyn AuthFlow> {
///         Box::new(Flow { auth: self.clone(), request: Some(request), retried: false })
///     }
/// }
///
/// struct Flow { auth: RefreshingToken, request: Option<Request>, retried: bool }
///
/// impl Flow {
///     fn with_token(&self, mut req: Request) -> Request {
///         let value = format!("Bearer {}", self.auth.token.lock().unwrap());
///         req.headers_mut().insert("authorization", value.parse().unwrap());
///         req
///     }
/// }
///
/// impl AuthFlow for Flow {
///     fn next(&mut self, response: Option<&AuthResponse>) -> Result<Option<Request>> {
///         match response {
///             // First: send the request with the current token, keeping a copy.
///             None => {
///                 let original = self.request.take().expect("first call");
///                 self.request = original.try_clone();
///                 Ok(Some(self.with_token(original)))
///             }
///             // Expired: refresh once, then send the copy again.
///             Some(r) if r.status() == 401 && !self.retried => {
///                 self.retried = true;
///                 *self.auth.token.lock().unwrap() = (self.auth.refresh)();
///                 Ok(self.request.take().map(|req| self.with_token(req)))
///             }
///             Some(_) => Ok(None), // done: this response goes to the caller
///         }
///     }
/// }
///
/// let auth = RefreshingToken {
///     token: Arc::new(Mutex::new("stale".into())),
///     refresh: Arc::new(|| "fresh".into()),
/// };
/// let client = ferrohttp::Client::builder().auth(auth).build()?;
/// # drop(client);
/// # Ok::<(), ferrohttp::Error>(())
/// ```
pub trait Auth: Send + Sync + 'static {
    /// Whether the flow needs the request body in memory (it is then read
    /// whole before the flow starts). Default: no.
    fn requires_request_body(&self) -> bool {
        false
    }

    /// Whether the flow needs each response's body ([`AuthResponse::body`]).
    /// Default: no.
    fn requires_response_body(&self) -> bool {
        false
    }

    /// Starts the flow for `request`.
    fn auth_flow(&self, request: Request) -> Box<dyn AuthFlow>;
}

/// One run of an [`Auth`] for one request: a sans-IO state machine.
pub trait AuthFlow: Send {
    /// Called with `None` first, then with each response: returns the next
    /// request to send, or `None` to hand the last response to the caller.
    ///
    /// # Errors
    /// Any error aborts the request with it.
    fn next(&mut self, response: Option<&AuthResponse>) -> Result<Option<Request>>;
}

/// What an [`AuthFlow`] sees of a response: runtime-neutral, so one flow
/// serves both clients.
#[derive(Debug, Clone)]
pub struct AuthResponse {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) url: Url,
    pub(crate) body: Option<Bytes>,
}

impl AuthResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL of the request this answers.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The body, when the `Auth` declared `requires_response_body`.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

/// A closure that edits each request (say, to add a signature header) is an
/// `Auth` of one step.
impl<F> Auth for F
where
    F: Fn(&mut Request) + Send + Sync + 'static,
{
    fn auth_flow(&self, mut request: Request) -> Box<dyn AuthFlow> {
        self(&mut request);
        Box::new(OneShot(Some(request)))
    }
}

/// A flow that sends one prepared request and takes whatever comes back.
pub(crate) struct OneShot(pub(crate) Option<Request>);

impl AuthFlow for OneShot {
    fn next(&mut self, _response: Option<&AuthResponse>) -> Result<Option<Request>> {
        Ok(self.0.take())
    }
}
