//! `Client`, `ClientBuilder`, `RequestBuilder`: configuration merging and
//! the send path.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use http::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, USER_AGENT,
};
use http::Method;
use url::Url;

use super::maybe;
use super::response::Response;
use super::transport::{HttpTransport, Transport};
use crate::auth::{Auth, AuthResponse, BasicAuth};
use crate::body::Body;
use crate::config::{Limits, PoolStatus, Timeout};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::decode::ACCEPT_ENCODING as ACCEPTED_CODINGS;
use crate::request::Request;
use crate::tls::{Certificate, Identity, TlsOptions};
use crate::urls::{merge_query, merge_url};
use crate::{netrc, redirect};

/// A hook run on every request the client sends.
type RequestHook = Arc<dyn Fn(&mut Request) -> Result<()> + Send + Sync>;
/// A hook run on every response the client receives.
type ResponseHook = Arc<dyn Fn(&mut Response) -> Result<()> + Send + Sync>;

/// The most body bytes of a redirect or auth-challenge response kept in memory.
const MAX_INTERIM_BODY: usize = 1024 * 1024;
/// The most body bytes read for an `Auth` that asks for response bodies.
const MAX_AUTH_BODY: usize = 16 * 1024 * 1024;

/// The default `User-Agent`.
const DEFAULT_USER_AGENT: &str = concat!("ferrohttp/", env!("CARGO_PKG_VERSION"));

/// An HTTP client: settings merged into every request, and a transport with a
/// connection pool. Cloning is cheap and shares the pool: make one and reuse it.
///
/// Requests start with `get`, `post`, ... (or `request`), which return a
/// `RequestBuilder`; or with `build_request`, to edit a `Request` before `send`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientRef>,
}

struct ClientRef {
    base_url: Option<Url>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    timeout: Timeout,
    transport: Box<dyn Transport>,
    /// A transport given by the user: it may not hand the request back in
    /// its response, so the client keeps a copy of each request's head.
    custom_transport: bool,
    closed: AtomicBool,
    auth: Option<Arc<dyn Auth>>,
    follow_redirects: bool,
    max_redirects: usize,
    request_hooks: Vec<RequestHook>,
    response_hooks: Vec<ResponseHook>,
    use_netrc: bool,
    max_body_size: Option<u64>,
    /// The `.netrc`, read at the first request that could use it.
    netrc: std::sync::OnceLock<std::result::Result<Option<netrc::Netrc>, String>>,
    #[cfg(feature = "cookies")]
    cookies: crate::CookieJar,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_ref().map(Url::as_str))
            .field("headers", &self.inner.headers)
            .field("timeout", &self.inner.timeout)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

