//! `Client`: configuration merged into each request, and the send path
//! (hooks, auth flow, redirects, cookies, transport).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::header::HeaderMap;
use http::Method;
use url::Url;

mod builder;
mod request_builder;

pub use builder::ClientBuilder;
pub use request_builder::RequestBuilder;

use super::maybe;
use super::response::Response;
use super::router::{Refusing, Router};
use crate::auth::{Auth, AuthResponse, BasicAuth};
use crate::body::Body;
use crate::config::{PoolStatus, Timeout};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;
use crate::urls::{merge_query, merge_url};
use crate::{netrc, redirect};

/// A hook run on every request the client sends.
pub(super) type RequestHook = Arc<dyn Fn(&mut Request) -> Result<()> + Send + Sync>;
/// A hook run on every response the client receives.
pub(super) type ResponseHook = Arc<dyn Fn(&mut Response) -> Result<()> + Send + Sync>;

/// The most body bytes of a redirect or auth-challenge response kept in memory.
const MAX_INTERIM_BODY: usize = 1024 * 1024;
/// The most body bytes read for an `Auth` that asks for response bodies.
const MAX_AUTH_BODY: usize = 16 * 1024 * 1024;

/// An HTTP client: settings merged into every request, and a transport with a
/// connection pool. Cloning is cheap and shares the pool: make one and reuse it.
///
/// Requests start with `get`, `post`, ... (or `request`), which return a
/// `RequestBuilder`; or with `build_request`, to edit a `Request` before `send`.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<ClientRef>,
}

pub(super) struct ClientRef {
    pub(super) base_url: Option<Url>,
    pub(super) headers: HeaderMap,
    pub(super) query: Vec<(String, String)>,
    pub(super) timeout: Timeout,
    /// The transport, and any mounted ones.
    pub(super) router: Router,
    pub(super) closed: AtomicBool,
    pub(super) auth: Option<Arc<dyn Auth>>,
    pub(super) follow_redirects: bool,
    pub(super) max_redirects: usize,
    pub(super) request_hooks: Vec<RequestHook>,
    pub(super) response_hooks: Vec<ResponseHook>,
    pub(super) use_netrc: bool,
    pub(super) max_body_size: Option<u64>,
    /// The `.netrc`, read at the first request that could use it.
    pub(super) netrc: std::sync::OnceLock<std::result::Result<Option<netrc::Netrc>, String>>,
    #[cfg(feature = "cookies")]
    pub(super) cookies: crate::CookieJar,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_ref().map(Url::as_str))
            .field("headers", &self.inner.headers)
            .field("timeout", &self.inner.timeout)
            .field("transport", &self.inner.router)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings.
    ///
    /// Never panics: when the environment holds a setting that cannot be
    /// used (a malformed `HTTPS_PROXY`, say), every request of this client
    /// fails with the error `ClientBuilder::build` would have returned.
    pub fn new() -> Client {
        ClientBuilder::new().build().unwrap_or_else(|e| {
            ClientBuilder::new()
                .transport(Refusing::new(e))
                .build()
                .expect("a client around a transport has no settings to refuse")
        })
    }

    /// A builder for a client with custom settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Starts a `GET` request to `url` (joined to the `base_url`, if any).
    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// Starts a `POST` request.
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Starts a `PUT` request.
    pub fn put(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// Starts a `PATCH` request.
    pub fn patch(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// Starts a `DELETE` request.
    pub fn delete(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// Starts a `HEAD` request.
    pub fn head(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// Starts an `OPTIONS` request.
    pub fn options(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::OPTIONS, url)
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), self.build_request(method, url))
    }

    /// Closes the client (and every mounted transport): idle connections close now, and later requests
    /// fail with `ErrorKind::Closed`. Responses already received can still be
    /// read. Dropping the last clone of a client closes everything too.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.router.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// The client's cookie jar: cookies set by responses, to read, set and clear.
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookies(&self) -> &crate::CookieJar {
        &self.inner.cookies
    }

    /// The `.netrc` (with `trust_env`, or `netrc(true)`): read once per
    /// client, at the first request that could use it.
    fn netrc(&self) -> Result<Option<&netrc::Netrc>> {
        if !self.inner.use_netrc {
            return Ok(None);
        }
        let loaded = self.inner.netrc.get_or_init(|| match netrc::locate() {
            Some(path) if path.is_file() => netrc::Netrc::from_file(&path)
                .map(Some)
                .map_err(|e| e.to_string()),
            _ => Ok(None),
        });
        loaded
            .as_ref()
            .map(Option::as_ref)
            .map_err(|msg| Error::new(ErrorKind::Config, format!("cannot use .netrc: {msg}")))
    }

    /// Credentials for `url`'s host from `.netrc`: for `user` when the URL
    /// names one (curl's rule: that login's entry), else the host's entry.
    fn netrc_auth(&self, url: &Url, user: Option<&str>) -> Result<Option<Arc<dyn Auth>>> {
        let Some(netrc) = self.netrc()? else {
            return Ok(None);
        };
        let host = url.host_str().unwrap_or("");
        let entry = match user {
            Some(user) => netrc.find_login(host, user),
            None => netrc.find(host),
        };
        Ok(entry.map(|e| Arc::new(BasicAuth::new(&e.login, &e.password)) as Arc<dyn Auth>))
    }

    /// Applies the jar's (and the request's own) cookies to `request`.
    fn add_cookies(&self, request: &mut Request, own: &[(String, String)]) {
        if request.headers().contains_key(http::header::COOKIE) {
            return; // set by hand: leave it as it is
        }
        #[cfg(feature = "cookies")]
        let value = self.inner.cookies.header_for(request.url(), own);
        #[cfg(not(feature = "cookies"))]
        let value = crate::request::cookie_header(own);
        if let Some(mut v) = value {
            // Kept out of `Debug` output (of a request, or a response's).
            v.set_sensitive(true);
            request.headers_mut().insert(http::header::COOKIE, v);
        }
    }

    /// A snapshot of the connection pool (open, idle per origin, waiting),
    /// or `None` for a transport without one. With mounted transports, the
    /// pools of all of them added up.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        self.inner.router.pool_status()
    }

    /// A request with the client's settings merged in (URL joined to the
    /// base, client query parameters and headers, timeouts), to edit and
    /// then [`send`](Self::send).
    ///
    /// # Errors
    /// `InvalidUrl` when `url` does not parse or is relative with no base.
    pub fn build_request(&self, method: Method, url: impl AsRef<str>) -> Result<Request> {
        let mut url = merge_url(self.inner.base_url.as_ref(), url.as_ref())?;
        merge_query(&mut url, &self.inner.query);
        let mut request = Request::new(method, url);
        *request.headers_mut() = self.inner.headers.clone();
        *request.timeout_mut() = Some(self.inner.timeout);
        Ok(request)
    }
}

