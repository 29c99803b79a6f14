//! ferrohttp is a **sync-first** HTTP client: a blocking [`Client`] that needs
//! no async runtime, for CLI tools, build tools and scripts, and, with the
//! `async` feature, an `AsyncClient` for tokio applications compiled from the
//! very same engine source.
//!
//! Its feature set follows the Python library httpx: client instances with
//! connection reuse, configuration merging, `base_url`, streaming bodies,
//! content decoding, timeouts for every phase, HTTPS, redirects, cookies,
//! Basic/Digest/custom auth flows, event hooks, proxies (HTTP, HTTPS,
//! SOCKS) with routing patterns, custom, mock and mounted transports, and
//! HTTP/2.
//!
//! # Usage
//!
//! One-off requests (no connection reuse across calls):
//!
//! ```no_run
//! let body = ferrohttp::get("http://127.0.0.1:8080/get").send()?.text()?;
//! println!("{body}");
//! # Ok::<(), ferrohttp::Error>(())
//! ```
//!
//! A client, with settings merged into every request and a connection pool:
//!
//! ```no_run
//! use std::time::Duration;
//! use ferrohttp::{Client, Timeout};
//!
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080/api/v1/")
//!     .header("user-agent", "my-app/0.0.1")
//!     .timeout(Timeout::from_secs(10).connect(Duration::from_secs(3)))
//!     .build()?;
//! let r = client.get("items").query(&[("page", "2")]).header("x-trace", "1").send()?;
//! r.error_for_status_ref()?;
//! println!("{}", r.text()?);
//! # Ok::<(), ferrohttp::Error>(())
//! ```
//!
//! Bodies stream: a [`Response`] is a [`std::io::Read`], so large downloads
//! never sit in memory, and [`Response::num_bytes_downloaded`] gives progress.
//!
//! ```no_run
//! let mut r = ferrohttp::get("http://127.0.0.1:8080/big.iso").send()?;
//! let mut file = std::fs::File::create("big.iso")?;
//! std::io::copy(&mut r, &mut file)?;
//! println!("{} bytes on the wire", r.num_bytes_downloaded());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Proxies and mounts are chosen per request by URL patterns, most specific
//! first (httpx's rules); the environment's `HTTP_PROXY`, `HTTPS_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` apply unless the builder names proxies:
//!
//! ```
//! use ferrohttp::{Client, MockTransport, Proxy, ProxyMode, Response};
//!
//! let client = Client::builder()
//!     .proxy("all://", Proxy::new("http://user:pass@127.0.0.1:3128")?)
//!     .proxy("all://*.corp.example", Proxy::new("socks5h://127.0.0.1:1080")?)
//!     .proxy("https://", Proxy::new("http://127.0.0.1:3128")?.mode(ProxyMode::TunnelOnly))
//!     .no_proxy("all://localhost")
//!     .mount("all://mock.test", MockTransport::new(|_| Response::from(http::Response::new("hi"))))
//!     .build()?;
//! assert_eq!(client.get("http://mock.test/").send()?.text()?, "hi");
//! # Ok::<(), ferrohttp::Error>(())
//! ```
//!
//! HTTP/2, offered by ALPN, serves many threads over one connection — with
//! no runtime and no background thread in the blocking client:
//!
//! ```no_run
//! let client = ferrohttp::Client::builder().http2(true).build()?;
//! let workers: Vec<_> = (0..8)
//!     .map(|i| {
//!         let client = client.clone();
//!         std::thread::spawn(move || {
//!             let r = client.get(format!("https://127.0.0.1:8443/item/{i}")).send()?;
//!             println!("{:?} {}", r.version(), r.status()); // HTTP/2.0 200
//!             r.text()
//!         })
//!     })
//!     .collect();
//! for w in workers {
//!     w.join().expect("worker")?;
//! }
//! # Ok::<(), ferrohttp::Error>(())
//! ```
//!
//! The async client has the same methods, `async`:
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ferrohttp::Result<()> {
//! let client = ferrohttp::AsyncClient::new();
//! let text = client.get("http://127.0.0.1:8080/get").send().await?.text().await?;
//! println!("{text}");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "async"))]
//! # fn main() {}
//! ```
//!
//! # Features
//!
//! - `json` (default): [`RequestBuilder::json`] and [`Response::json`], with serde_json.
//! - `charset` (default): [`Response::text`] decodes any charset a
//!   `Content-Type` names, with encoding_rs. Without it, text is UTF-8.
//! - `async`: `AsyncClient`, `AsyncResponse`, `AsyncBody` and the
//!   `AsyncTransport` trait, on tokio. Enable it in tokio applications; the
//!   blocking client is there either way.
//! - `tower`: `TowerTransport`, which lets an `AsyncClient` call a tower
//!   `Service` (an axum `Router`, ...) in process, with no socket (implies `async`).
//! - `rustls` (default): HTTPS for both clients with rustls, the `ring`
//!   provider and webpki-roots. Without it, `https://` URLs fail with
//!   `UnsupportedProtocol`.
//! - `aws-lc-rs`: aws-lc-rs as the rustls crypto provider instead of ring.
//! - `native-roots`: `ClientBuilder::native_roots` trusts the OS certificate store.
//! - `cookies` (default): a [`CookieJar`] on every client, with the Public Suffix List.
//! - `multipart` (default): [`multipart::Multipart`] form bodies, streamed,
//!   and `RequestBuilder::multipart`.
//! - `mime-guess`: part types guessed with mime_guess's full table (the
//!   default is a table of the common extensions).
//! - `encrypted-keys`: client keys in encrypted PKCS#8
//!   ([`Identity::from_pkcs8_encrypted_pem`]), with the password-based ciphers.
//! - `brotli`: decode `Content-Encoding: br` (pure Rust). Adds `br` to `Accept-Encoding`.
//! - `zstd`: decode `Content-Encoding: zstd` (pure Rust). Adds `zstd` to `Accept-Encoding`.
//!
//! Features only add: any combination builds, and both clients can live in one
//! program.
//!
//! # Stability
//!
//! What the crate root exports (the clients, builders, `Request`,
//! `Response`, `Body`, the transports, `Error`, `Timeout`, `Limits`, the TLS
//! and cookie types) and the [`auth`] and [`netrc`] modules are the API to
//! build on. [`proto`], the sans-IO HTTP/1.1 codec and content decoders
//! the engine runs on, is public for those who drive their own I/O, but it
//! follows the engine's needs: its items may change in any 0.x release.
//! Anything hidden from these docs (the fuzzing entry points) is not API.
//!
//! # Errors
//!
//! Every fallible call returns [`Error`], whose [`kind`](Error::kind) is an
//! [`ErrorKind`] mirroring httpx's exceptions (`ConnectTimeout`, `ReadTimeout`,
//! `RemoteProtocol`, `Decoding`, ...). Its message says what failed and where;
//! the cause is its `source()`. A response with a 4xx or 5xx status is not an
//! error unless you ask with [`Response::error_for_status`].
//!
//! # Design
//!
//! ```text
//!   Client / AsyncClient        RequestBuilder -> Request -> send
//!          |                    (base_url, headers, query merged: urls.rs)
//!          v
//!   router (pattern.rs)         mounted transports by URL pattern
//!          |
//!   Transport / AsyncTransport  HttpTransport | MockTransport | yours
//!                               AppTransport | TowerTransport (in process)
//!          |
//!   engine/ (written once, compiled twice by maybe-async)
//!     transport -> pool -> conn -> body            rt shim: std::net | tokio
//!     connect/: tcp | uds -> tls (to an HTTPS proxy) -> tunnel | socks -> tls
//!          |
//!   proto/ (sans-IO: bytes in, values out)
//!     h1::head  h1::exchange  h1::framing  h1::chunked  tunnel  socks
//!     decode (gzip, deflate, br, zstd)
//! ```
//!
//! The engine is written with `async fn` and compiled twice: once with
//! `maybe_async::must_be_sync` for the blocking client, once with
//! `maybe_async::must_be_async` for the async one, each time with its own
//! `rt` module for sockets and deadlines. Everything that can be sans-IO
//! lives in [`proto`] and is shared.

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]
// Library code states its invariants with `expect`; tests may unwrap.
#![warn(clippy::unwrap_used)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
pub mod auth;
mod blocking;
mod body;
mod config;
#[cfg(feature = "cookies")]
mod cookies;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod happy;
mod mock;
#[cfg(feature = "multipart")]
#[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
pub mod multipart;
pub mod netrc;
#[cfg(feature = "async")]
mod nonblocking;
mod pattern;
pub mod proto;
mod proxy;
mod random;
mod redirect;
mod request;
mod timings;
mod tls;
mod urls;