/// Settings for a `Client`. Every setter takes and returns the builder.
#[must_use]
pub struct ClientBuilder {
    base_url: Option<Url>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    timeout: Timeout,
    limits: Limits,
    max_head_size: Option<usize>,
    max_headers: Option<usize>,
    resolve: Vec<(String, SocketAddr)>,
    local_address: Option<IpAddr>,
    uds: Option<std::path::PathBuf>,
    retries: u32,
    tls: TlsOptions,
    transport: Option<Box<dyn Transport>>,
    auth: Option<Arc<dyn Auth>>,
    follow_redirects: bool,
    max_redirects: usize,
    request_hooks: Vec<RequestHook>,
    response_hooks: Vec<ResponseHook>,
    #[cfg(feature = "cookies")]
    cookies: Option<crate::CookieJar>,
    netrc: Option<bool>,
    max_body_size: Option<u64>,
    error: Option<Error>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field("headers", &self.headers)
            .field("timeout", &self.timeout)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

/// Turns a name and value into header types, or a `LocalProtocol` error
/// naming the header (a value with CR, LF or NUL ends here, before sending).
fn header_pair<K, V>(key: K, value: V) -> Result<(HeaderName, HeaderValue)>
where
    HeaderName: TryFrom<K>,
    <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
    HeaderValue: TryFrom<V>,
    <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
{
    let name = HeaderName::try_from(key).map_err(|e| {
        Error::new(ErrorKind::LocalProtocol, "invalid header name").with_source(e.into())
    })?;
    let value = HeaderValue::try_from(value).map_err(|e| {
        Error::new(
            ErrorKind::LocalProtocol,
            format!(
                "invalid value for header {name} (CR, LF, NUL and other controls are not allowed)"
            ),
        )
        .with_source(e.into())
    })?;
    Ok((name, value))
}

impl ClientBuilder {
    /// A builder with the defaults: headers `user-agent: ferrohttp/<version>`,
    /// `accept: */*` and `accept-encoding` listing the codings compiled in;
    /// 5 s timeouts; httpx's pool limits.
    pub fn new() -> ClientBuilder {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_CODINGS));
        ClientBuilder {
            base_url: None,
            headers,
            query: Vec::new(),
            timeout: Timeout::default(),
            limits: Limits::default(),
            max_head_size: None,
            max_headers: None,
            resolve: Vec::new(),
            local_address: None,
            uds: None,
            retries: 0,
            tls: TlsOptions::default(),
            transport: None,
            auth: None,
            follow_redirects: false,
            max_redirects: redirect::DEFAULT_MAX_REDIRECTS,
            request_hooks: Vec::new(),
            response_hooks: Vec::new(),
            #[cfg(feature = "cookies")]
            cookies: None,
            netrc: None,
            max_body_size: None,
            error: None,
        }
    }

    fn fail(mut self, e: Error) -> ClientBuilder {
        self.error.get_or_insert(e);
        self
    }

    /// Sets the URL that relative request URLs are joined to, httpx-style:
    /// its path is kept, with a trailing slash implied. Default: none.
    pub fn base_url(self, url: impl AsRef<str>) -> ClientBuilder {
        match merge_url(None, url.as_ref()) {
            Ok(u) => ClientBuilder {
                base_url: Some(u),
                ..self
            },
            Err(e) => self.fail(e),
        }
    }

    /// Sets a header sent with every request, replacing any value it had
    /// (including the defaults). A request's own header of the same name
    /// replaces it.
    pub fn header<K, V>(mut self, key: K, value: V) -> ClientBuilder
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        match header_pair(key, value) {
            Ok((k, v)) => {
                self.headers.insert(k, v);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Sets several headers as [`header`](Self::header) does.
    pub fn headers(mut self, headers: HeaderMap) -> ClientBuilder {
        replace_headers(&mut self.headers, headers);
        self
    }

    /// Removes a header from the defaults (say, `accept-encoding`).
    pub fn remove_header(mut self, name: impl http::header::AsHeaderName) -> ClientBuilder {
        self.headers.remove(name);
        self
    }

    /// Adds query parameters sent with every request; a request's parameter
    /// with the same key replaces the client's.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, params: &[(K, V)]) -> ClientBuilder {
        self.query.extend(
            params
                .iter()
                .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string())),
        );
        self
    }

    /// Sets the timeouts (default: 5 s each for connect, read, write and pool).
    pub fn timeout(mut self, timeout: impl Into<Timeout>) -> ClientBuilder {
        self.timeout = timeout.into();
        self
    }

    /// Sets the pool limits (default: [`Limits::default`]). Ignored when a
    /// custom transport is given.
    pub fn limits(mut self, limits: Limits) -> ClientBuilder {
        self.limits = limits;
        self
    }

    /// Sets the largest response head accepted (default 64 KiB).
    pub fn max_response_head_size(mut self, n: usize) -> ClientBuilder {
        self.max_head_size = Some(n);
        self
    }

    /// Sets the most headers accepted in a response head (default 100).
    pub fn max_response_headers(mut self, n: usize) -> ClientBuilder {
        self.max_headers = Some(n);
        self
    }

    /// Connects to `addr` for `host` instead of resolving it, like curl's
    /// `--resolve` (beyond httpx); see [`HttpTransport::resolve`]. Ignored
    /// when a custom transport is given.
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> ClientBuilder {
        self.resolve.push((host.to_string(), addr));
        self
    }

    /// Binds this source address before connecting (httpx's
    /// `local_address`). Ignored when a custom transport is given.
    pub fn local_address(mut self, addr: IpAddr) -> ClientBuilder {
        self.local_address = Some(addr);
        self
    }

    /// Connects through the Unix domain socket at `path` (curl's
    /// `--unix-socket`); see [`HttpTransport::uds`]. Ignored when a custom
    /// transport is given.
    pub fn unix_socket(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.uds = Some(path.into());
        self
    }

    /// Retries a failed connect `n` more times; see
    /// [`HttpTransport::retries`]. Ignored when a custom transport is given.
    pub fn retries(mut self, n: u32) -> ClientBuilder {
        self.retries = n;
        self
    }

    /// Trusts `cert` as a root, in addition to the built-in roots.
    pub fn add_root_certificate(mut self, cert: Certificate) -> ClientBuilder {
        self.tls.roots.push(cert);
        self
    }

    /// Trusts the CA certificates of this PEM bundle file (httpx's
    /// `verify="bundle.pem"`, curl's `--cacert`); the built-in roots are then
    /// not used unless [`tls_built_in_root_certs`](Self::tls_built_in_root_certs) says so.
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.tls.ca_files.push(path.into());
        self
    }

    /// Trusts the CA certificates of every PEM file in this directory
    /// (curl's `--capath`); replaces the built-in roots as `ca_file` does.
    pub fn ca_dir(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.tls.ca_dirs.push(path.into());
        self
    }

    /// Whether to trust the built-in roots (webpki-roots, Mozilla's list).
    /// Default: yes, unless a CA file or directory is given (also by
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    pub fn tls_built_in_root_certs(mut self, enabled: bool) -> ClientBuilder {
        self.tls.built_in_roots = Some(enabled);
        self
    }

    /// Also trusts the operating system's certificate store. Default: no.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn native_roots(mut self, enabled: bool) -> ClientBuilder {
        self.tls.native_roots = enabled;
        self
    }

    /// Presents this client certificate to servers that ask for one.
    pub fn identity(mut self, identity: Identity) -> ClientBuilder {
        self.tls.identity = Some(identity);
        self
    }

    /// Accepts any server certificate: expired, self-signed, for another
    /// host (curl's `-k`). Default: no.
    ///
    /// # Warning
    /// With this on, anyone on the network path can read and change the
    /// traffic. Use it only against test servers you control.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.tls.danger_accept_invalid_certs = accept;
        self
    }

    /// Uses this rustls configuration as it is for HTTPS (httpx's
    /// `SSLContext`): the one escape hatch for TLS settings ferrohttp does not
    /// cover. The other TLS settings of this builder are then ignored.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn use_preconfigured_tls(mut self, config: Arc<rustls::ClientConfig>) -> ClientBuilder {
        self.tls.preconfigured = Some(config);
        self
    }

    /// Whether to read settings from the environment: `SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`, `SSLKEYLOGFILE` (and, in later releases, proxies and
    /// `.netrc`). Default: yes, as httpx. They are read when the client is
    /// built; a client with no TLS settings of its own shares one default
    /// configuration per process, read when the first such client is built.
    pub fn trust_env(mut self, trust: bool) -> ClientBuilder {
        self.tls.trust_env = trust;
        self
    }

    /// Authenticates every request with `auth` (a request's own auth
    /// replaces it): [`BasicAuth`], [`crate::DigestAuth`], a closure
    /// `Fn(&mut Request)`, or your own [`Auth`]. Default: none (then, with
    /// `trust_env`, credentials from `.netrc` or the URL).
    pub fn auth(mut self, auth: impl Auth) -> ClientBuilder {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Whether a request without auth takes credentials from `.netrc`
    /// (`$NETRC`, `~/.netrc`, `~/_netrc`). Default: what
    /// [`trust_env`](Self::trust_env) says (on).
    pub fn netrc(mut self, enabled: bool) -> ClientBuilder {
        self.netrc = Some(enabled);
        self
    }

    /// The most bytes `Response::bytes`, `text` and `json` collect (after
    /// content decoding) before failing with `ErrorKind::TooLarge`: a guard
    /// against huge or decompression-bomb bodies. Streaming reads are not
    /// limited (they hold one buffer at a time). Default: no limit.
    pub fn max_body_size(mut self, bytes: impl Into<Option<u64>>) -> ClientBuilder {
        self.max_body_size = bytes.into();
        self
    }

    /// Whether to follow redirects (a request can say otherwise). Default:
    /// no, as httpx; a redirect response then carries `next_request()`.
    pub fn follow_redirects(mut self, follow: bool) -> ClientBuilder {
        self.follow_redirects = follow;
        self
    }

    /// The most redirects followed before `TooManyRedirects` (default 20).
    pub fn max_redirects(mut self, n: usize) -> ClientBuilder {
        self.max_redirects = n;
        self
    }

    /// Adds a hook run on every request the client sends, redirect hops and
    /// auth retries included, in the order added; it may change the request,
    /// and an `Err` aborts it with that error.
    ///
    /// Hooks are set on the builder only: a `Client` is shared by its clones
    /// across threads, and hooks that changed under running requests would
    /// run half old, half new. Build a new client for other hooks.
    pub fn on_request<F>(mut self, hook: F) -> ClientBuilder
    where
        F: Fn(&mut Request) -> Result<()> + Send + Sync + 'static,
    {
        self.request_hooks.push(Arc::new(hook));
        self
    }

    /// Adds a hook run on every response the client receives (before
    /// redirects are followed), in the order added; it may change the
    /// response, and an `Err` aborts the request with that error.
    pub fn on_response<F>(mut self, hook: F) -> ClientBuilder
    where
        F: Fn(&mut Response) -> Result<()> + Send + Sync + 'static,
    {
        self.response_hooks.push(Arc::new(hook));
        self
    }

    /// Uses `jar` as the client's cookie jar (to share one between
    /// clients, or to start with cookies). Default: a new, empty jar.
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookie_jar(mut self, jar: crate::CookieJar) -> ClientBuilder {
        self.cookies = Some(jar);
        self
    }

    /// Uses `transport` instead of the default `HttpTransport`: a
    /// `MockTransport` for tests, or your own.
    pub fn transport(mut self, transport: impl Transport) -> ClientBuilder {
        self.transport = Some(Box::new(transport));
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// The first invalid setting given (`InvalidUrl` for a bad `base_url`,
    /// `LocalProtocol` for a bad header).
    pub fn build(self) -> Result<Client> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let custom_transport = self.transport.is_some();
        let transport = match self.transport {
            Some(t) => t,
            None => {
                let mut t = HttpTransport::with_limits(self.limits);
                if let Some(n) = self.max_head_size {
                    t = t.max_response_head_size(n);
                }
                if let Some(n) = self.max_headers {
                    t = t.max_response_headers(n);
                }
                for (host, addr) in &self.resolve {
                    t = t.resolve(host, *addr);
                }
                if let Some(addr) = self.local_address {
                    t = t.local_address(addr);
                }
                if let Some(path) = self.uds {
                    t = t.uds(path);
                }
                t = t.retries(self.retries);
                #[cfg(feature = "rustls")]
                if !self.tls.is_default() {
                    t = t.tls_config(crate::tls::build_config(&self.tls)?);
                }
                Box::new(t)
            }
        };
        Ok(Client {
            inner: Arc::new(ClientRef {
                base_url: self.base_url,
                headers: self.headers,
                query: self.query,
                timeout: self.timeout,
                transport,
                custom_transport,
                closed: AtomicBool::new(false),
                auth: self.auth,
                follow_redirects: self.follow_redirects,
                max_redirects: self.max_redirects,
                request_hooks: self.request_hooks,
                response_hooks: self.response_hooks,
                use_netrc: self.netrc.unwrap_or(self.tls.trust_env),
                max_body_size: self.max_body_size,
                netrc: std::sync::OnceLock::new(),
                #[cfg(feature = "cookies")]
                cookies: self.cookies.unwrap_or_default(),
            }),
        })
    }
}

