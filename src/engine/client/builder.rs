//! `ClientBuilder`: a client's settings, and the transport built from them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, USER_AGENT};
use url::Url;

use super::super::response::Response;
use super::super::router::{Hop, Mount, Router};
use super::super::transport::{HttpTransport, Transport};
use super::{Client, ClientRef, RequestHook, ResponseHook};
use crate::auth::Auth;
use crate::config::{Limits, Timeout};
use crate::error::{Error, ErrorKind, Result};
use crate::pattern::{Pattern, Routes};
use crate::proto::decode::ACCEPT_ENCODING as ACCEPTED_CODINGS;
use crate::proxy::env::EnvProxies;
use crate::proxy::Proxy;
use crate::redirect;
use crate::request::Request;
use crate::tls::{Certificate, Identity, TlsOptions};
use crate::urls::merge_url;

/// The default `User-Agent`.
const DEFAULT_USER_AGENT: &str = concat!("ferrohttp/", env!("CARGO_PKG_VERSION"));

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
    expect_continue: Option<Option<u64>>,
    /// HTTP/2 by ALPN (off by default), and h2c with prior knowledge.
    http2: bool,
    h2_prior_knowledge: bool,
    expect_continue_timeout: Option<std::time::Duration>,
    tls: TlsOptions,
    transport: Option<Hop>,
    /// Proxies, direct routes and mounts, with their patterns, in the
    /// order given.
    routes: Vec<(String, RouteEntry)>,
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
    /// The settings given that configure the built-in transport (named in
    /// the error when a custom transport replaces it).
    transport_settings: Vec<&'static str>,
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
pub(super) fn header_pair<K, V>(key: K, value: V) -> Result<(HeaderName, HeaderValue)>
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
            expect_continue: None,
            http2: false,
            h2_prior_knowledge: false,
            expect_continue_timeout: None,
            tls: TlsOptions::default(),
            transport: None,
            routes: Vec::new(),
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
            transport_settings: Vec::new(),
        }
    }

    fn fail(mut self, e: Error) -> ClientBuilder {
        self.error.get_or_insert(e);
        self
    }

    /// Notes that a setting of the built-in transport was given.
    fn for_transport(mut self, name: &'static str) -> ClientBuilder {
        if !self.transport_settings.contains(&name) {
            self.transport_settings.push(name);
        }
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

    /// Sets the pool limits (default: [`Limits::default`]). A setting of the
    /// built-in transport: with a custom one, `build()` fails.
    pub fn limits(mut self, limits: Limits) -> ClientBuilder {
        self.limits = limits;
        self.for_transport("limits")
    }

    /// Sets the largest response head accepted (default 64 KiB).
    pub fn max_response_head_size(mut self, n: usize) -> ClientBuilder {
        self.max_head_size = Some(n);
        self.for_transport("max_response_head_size")
    }

    /// Sets the most headers accepted in a response head (default 100).
    pub fn max_response_headers(mut self, n: usize) -> ClientBuilder {
        self.max_headers = Some(n);
        self.for_transport("max_response_headers")
    }

    /// Connects to `addr` for `host` instead of resolving it, like curl's
    /// `--resolve` (beyond httpx); see [`HttpTransport::resolve`]. A setting
    /// of the built-in transport: with a custom one, `build()` fails.
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> ClientBuilder {
        self.resolve.push((host.to_string(), addr));
        self.for_transport("resolve")
    }

    /// Binds this source address before connecting (httpx's
    /// `local_address`). A setting of the built-in transport: with a custom
    /// one, `build()` fails.
    pub fn local_address(mut self, addr: IpAddr) -> ClientBuilder {
        self.local_address = Some(addr);
        self.for_transport("local_address")
    }

    /// Connects through the Unix domain socket at `path` (httpx's `uds`,
    /// curl's `--unix-socket`); see [`HttpTransport::uds`].
    pub fn uds(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.uds = Some(path.into());
        self.for_transport("uds")
    }

    /// The former name of [`uds`](Self::uds).
    #[deprecated(
        since = "0.1.0",
        note = "use `uds`, the one name for it on the builder and the transport"
    )]
    pub fn unix_socket(self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.uds(path)
    }

    /// Offers HTTP/2 to `https` origins by ALPN (httpx's `http2=True`);
    /// see [`HttpTransport::http2`]. Off by default. A setting of the
    /// built-in transport: with a custom one, `build()` fails.
    ///
    /// ```no_run
    /// # fn main() -> ferrohttp::Result<()> {
    /// let client = ferrohttp::Client::builder().http2(true).build()?;
    /// let response = client.get("https://example.com/").send()?;
    /// println!("{:?}", response.version()); // HTTP/2.0, or HTTP/1.1 if the server chose it
    /// # Ok(()) }
    /// ```
    pub fn http2(mut self, enabled: bool) -> ClientBuilder {
        self.http2 = enabled;
        self.for_transport("http2")
    }

    /// Speaks HTTP/2 to `http` origins without negotiation (h2c with prior
    /// knowledge); see [`HttpTransport::http2_prior_knowledge`]. A setting
    /// of the built-in transport: with a custom one, `build()` fails.
    pub fn http2_prior_knowledge(mut self) -> ClientBuilder {
        self.h2_prior_knowledge = true;
        self.for_transport("http2_prior_knowledge")
    }

    /// Retries a failed connect `n` more times; see
    /// [`HttpTransport::retries`]. A setting of the built-in transport: with
    /// a custom one, `build()` fails.
    pub fn retries(mut self, n: u32) -> ClientBuilder {
        self.retries = n;
        self.for_transport("retries")
    }

    /// Trusts `cert` as a root, in addition to the built-in roots.
    pub fn add_root_certificate(mut self, cert: Certificate) -> ClientBuilder {
        self.tls.roots.push(cert);
        self.for_transport("add_root_certificate")
    }

    /// Trusts the CA certificates of this PEM bundle file (httpx's
    /// `verify="bundle.pem"`, curl's `--cacert`); the built-in roots are then
    /// not used unless [`tls_built_in_root_certs`](Self::tls_built_in_root_certs) says so.
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.tls.ca_files.push(path.into());
        self.for_transport("ca_file")
    }

    /// Trusts the CA certificates of every PEM file in this directory
    /// (curl's `--capath`); replaces the built-in roots as `ca_file` does.
    pub fn ca_dir(mut self, path: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.tls.ca_dirs.push(path.into());
        self.for_transport("ca_dir")
    }

    /// Whether to trust the built-in roots (webpki-roots, Mozilla's list).
    /// Default: yes, unless a CA file or directory is given (also by
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    pub fn tls_built_in_root_certs(mut self, enabled: bool) -> ClientBuilder {
        self.tls.built_in_roots = Some(enabled);
        // Only a value other than the default asks something of the
        // built-in transport.
        if !enabled {
            self.for_transport("tls_built_in_root_certs")
        } else {
            self
        }
    }

    /// Also trusts the operating system's certificate store. Default: no.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn native_roots(mut self, enabled: bool) -> ClientBuilder {
        self.tls.native_roots = enabled;
        // Only a value other than the default asks something of the
        // built-in transport.
        if enabled {
            self.for_transport("native_roots")
        } else {
            self
        }
    }

    /// Presents this client certificate to servers that ask for one.
    pub fn identity(mut self, identity: Identity) -> ClientBuilder {
        self.tls.identity = Some(identity);
        self.for_transport("identity")
    }

    /// Accepts any server certificate: expired, self-signed, for another
    /// host (curl's `-k`). Default: no.
    ///
    /// # Warning
    /// With this on, anyone on the network path can read and change the
    /// traffic. Use it only against test servers you control.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.tls.danger_accept_invalid_certs = accept;
        // Only a value other than the default asks something of the
        // built-in transport.
        if accept {
            self.for_transport("danger_accept_invalid_certs")
        } else {
            self
        }
    }

    /// Uses this rustls configuration as it is for HTTPS (httpx's
    /// `SSLContext`): the one escape hatch for TLS settings ferrohttp does not
    /// cover. The other TLS settings of this builder are then ignored.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn use_preconfigured_tls(mut self, config: Arc<rustls::ClientConfig>) -> ClientBuilder {
        self.tls.preconfigured = Some(config);
        self.for_transport("use_preconfigured_tls")
    }

    /// Whether to read settings from the environment: `SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`, `SSLKEYLOGFILE`, `.netrc`, and proxies. Default: yes,
    /// as httpx. They are read when the client is built; a client with no
    /// TLS settings of its own shares one default configuration per
    /// process, read when the first such client is built.
    ///
    /// Proxies: `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy`,
    /// each also upper case (the lower-case name wins; an empty one unsets;
    /// upper-case `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set, as
    /// CGI programs must). A value without a scheme is `http://`.
    /// `no_proxy`: entries separated by commas or spaces; `*` for all; host
    /// names (with their subdomains), IP addresses and CIDR ranges, each
    /// with an optional `:port`. A malformed value fails `build()` naming
    /// the variable. Any [`proxy`](Self::proxy) given here replaces the
    /// environment's proxies, and mounted transports are not affected.
    pub fn trust_env(mut self, trust: bool) -> ClientBuilder {
        self.tls.trust_env = trust;
        self
    }

    /// Authenticates every request with `auth` (a request's own auth
    /// replaces it): [`BasicAuth`](crate::BasicAuth), [`crate::DigestAuth`], a closure
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
    /// `MockTransport` for tests, or your own. The settings of the built-in
    /// transport (`limits`, `resolve`, `local_address`, `uds`, `retries`,
    /// `max_response_head_size`, `max_response_headers` and the TLS
    /// settings) then have no transport to go to: giving any of them too
    /// makes `build()` fail with `ErrorKind::Config` naming them; set them
    /// on the transport (an `HttpTransport` has the same ones).
    pub fn transport(mut self, transport: impl Transport) -> ClientBuilder {
        self.transport = Some(Hop::new(transport));
        self
    }

    /// Sends a body of at least `threshold` bytes (or of unknown length)
    /// with `Expect: 100-continue`, as curl does; `None` turns it off.
    /// See [`HttpTransport::expect_continue`]. Default: 1 MiB. A setting of
    /// the built-in transport: with a custom `transport()`, `build()` fails.
    pub fn expect_continue(mut self, threshold: impl Into<Option<u64>>) -> ClientBuilder {
        self.expect_continue = Some(threshold.into());
        self.for_transport("expect_continue")
    }

    /// How long to wait for `100 Continue` before sending the body anyway
    /// (curl's `--expect100-timeout`). Default: 1 s. A setting of the
    /// built-in transport.
    pub fn expect_continue_timeout(mut self, wait: std::time::Duration) -> ClientBuilder {
        self.expect_continue_timeout = Some(wait);
        self.for_transport("expect_continue_timeout")
    }

    /// Sends requests whose URL matches `pattern` through `proxy` (httpx's
    /// `mounts` with a proxy; curl's `-x`).
    ///
    /// Patterns: `all://` (everything), `http://`, `https://`,
    /// `all://example.com` (that host), `all://*example.com` (the domain
    /// and its subdomains), `all://*.example.com` (subdomains only),
    /// `https://example.com:1234`, `all://*:1234`, `all://[::1]`. The most
    /// specific pattern that matches wins: one with a port before one
    /// without, then the longer host, then the longer scheme (`all`
    /// counts as none), ties in the order given; the same pattern again
    /// replaces the earlier entry. A port equal to the scheme's default
    /// also matches a URL that leaves it out. Proxies, `no_proxy` and
    /// `mount` entries share the one table.
    ///
    /// A setting of the built-in transport: with a custom `transport()`,
    /// `build()` fails. An invalid pattern fails `build()` with `Config`.
    ///
    /// ```
    /// use ferrohttp::{Client, Proxy};
    ///
    /// let client = Client::builder()
    ///     .proxy("all://", Proxy::new("http://127.0.0.1:3128")?)
    ///     .no_proxy("all://*.internal.example")
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), ferrohttp::Error>(())
    /// ```
    pub fn proxy(mut self, pattern: impl Into<String>, proxy: Proxy) -> ClientBuilder {
        self.routes
            .push((pattern.into(), RouteEntry::Proxy(Box::new(proxy))));
        self.for_transport("proxy")
    }

    /// Sends requests whose URL matches `pattern` direct, with no proxy
    /// (httpx's `None` mount). Patterns as for [`proxy`](Self::proxy).
    pub fn no_proxy(mut self, pattern: impl Into<String>) -> ClientBuilder {
        self.routes.push((pattern.into(), RouteEntry::Direct));
        self.for_transport("no_proxy")
    }

    /// Sends requests whose URL matches `pattern` to `transport` instead of
    /// the client's (httpx's `mounts`): a `MockTransport` for one host, an
    /// `HttpTransport` with other settings for another. Patterns as for
    /// [`proxy`](Self::proxy). `close()` and `pool_status()` reach every
    /// mounted transport.
    ///
    /// ```
    /// use ferrohttp::{Client, HttpTransport, MockTransport, Response};
    ///
    /// let client = Client::builder()
    ///     .mount("http://", HttpTransport::new().retries(3))
    ///     .mount("all://api.test", MockTransport::new(|_req| {
    ///         Response::from(http::Response::new("mocked"))
    ///     }))
    ///     .build()?;
    /// assert_eq!(client.get("http://api.test/x").send()?.text()?, "mocked");
    /// # Ok::<(), ferrohttp::Error>(())
    /// ```
    pub fn mount(mut self, pattern: impl Into<String>, transport: impl Transport) -> ClientBuilder {
        self.routes
            .push((pattern.into(), RouteEntry::Mount(Hop::new(transport))));
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
        if self.transport.is_some() && !self.transport_settings.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "ClientBuilder: {} configure the built-in transport, which the custom \
                     transport given to transport() replaces; set them on that transport \
                     (an HttpTransport has the same settings)",
                    self.transport_settings.join(", ")
                ),
            ));
        }
        let mut mounts = Routes::default();
        let mut proxies = Vec::new();
        // The environment's proxies, unless trust_env is off, the built-in
        // transport is replaced, or proxies are given here (httpx's rule);
        // `no_proxy` patterns given here override them.
        let explicit = self
            .routes
            .iter()
            .any(|(_, e)| matches!(e, RouteEntry::Proxy(_)));
        let env = if self.tls.trust_env && self.transport.is_none() && !explicit {
            Some(EnvProxies::from_process()?)
        } else {
            None
        };
        for (text, entry) in self.routes {
            let pattern = Pattern::parse(&text)?;
            match entry {
                RouteEntry::Mount(hop) => mounts.insert(pattern, Mount::Transport(hop)),
                RouteEntry::Proxy(proxy) => {
                    proxy.check()?;
                    mounts.insert(pattern.clone(), Mount::Default);
                    proxies.push((pattern, Some(*proxy)));
                }
                RouteEntry::Direct => {
                    mounts.insert(pattern.clone(), Mount::Default);
                    proxies.push((pattern, None));
                }
            }
        }
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
                if self.h2_prior_knowledge {
                    t = t.http2_prior_knowledge();
                } else if self.http2 {
                    t = t.http2(true);
                }
                if let Some(threshold) = self.expect_continue {
                    t = t.expect_continue(threshold);
                }
                if let Some(wait) = self.expect_continue_timeout {
                    t = t.expect_continue_timeout(wait);
                }
                #[cfg(feature = "rustls")]
                if !self.tls.is_default() {
                    t = t.use_preconfigured_tls(crate::tls::build_config(&self.tls)?);
                }
                if let Some(env) = env {
                    let parse = |text| Pattern::parse(text).expect("a valid pattern");
                    for (pattern, proxy) in [
                        ("all://", env.all),
                        ("http://", env.http),
                        ("https://", env.https),
                    ] {
                        if let Some(mut proxy) = proxy {
                            if let Some(np) = &env.no_proxy {
                                proxy = proxy.with_no_proxy(np.clone());
                            }
                            t = t.env_route(parse(pattern), proxy);
                        }
                    }
                }
                for (pattern, proxy) in proxies {
                    t = t.route(pattern, proxy);
                }
                Hop::new(t)
            }
        };
        Ok(Client {
            inner: Arc::new(ClientRef {
                base_url: self.base_url,
                headers: self.headers,
                query: self.query,
                timeout: self.timeout,
                router: Router::new(transport, mounts),
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

/// A routing-table entry as given to the builder.
#[derive(Debug)]
enum RouteEntry {
    Proxy(Box<Proxy>),
    Direct,
    Mount(Hop),
}

/// The fields of `headers` in order, each with its name (a `HeaderMap`'s
/// owning iterator names only the first value of each name), and whether
/// it is the first value of its name.
pub(super) fn named_headers(
    headers: HeaderMap,
) -> impl Iterator<Item = (HeaderName, HeaderValue, bool)> {
    let mut last: Option<HeaderName> = None;
    headers.into_iter().map(move |(name, value)| match name {
        Some(n) => {
            last = Some(n.clone());
            (n, value, true)
        }
        None => (
            last.clone().expect("HeaderMap yields a name first"),
            value,
            false,
        ),
    })
}

/// Inserts every name of `from` into `into`, replacing all values of that name.
fn replace_headers(into: &mut HeaderMap, from: HeaderMap) {
    for (name, value, first) in named_headers(from) {
        if first {
            into.insert(name, value);
        } else {
            into.append(name, value);
        }
    }
}
