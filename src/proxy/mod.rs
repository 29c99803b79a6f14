//! Proxies: where a request goes on its way, and how (forwarded in
//! absolute-form, or through a CONNECT tunnel).

use std::fmt;
#[cfg(feature = "rustls")]
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use url::Url;

use crate::auth::BasicAuth;

pub(crate) mod env;
use crate::error::{Error, ErrorKind, Result};

/// How a proxy carries requests (the seed's `FORWARD_ONLY` and
/// `TUNNEL_ONLY` modes, which httpx dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyMode {
    /// `http://` requests forwarded in absolute-form, `https://` requests
    /// through a CONNECT tunnel (what curl, httpx and browsers do).
    #[default]
    Default,
    /// Both forwarded in absolute-form: the proxy sees and makes the
    /// `https://` requests itself (it must be trusted with them; use an
    /// `https://` proxy so the way to it is encrypted).
    ForwardOnly,
    /// Both through a CONNECT tunnel (curl's `--proxytunnel`).
    TunnelOnly,
}

/// The kind of proxy, from its URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyScheme {
    /// An HTTP proxy, reached in the clear.
    Http,
    /// An HTTP proxy reached over TLS.
    Https,
    /// SOCKS4: the client resolves names (IPv4 only).
    Socks4,
    /// SOCKS4a: the proxy resolves names.
    Socks4a,
    /// SOCKS5: the client resolves names.
    Socks5,
    /// SOCKS5 with names resolved by the proxy.
    Socks5h,
}

impl ProxyScheme {
    fn name(self) -> &'static str {
        match self {
            ProxyScheme::Http => "http",
            ProxyScheme::Https => "https",
            ProxyScheme::Socks4 => "socks4",
            ProxyScheme::Socks4a => "socks4a",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        }
    }

    /// The SOCKS protocol, for a SOCKS proxy.
    pub(crate) fn socks(self) -> Option<crate::proto::socks::Version> {
        use crate::proto::socks::Version;
        match self {
            ProxyScheme::Http | ProxyScheme::Https => None,
            ProxyScheme::Socks4 => Some(Version::V4),
            ProxyScheme::Socks4a => Some(Version::V4a),
            ProxyScheme::Socks5 | ProxyScheme::Socks5h => Some(Version::V5),
        }
    }

    /// Whether the proxy resolves the destination's name.
    pub(crate) fn remote_dns(self) -> bool {
        matches!(self, ProxyScheme::Socks4a | ProxyScheme::Socks5h)
    }
}