/// Moves `user:password@` out of the URL into Basic credentials (httpx).
fn url_credentials(request: &mut Request) -> Option<(String, Option<String>)> {
    let url = request.url_mut();
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let user = crate::urls::percent_decode(url.username());
    let pass = url.password().map(crate::urls::percent_decode);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some((user, pass))
}

#[maybe]
impl Client {
    /// Sends a request as it is (use [`build_request`](Self::build_request)
    /// to get one with the client's settings merged in), with the client's
    /// auth, redirect policy, cookies and hooks. A request without timeouts
    /// gets the client's.
    ///
    /// # Errors
    /// Any failure to get a response head; see [`ErrorKind`].
    pub async fn send(&self, request: Request) -> Result<Response> {
        self.send_authenticated(request, None).await
    }

    /// [`send`](Self::send) with `auth` instead of the client's (httpx's
    /// `client.send(request, auth=...)`).
    ///
    /// # Errors
    /// As `send`.
    pub async fn send_with_auth(&self, request: Request, auth: impl Auth) -> Result<Response> {
        self.send_authenticated(request, Some(Arc::new(auth))).await
    }

    /// `send` with this request's own auth, if it has one.
    pub(super) async fn send_authenticated(
        &self,
        mut request: Request,
        own_auth: Option<Arc<dyn Auth>>,
    ) -> Result<Response> {
        if self.is_closed() {
            return Err(Error::new(
                ErrorKind::Closed,
                "cannot send a request: the client was closed",
            )
            .with_url(request.url()));
        }
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(self.inner.timeout);
        }
        let follow = request
            .follow_redirects()
            .unwrap_or(self.inner.follow_redirects);
        let from_url = url_credentials(&mut request);
        // The request's auth, the URL's credentials (a URL with a user
        // but no password takes that user's password from .netrc, as curl
        // does), the client's, then .netrc's entry for the host.
        let auth = match (own_auth, from_url) {
            (Some(auth), _) => Some(auth),
            (None, Some((user, Some(pass)))) => Some(Arc::new(BasicAuth::new(user, pass)) as _),
            (None, Some((user, None))) => Some(
                self.netrc_auth(request.url(), Some(&user))?
                    .unwrap_or_else(|| Arc::new(BasicAuth::new(user, ""))),
            ),
            (None, None) => match self.inner.auth.clone() {
                Some(auth) => Some(auth),
                None => self.netrc_auth(request.url(), None)?,
            },
        };
        let mut history = Vec::new();
        let Some(auth) = auth else {
            return self.send_following(request, follow, &mut history).await;
        };
        if auth.requires_request_body() && request.body().is_streaming() {
            let data = read_request_body(request.body_mut()).await?;
            *request.body_mut() = data.into();
        }
        let mut flow = auth.auth_flow(request);
        let mut next = flow.next(None)?.ok_or_else(|| {
            Error::new(
                ErrorKind::LocalProtocol,
                "the auth flow produced no request to send",
            )
        })?;
        loop {
            let mut response = self.send_following(next, follow, &mut history).await?;
            let body = if auth.requires_response_body() {
                let bytes = response.buffer_body(MAX_AUTH_BODY).await?.ok_or_else(|| {
                    Error::new(
                        ErrorKind::TooLarge,
                        format!("a response body for the auth flow is larger than {MAX_AUTH_BODY} bytes"),
                    )
                    .with_url(response.url())
                })?;
                Some(bytes)
            } else {
                None
            };
            let seen = AuthResponse {
                status: response.status(),
                version: response.version(),
                headers: response.headers().clone(),
                url: response.url().clone(),
                body,
            };
            match flow.next(Some(&seen))? {
                None => return Ok(response),
                Some(request) => {
                    response.buffer_body(MAX_INTERIM_BODY).await?;
                    history.append(&mut response.history);
                    history.push(response);
                    next = request;
                }
            }
        }
    }

    /// Sends `request`, following redirects when `follow`: cookies, hooks,
    /// history.
    async fn send_following(
        &self,
        mut request: Request,
        follow: bool,
        history: &mut Vec<Response>,
    ) -> Result<Response> {
        let own_cookies = std::mem::take(request.cookies_mut());
        self.add_cookies(&mut request, &own_cookies);
        loop {
            for hook in &self.inner.request_hooks {
                hook(&mut request)?;
            }
            let body_copy = request.body().try_clone();
            let mut response = self.send_one(request).await?;
            #[cfg(feature = "cookies")]
            self.inner
                .cookies
                .store_response(response.headers(), response.url());
            for hook in &self.inner.response_hooks {
                hook(&mut response)?;
            }
            // A hook may have replaced the response with one made by hand,
            // which has no request to redirect from.
            let (Some(location), Some(head)) = (
                redirect::location(response.status(), response.headers()),
                &response.request,
            ) else {
                response.history = std::mem::take(history);
                return Ok(response);
            };
            let status = response.status();
            let next = redirect::target(head.url(), location).and_then(|to| {
                let method = redirect::method(head.method(), status);
                let body = redirect::body(&method, head.method(), body_copy, status)?;
                let mut next = head.clone_head();
                *next.method_mut() = method;
                *next.headers_mut() =
                    redirect::headers(head.headers(), head.url(), &to, body.is_none());
                *next.url_mut() = to;
                *next.body_mut() = body.unwrap_or_default();
                next.cookies_mut().clear();
                Ok(next)
            });
            if !follow {
                response.next_request = next.ok();
                response.history = std::mem::take(history);
                return Ok(response);
            }
            let mut next = next.map_err(|e| e.with_url(response.url()))?;
            if history.len() >= self.inner.max_redirects {
                return Err(Error::new(
                    ErrorKind::TooManyRedirects,
                    format!(
                        "exceeded the limit of {} redirects",
                        self.inner.max_redirects
                    ),
                )
                .with_url(response.url()));
            }
            response.buffer_body(MAX_INTERIM_BODY).await?;
            history.push(response);
            self.add_cookies(&mut next, &[]);
            request = next;
        }
    }

    /// One request through the transport; the response carries the request
    /// (without its body) for redirects, cookies and `Response::request`.
    async fn send_one(&self, request: Request) -> Result<Response> {
        let mut response = self.inner.router.send(request).await?;
        response.max_body_size = self.inner.max_body_size;
        Ok(response)
    }
}

/// Reads a streaming request body whole, for an `Auth` that needs it.
#[maybe]
async fn read_request_body(body: &mut Body) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = super::rt::read_user_body(body, &mut buf)
            .await
            .map_err(|e| {
                Error::new(ErrorKind::RequestBody, "reading the request body failed").with_source(e)
            })?;
        if n == 0 {
            return Ok(data);
        }
        data.extend_from_slice(&buf[..n]);
    }
}