pub use app::AppTransport;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use app::TowerTransport;
pub use auth::{Auth, AuthFlow, AuthResponse, BasicAuth, DigestAuth};
pub use blocking::{Client, ClientBuilder, HttpTransport, RequestBuilder, Response, Transport};
pub use body::Body;
pub use config::{
    Limits, PoolStatus, Timeout, DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_KEEPALIVE_CONNECTIONS, DEFAULT_TIMEOUT,
};
#[cfg(feature = "cookies")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
pub use cookies::{CookieJar, StoredCookie};
pub use error::{Error, ErrorKind, Result};
pub use mock::MockTransport;
pub use proxy::{Proxy, ProxyMode};
pub use request::Request;
pub use timings::Timings;
pub use tls::{Certificate, Identity};

/// The `http` crate, whose types ferrohttp uses.
pub use http;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
pub use url::Url;

/// The attribute for implementing [`AsyncTransport`] (from the async-trait crate).
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_trait::async_trait;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use body::AsyncBody;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use nonblocking::{
    BytesStream, Client as AsyncClient, ClientBuilder as AsyncClientBuilder,
    HttpTransport as AsyncHttpTransport, RequestBuilder as AsyncRequestBuilder,
    Response as AsyncResponse, Transport as AsyncTransport,
};

/// Starts a request with `method` to `url` on a new default [`Client`] (no
/// connection reuse across calls: make a `Client` for that).
pub fn request(method: Method, url: impl AsRef<str>) -> RequestBuilder {
    Client::new().request(method, url)
}

/// Starts a `GET` request on a new default [`Client`].
///
/// ```no_run
/// let r = ferrohttp::get("http://127.0.0.1:8080/").send()?;
/// println!("{}", r.status());
/// # Ok::<(), ferrohttp::Error>(())
/// ```
pub fn get(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::GET, url)
}

/// Starts a `POST` request on a new default [`Client`].
pub fn post(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::POST, url)
}

/// Starts a `PUT` request on a new default [`Client`].
pub fn put(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::PUT, url)
}

/// Starts a `PATCH` request on a new default [`Client`].
pub fn patch(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::PATCH, url)
}

/// Starts a `DELETE` request on a new default [`Client`].
pub fn delete(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::DELETE, url)
}

/// Starts a `HEAD` request on a new default [`Client`].
pub fn head(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::HEAD, url)
}

/// Starts an `OPTIONS` request on a new default [`Client`].
pub fn options(url: impl AsRef<str>) -> RequestBuilder {
    request(Method::OPTIONS, url)
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