/// A proxy: its URL, credentials, extra headers and mode.
///
/// Give it to [`ClientBuilder::proxy`](crate::ClientBuilder::proxy) with a
/// routing pattern, or to [`HttpTransport::proxy`](crate::HttpTransport::proxy)
/// for every request of a transport.
///
/// ```
/// use ferrohttp::{Proxy, ProxyMode};
///
/// let proxy = Proxy::new("http://user:pass@127.0.0.1:3128")?
///     .header("x-proxy-tag", "a")
///     .mode(ProxyMode::TunnelOnly);
/// let client = ferrohttp::Client::builder().proxy("all://", proxy).build()?;
/// # drop(client);
/// # Ok::<(), ferrohttp::Error>(())
/// ```
///
/// Credentials never appear in its `Debug` output or in errors.
#[derive(Clone)]
pub struct Proxy {
    pub(crate) scheme: ProxyScheme,
    /// Bare (an IPv6 address without brackets), lower-case.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Proxy-Authorization` with the proxy's own headers.
    pub(crate) headers: HeaderMap,
    /// User name and password (for SOCKS; HTTP proxies get them as the
    /// `Proxy-Authorization` header).
    pub(crate) credentials: Option<(String, String)>,
    /// The first invalid setting, reported by `build()`.
    invalid: Option<(ErrorKind, String)>,
    /// TLS settings for an `https://` proxy, made into `tls` when the
    /// proxy is routed to.
    #[cfg(feature = "rustls")]
    tls_options: Option<crate::tls::TlsOptions>,
    pub(crate) mode: ProxyMode,
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// Hosts this proxy is not used for.
    no_proxy: Option<std::sync::Arc<env::NoProxy>>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.to_string())
            .field("credentials", &self.credentials.is_some())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The proxy's URL without credentials: `http://host:port`.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.scheme.name();
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// A proxy at `url`, with optional `user:password@` credentials
    /// (percent-decoded):
    ///
    /// - `http://host[:port]` (default port 80): an HTTP proxy; the
    ///   credentials go in `Proxy-Authorization: Basic`.
    /// - `https://host[:port]` (default port 443): an HTTP proxy reached
    ///   over TLS.
    /// - `socks5://host[:port]` (default port 1080): SOCKS5, the
    ///   destination's name resolved **here**; `socks5h://` has the
    ///   **proxy** resolve it (use it when the proxy can reach names you
    ///   cannot resolve). Credentials: RFC 1929 username/password.
    /// - `socks4://` (names resolved here, IPv4 only) and `socks4a://`
    ///   (names resolved by the proxy); the user name is the user id.
    ///
    /// SOCKS proxies tunnel every request; the mode applies to HTTP ones.
    ///
    /// # Errors
    /// `InvalidUrl` for a malformed URL or one with a path, query or
    /// fragment; `Proxy` for another scheme.
    pub fn new(url: impl AsRef<str>) -> Result<Proxy> {
        let text = url.as_ref();
        let url = Url::parse(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidUrl,
                format!("invalid proxy URL: {e} (expected http://host:port)"),
            )
        })?;
        let scheme = match url.scheme() {
            "http" => ProxyScheme::Http,
            "https" => ProxyScheme::Https,
            "socks4" => ProxyScheme::Socks4,
            "socks4a" => ProxyScheme::Socks4a,
            "socks5" => ProxyScheme::Socks5,
            "socks5h" => ProxyScheme::Socks5h,
            other => {
                return Err(Error::new(
                    ErrorKind::Proxy,
                    format!(
                        "unsupported proxy scheme {other:?} (http, https, socks4, socks4a, \
                         socks5 and socks5h are)"
                    ),
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, "proxy URL has no host"))?;
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                "a proxy URL has no path, query or fragment",
            ));
        }
        let mut proxy = Proxy {
            scheme,
            host: crate::urls::bare_host(host).to_ascii_lowercase(),
            port: url.port().unwrap_or(match scheme {
                ProxyScheme::Http => 80,
                ProxyScheme::Https => 443,
                _ => 1080,
            }),
            headers: HeaderMap::new(),
            credentials: None,
            invalid: None,
            #[cfg(feature = "rustls")]
            tls_options: None,
            mode: ProxyMode::Default,
            #[cfg(feature = "rustls")]
            tls: None,
            no_proxy: None,
        };
        if !url.username().is_empty() || url.password().is_some() {
            let user = crate::urls::percent_decode(url.username());
            let pass = url.password().map(crate::urls::percent_decode);
            proxy = proxy.basic_auth(user, pass.unwrap_or_default());
        }
        Ok(proxy)
    }

    /// Credentials for the proxy, replacing any from the URL: HTTP
    /// proxies get `Proxy-Authorization: Basic`, SOCKS5 proxies RFC 1929
    /// username/password, SOCKS4 proxies the user name as user id.
    #[must_use]
    pub fn basic_auth(mut self, username: impl AsRef<str>, password: impl AsRef<str>) -> Proxy {
        let (user, pass) = (username.as_ref(), password.as_ref());
        if self.scheme.socks().is_none() {
            let value = BasicAuth::new(user, pass).header_value().clone();
            self.headers.insert(PROXY_AUTHORIZATION, value);
        }
        self.credentials = Some((user.to_string(), pass.to_string()));
        self
    }

    /// A header sent to the proxy: on forwarded requests and on CONNECT,
    /// never to the origin through a tunnel. An invalid name or value is
    /// reported by `build()`.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Proxy {
        let (name, value) = (name.as_ref(), value.as_ref());
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.append(n, v);
            }
            _ => {
                self.invalid.get_or_insert_with(|| {
                    (ErrorKind::Config, format!("invalid proxy header {name:?}"))
                });
            }
        }
        self
    }

    /// Hosts this proxy is not used for, in `NO_PROXY`'s syntax: entries
    /// separated by commas or spaces; `*` for all; host names (with their
    /// subdomains; a leading `.` changes nothing), IP addresses and CIDR
    /// ranges, each with an optional `:port`. A request to one of them goes
    /// direct. A malformed list is reported by `build()`.
    ///
    /// ```
    /// let proxy = ferrohttp::Proxy::new("http://127.0.0.1:3128")?
    ///     .no_proxy("localhost, .internal.example, 10.0.0.0/8, [::1]:8080");
    /// # drop(proxy);
    /// # Ok::<(), ferrohttp::Error>(())
    /// ```
    #[must_use]
    pub fn no_proxy(mut self, list: impl AsRef<str>) -> Proxy {
        match env::NoProxy::parse(list.as_ref()) {
            Ok(np) => self.no_proxy = Some(std::sync::Arc::new(np)),
            Err(e) => {
                self.invalid
                    .get_or_insert_with(|| (e.kind(), e.to_string()));
            }
        }
        self
    }

    /// This proxy with an already parsed `no_proxy` list.
    pub(crate) fn with_no_proxy(mut self, no_proxy: std::sync::Arc<env::NoProxy>) -> Proxy {
        self.no_proxy = Some(no_proxy);
        self
    }

    /// Whether a request to `url` skips this proxy.
    pub(crate) fn bypasses(&self, url: &Url) -> bool {
        self.no_proxy.as_ref().is_some_and(|np| np.matches(url))
    }

    /// The `Proxy-Authorization` answering a Digest challenge among a
    /// 407's `headers` with this proxy's credentials, for `method` and
    /// `uri` (the request target as sent: `host:port` for CONNECT, the
    /// absolute URL for a forwarded request) and `body` (for
    /// `qop=auth-int`); `None` without credentials or without a Digest
    /// challenge.
    pub(crate) fn digest_answer(
        &self,
        headers: &HeaderMap,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
    ) -> Result<Option<HeaderValue>> {
        let Some((user, pass)) = &self.credentials else {
            return Ok(None);
        };
        let challenges = crate::auth::parse_challenges(
            headers
                .get_all(http::header::PROXY_AUTHENTICATE)
                .iter()
                .map(HeaderValue::as_bytes),
        );
        let Some(challenge) = crate::auth::digest::choose(&challenges)? else {
            return Ok(None);
        };
        crate::auth::digest::answer(user, pass, challenge, method, uri, body, 1).map(Some)
    }

    /// How this proxy carries `http://` and `https://` requests.
    #[must_use]
    pub fn mode(mut self, mode: ProxyMode) -> Proxy {
        self.mode = mode;
        self
    }

    /// The TLS configuration for the connection to an `https://` proxy,
    /// as it is (replacing `add_root_certificate`, `ca_file` and
    /// `danger_accept_invalid_certs`); default: the transport's.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[must_use]
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Proxy {
        self.tls_options = None;
        self.tls = Some(config);
        self
    }

    /// Whether a request to a URL of this scheme is forwarded in
    /// absolute-form (else tunnelled).
    pub(crate) fn forwards(&self, https: bool) -> bool {
        if self.scheme.socks().is_some() {
            return false;
        }
        match self.mode {
            ProxyMode::Default => !https,
            ProxyMode::ForwardOnly => true,
            ProxyMode::TunnelOnly => false,
        }
    }

    /// The error for an invalid setting, if one was given.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.invalid {
            Some((kind, msg)) => Err(Error::new(*kind, format!("{msg} for proxy {self}"))),
            None => Ok(()),
        }
    }

    /// Builds the TLS configuration the settings ask for (once, when the
    /// proxy is routed to); a failure is reported by `check`.
    pub(crate) fn prepared(self) -> Proxy {
        #[cfg(feature = "rustls")]
        if let Some(options) = &self.tls_options {
            let mut this = self.clone();
            this.tls_options = None;
            match crate::tls::build_config(options) {
                Ok(config) => this.tls = Some(config),
                Err(e) => {
                    this.invalid
                        .get_or_insert_with(|| (e.kind(), format!("TLS settings: {e}")));
                }
            }
            return this;
        }
        self
    }

    #[cfg(feature = "rustls")]
    fn tls_options(&mut self) -> &mut crate::tls::TlsOptions {
        // These settings replace a configuration given whole.
        self.tls = None;
        self.tls_options.get_or_insert_with(Default::default)
    }

    /// Trusts `cert` for the TLS connection to an `https://` proxy
    /// (besides the built-in roots unless `ca_file` replaced them).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[must_use]
    pub fn add_root_certificate(mut self, cert: crate::Certificate) -> Proxy {
        self.tls_options().roots.push(cert);
        self
    }

    /// Trusts the CA certificates of this PEM file for an `https://` proxy
    /// (curl's `--proxy-cacert`), instead of the built-in roots.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Proxy {
        self.tls_options().ca_files.push(path.into());
        self
    }

    /// Skips verifying an `https://` proxy's certificate (curl's
    /// `--proxy-insecure`). Dangerous: anyone on the way can be the proxy.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Proxy {
        self.tls_options().danger_accept_invalid_certs = accept;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_hides_credentials() {
        let p = Proxy::new("http://us%40er:p%3Ass@Proxy.Example:3128").unwrap();
        assert_eq!(p.to_string(), "http://proxy.example:3128");
        assert_eq!(
            p.headers[PROXY_AUTHORIZATION],
            BasicAuth::new("us@er", "p:ss").header_value()
        );
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("p:ss") && !debug.contains("us@er"),
            "{debug}"
        );
        assert!(!debug.contains(&base64_of("us@er:p:ss")), "{debug}");

        let p = Proxy::new("https://[::1]").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 443));
        assert_eq!(p.to_string(), "https://[::1]:443");
        assert_eq!(Proxy::new("http://127.0.0.1").unwrap().port, 80);
        for scheme in ["socks4", "socks4a", "socks5", "socks5h"] {
            let p = Proxy::new(format!("{scheme}://u:p%40@127.0.0.1")).unwrap();
            assert_eq!(p.port, 1080, "{scheme}");
            assert_eq!(p.to_string(), format!("{scheme}://127.0.0.1:1080"));
            assert_eq!(p.credentials, Some(("u".into(), "p@".into())));
            assert!(p.headers.is_empty(), "no HTTP header for a SOCKS proxy");
            assert!(
                !p.forwards(false) && !p.forwards(true),
                "SOCKS always tunnels"
            );
        }
        let p = Proxy::new("socks5h://h").unwrap();
        assert!(p.scheme.remote_dns());
        assert!(!Proxy::new("socks5://h").unwrap().scheme.remote_dns());

        // basic_auth replaces the URL's credentials.
        let p = Proxy::new("http://a:b@h:1").unwrap().basic_auth("c", "d");
        assert_eq!(p.headers.get_all(PROXY_AUTHORIZATION).iter().count(), 1);
        assert_eq!(
            p.headers[PROXY_AUTHORIZATION],
            BasicAuth::new("c", "d").header_value()
        );
    }

    fn base64_of(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn bad_urls_and_headers() {
        for (bad, kind) in [
            ("127.0.0.1:3128", ErrorKind::InvalidUrl),
            ("localhost:3128", ErrorKind::Proxy), // the scheme "localhost"
            ("http://", ErrorKind::InvalidUrl),
            ("not a url", ErrorKind::InvalidUrl),
            ("ftp://h:1", ErrorKind::Proxy),
            ("socks6://h:1", ErrorKind::Proxy),
            ("http://h:1/path", ErrorKind::InvalidUrl),
            ("http://h:1/?q", ErrorKind::InvalidUrl),
        ] {
            let e = Proxy::new(bad).unwrap_err();
            assert_eq!(e.kind(), kind, "{bad}: {e}");
        }
        let p = Proxy::new("http://u:secret@h:1")
            .unwrap()
            .header("bad name", "v");
        let e = p.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.to_string().contains("bad name") && !e.to_string().contains("secret"),
            "{e}"
        );
        assert!(Proxy::new("http://h:1")
            .unwrap()
            .header("x", "\n")
            .check()
            .is_err());
        assert!(Proxy::new("http://h:1")
            .unwrap()
            .header("x", "y")
            .check()
            .is_ok());
    }

    #[test]
    fn modes_choose_forward_or_tunnel() {
        let p = Proxy::new("http://h:1").unwrap();
        assert!(p.forwards(false) && !p.forwards(true));
        let p = p.mode(ProxyMode::ForwardOnly);
        assert!(p.forwards(false) && p.forwards(true));
        let p = p.mode(ProxyMode::TunnelOnly);
        assert!(!p.forwards(false) && !p.forwards(true));
    }
}