/// Inserts every name of `from` into `into`, replacing all values of that name.
fn replace_headers(into: &mut HeaderMap, from: HeaderMap) {
    let mut last: Option<HeaderName> = None;
    for (name, value) in from {
        match name {
            Some(n) => {
                into.insert(n.clone(), value);
                last = Some(n);
            }
            None => {
                into.append(last.clone().expect("HeaderMap yields a name first"), value);
            }
        }
    }
}

impl Client {
    /// A client with the default settings.
    ///
    /// # Panics
    /// Never: the defaults are valid.
    pub fn new() -> Client {
        ClientBuilder::new()
            .build()
            .expect("default settings are valid")
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
        RequestBuilder {
            client: self.clone(),
            request: self.build_request(method, url),
            set_headers: Vec::new(),
        }
    }

    /// Closes the client: idle connections close now, and later requests
    /// fail with `ErrorKind::Closed`. Responses already received can still be
    /// read. Dropping the last clone of a client closes everything too.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.transport.close();
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
    /// or `None` for a transport without one.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        self.inner.transport.pool_status()
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
    let user = percent_decode(url.username());
    let pass = url.password().map(percent_decode);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some((user, pass))
}

/// Percent-decodes a URL's user or password (`+` is itself there: the
/// space rule is for forms); invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    pub async fn send(&self, mut request: Request) -> Result<Response> {
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
        let auth = match (request.take_auth(), from_url) {
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
        // Our own transports hand the request back and time the exchange; a
        // user's may do neither, and like httpx the client records the
        // request it sent and the time it took in any case.
        let sent = self.inner.custom_transport.then(|| request.clone_head());
        let started = self.inner.custom_transport.then(Instant::now);
        let mut response = self.inner.transport.handle_request(request).await?;
        if let Some(started) = started.filter(|_| response.elapsed().is_zero()) {
            response.set_elapsed(started.elapsed());
        }
        if sent.is_some() {
            response.request = sent;
        }
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
        let n = super::rt::read_body(body, &mut buf).await.map_err(|e| {
            Error::new(ErrorKind::RequestBody, "reading the request body failed").with_source(e)
        })?;
        if n == 0 {
            return Ok(data);
        }
        data.extend_from_slice(&buf[..n]);
    }
}

/// A request being put together; `send` sends it. Errors in any step
/// (a bad header, a bad URL) surface at `send` or `build`.
#[must_use]
pub struct RequestBuilder {
    client: Client,
    request: Result<Request>,
    /// Header names this request set, so that a second `header` call with
    /// the same name adds a value instead of replacing the first.
    set_headers: Vec<HeaderName>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
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
        let mut last: Option<HeaderName> = None;
        for (name, value) in headers {
            let name = name.or(last).expect("HeaderMap yields a name first");
            self.set_header(name.clone(), value);
            last = Some(name);
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

    /// Authenticates this request with `auth` instead of the client's.
    pub fn auth(self, auth: impl Auth) -> RequestBuilder {
        let auth: Arc<dyn Auth> = Arc::new(auth);
        self.map(|req| {
            req.set_auth_arc(auth);
            Ok(())
        })
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
    pub fn build(self) -> Result<Request> {
        self.request
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
        let request = self.request?;
        self.client.send(request).await
    }
}
