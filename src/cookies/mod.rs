//! The client's cookie jar: RFC 6265's storage model and retrieval (with
//! RFC 6265bis's cookie prefixes and "leave secure cookies alone"), public
//! suffix rejection, bounds on what a server can store, and the Netscape
//! cookie file format curl reads and writes.
//!
//! Our own store rather than `cookie_store`: RFC 6265 §5.4 orders the
//! `Cookie` header by path length and then creation time, which needs the
//! creation order that store does not keep, and cookie values are kept as
//! the bytes that came (that store takes `&str` only).

mod parse;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use publicsuffix::Psl;
use url::{Host, Url};

use crate::error::{Error, ErrorKind, Result};
use parse::{far_future, parse_set_cookie, SetCookie, MAX_NAME_VALUE};

/// See [`CookieJar::MAX_COOKIES_PER_DOMAIN`].
const MAX_COOKIES_PER_DOMAIN: usize = 180;
/// See [`CookieJar::MAX_COOKIES`].
const MAX_COOKIES: usize = 3000;

/// The Public Suffix List, parsed once, when the first cookie with a
/// `Domain` attribute arrives.
fn public_suffixes() -> Option<&'static publicsuffix::List> {
    static LIST: OnceLock<Option<publicsuffix::List>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("../data/public_suffix_list.dat").parse().ok())
        .as_ref()
}

/// Whether `domain` is a public suffix (`com`, `co.uk`, `github.io`, ...).
fn is_public_suffix(domain: &str) -> bool {
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    public_suffixes()
        .and_then(|l| l.suffix(domain.as_bytes()))
        .is_some_and(|s| s.as_bytes() == domain.as_bytes())
}

/// One cookie of a jar, as [`CookieJar::cookies`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredCookie {
    /// The name (bytes that are not UTF-8 shown as U+FFFD).
    pub name: String,
    /// The value (bytes that are not UTF-8 shown as U+FFFD; the jar sends
    /// the bytes as they came).
    pub value: String,
    /// The domain (without a leading dot).
    pub domain: String,
    /// Whether only that exact host gets it (no `Domain` attribute was sent).
    pub host_only: bool,
    /// The path.
    pub path: String,
    /// Sent over HTTPS only.
    pub secure: bool,
    /// Not for scripts (kept for the Netscape format's `#HttpOnly_`).
    pub http_only: bool,
    /// When it expires; `None`: at the end of the session.
    pub expires: Option<SystemTime>,
}

/// A cookie in the store (RFC 6265 §5.3).
#[derive(Debug, Clone)]
struct Cookie {
    name: Vec<u8>,
    value: Vec<u8>,
    /// Lower case, no leading dot; the key it is stored under.
    domain: String,
    host_only: bool,
    path: String,
    secure: bool,
    http_only: bool,
    expires: Option<SystemTime>,
    /// Creation order (a counter, so no two cookies tie).
    created: u64,
    /// Order of last use, for eviction.
    last_access: u64,
}

impl Cookie {
    /// A host-only session cookie from text (set by hand, or a line of a
    /// cookie file): the domain without a leading dot and lower-cased, a
    /// path not starting with `/` taken as `/`.
    fn from_text(name: &str, value: &str, domain: &str, path: &str, stamp: u64) -> Cookie {
        Cookie {
            name: name.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            host_only: true,
            path: if path.starts_with('/') { path } else { "/" }.to_string(),
            secure: false,
            http_only: false,
            expires: None,
            created: stamp,
            last_access: stamp,
        }
    }

    fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }

    fn to_public(&self) -> StoredCookie {
        StoredCookie {
            name: String::from_utf8_lossy(&self.name).into_owned(),
            value: String::from_utf8_lossy(&self.value).into_owned(),
            domain: self.domain.clone(),
            host_only: self.host_only,
            path: self.path.clone(),
            secure: self.secure,
            http_only: self.http_only,
            expires: self.expires,
        }
    }
}

/// The cookies, by domain.
#[derive(Debug, Default)]
struct Store {
    by_domain: HashMap<String, Vec<Cookie>>,
    count: usize,
    /// The next creation / access stamp.
    clock: u64,
}

impl Store {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Stores `cookie` (§5.3 steps 11-12): it replaces one with the same
    /// name, domain and path, keeping that one's creation time; an expired
    /// cookie only removes. Then the bounds are enforced.
    fn insert(&mut self, mut cookie: Cookie, now: SystemTime) {
        let list = self.by_domain.entry(cookie.domain.clone()).or_default();
        if let Some(i) = list
            .iter()
            .position(|c| c.name == cookie.name && c.path == cookie.path)
        {
            cookie.created = list[i].created;
            list.remove(i);
            self.count -= 1;
        }
        if cookie.expired(now) {
            if list.is_empty() {
                self.by_domain.remove(&cookie.domain);
            }
            return;
        }
        let domain = cookie.domain.clone();
        list.push(cookie);
        self.count += 1;
        if list.len() > MAX_COOKIES_PER_DOMAIN || self.count > MAX_COOKIES {
            self.evict(&domain, now);
        }
    }

    /// RFC 6265 §5.3: expired cookies go first; then the least recently
    /// used of a domain over its cap; then the least recently used of all.
    fn evict(&mut self, domain: &str, now: SystemTime) {
        for list in self.by_domain.values_mut() {
            list.retain(|c| !c.expired(now));
        }
        self.by_domain.retain(|_, l| !l.is_empty());
        self.count = self.by_domain.values().map(Vec::len).sum();
        if let Some(list) = self.by_domain.get_mut(domain) {
            while list.len() > MAX_COOKIES_PER_DOMAIN {
                let oldest = least_recent(list);
                list.remove(oldest);
                self.count -= 1;
            }
        }
        while self.count > MAX_COOKIES {
            let Some(key) = self
                .by_domain
                .iter()
                .min_by_key(|(_, l)| l[least_recent(l)].last_access)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            let list = self.by_domain.get_mut(&key).expect("found above");
            let oldest = least_recent(list);
            list.remove(oldest);
            self.count -= 1;
            if list.is_empty() {
                self.by_domain.remove(&key);
            }
        }
    }

    fn all(&self) -> impl Iterator<Item = &Cookie> {
        self.by_domain.values().flatten()
    }
}

/// The index of the least recently used cookie of a non-empty list.
fn least_recent(list: &[Cookie]) -> usize {
    list.iter()
        .enumerate()
        .min_by_key(|(_, c)| c.last_access)
        .map_or(0, |(i, _)| i)
}

/// The request host as RFC 6265 compares it: lower case, IDNA applied (the
/// URL parser did both), IPv6 in brackets; and whether it is a host name
/// (only those match a `Domain` by suffix).
fn request_host(url: &Url) -> Option<(String, bool)> {
    match url.host()? {
        Host::Domain(d) => Some((d.to_ascii_lowercase(), true)),
        Host::Ipv4(ip) => Some((ip.to_string(), false)),
        Host::Ipv6(ip) => Some((format!("[{ip}]"), false)),
    }
}

/// §5.1.3: `host` domain-matches `domain`.
fn domain_match(host: &str, is_name: bool, domain: &str) -> bool {
    host == domain
        || (is_name
            && host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// §5.1.4: the default path of a request URL's path.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) if path.starts_with('/') => path[..i].to_string(),
        Some(_) => "/".to_string(),
    }
}

/// §5.1.4: `request_path` path-matches `cookie_path`.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// Whether a URL's scheme is secure (cookies marked `Secure` go only there).
fn is_secure(url: &Url) -> bool {
    matches!(url.scheme(), "https" | "wss")
}

/// The cookies a client keeps across requests, shared by its clones.
///
/// Responses' `Set-Cookie` fields are stored (every response of a redirect
/// chain too) with RFC 6265's rules: `Domain`, `Path`, `Secure`, `HttpOnly`,
/// `Expires` (any date form §5.1.1 reads), `Max-Age`, host-only cookies; a
/// cookie for a public suffix or for another site is refused, and so are
/// RFC 6265bis's bad prefixes (`__Secure-` without `Secure`, `__Host-` with
/// a `Domain` or a path other than `/`) and `Secure` cookies from `http://`.
/// Matching cookies go out in `Cookie`, longest path first, then oldest
/// first (§5.4), with their bytes as they came.
///
/// A server cannot grow a jar without end: a cookie's name and value may
/// have 4096 bytes together (larger ones are ignored), an attribute value
/// 1024 (a longer attribute is ignored), a domain
/// [`MAX_COOKIES_PER_DOMAIN`](Self::MAX_COOKIES_PER_DOMAIN) cookies and
/// the jar [`MAX_COOKIES`](Self::MAX_COOKIES); past a
/// cap the least recently used cookie goes, after the expired ones.
///
/// # Examples
///
/// ```
/// let client = ferrohttp::Client::new();
/// client.cookies().set("session", "abc", "api.example.com", "/");
/// assert_eq!(client.cookies().get("session", "api.example.com", "/").as_deref(), Some("abc"));
/// client.cookies().clear();
/// assert!(client.cookies().cookies().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    store: Arc<Mutex<Store>>,
}

impl CookieJar {
    /// The most cookies kept for one domain (the cookie's own domain):
    /// past it the least recently used cookie of that domain goes. RFC 6265
    /// §6.1 asks for at least 50; browsers keep about 180.
    pub const MAX_COOKIES_PER_DOMAIN: usize = MAX_COOKIES_PER_DOMAIN;
    /// The most cookies a jar keeps in all: past it the least recently used
    /// cookie goes. RFC 6265 §6.1 asks for at least 3000.
    pub const MAX_COOKIES: usize = MAX_COOKIES;

    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets a host-only cookie for `domain` and `path` (httpx's `cookies.set`).
    /// A name or value that cannot be sent in a `Cookie` header (empty name,
    /// `=`, `;`, control characters, spaces at either end) is ignored.
    pub fn set(&self, name: &str, value: &str, domain: &str, path: &str) {
        let bad = |s: &str| {
            s.bytes().any(|b| b == b';' || b.is_ascii_control())
                || s.starts_with([' ', '\t'])
                || s.ends_with([' ', '\t'])
        };
        if name.is_empty() || name.contains('=') || bad(name) || bad(value) {
            return;
        }
        if name.len() + value.len() > MAX_NAME_VALUE {
            return;
        }
        let mut store = self.lock();
        let stamp = store.tick();
        let cookie = Cookie::from_text(name, value, domain, path, stamp);
        store.insert(cookie, SystemTime::now());
    }

    /// The value of the unexpired cookie `name` stored for exactly `domain`
    /// and `path`.
    pub fn get(&self, name: &str, domain: &str, path: &str) -> Option<String> {
        let now = SystemTime::now();
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        self.lock()
            .by_domain
            .get(&domain)?
            .iter()
            .find(|c| c.name == name.as_bytes() && c.path == path && !c.expired(now))
            .map(|c| String::from_utf8_lossy(&c.value).into_owned())
    }

    /// Removes the cookie `name` of `domain` and `path`; whether it was there.
    pub fn remove(&self, name: &str, domain: &str, path: &str) -> bool {
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        let mut store = self.lock();
        let Some(list) = store.by_domain.get_mut(&domain) else {
            return false;
        };
        let Some(i) = list
            .iter()
            .position(|c| c.name == name.as_bytes() && c.path == path)
        else {
            return false;
        };
        list.remove(i);
        if list.is_empty() {
            store.by_domain.remove(&domain);
        }
        store.count -= 1;
        true
    }

    /// Removes every cookie.
    pub fn clear(&self) {
        let mut store = self.lock();
        store.by_domain.clear();
        store.count = 0;
    }

    /// Every unexpired cookie, oldest first.
    pub fn cookies(&self) -> Vec<StoredCookie> {
        let now = SystemTime::now();
        let store = self.lock();
        let mut all: Vec<&Cookie> = store.all().filter(|c| !c.expired(now)).collect();
        all.sort_by_key(|c| c.created);
        all.into_iter().map(Cookie::to_public).collect()
    }

    /// The `Cookie` header for a request to `url` (RFC 6265 §5.4), with
    /// `extra` cookies (a request's own) replacing stored ones of the same
    /// name and going last.
    pub(crate) fn header_for(&self, url: &Url, extra: &[(String, String)]) -> Option<HeaderValue> {
        let mut out: Vec<u8> = Vec::new();
        let mut push = |name: &[u8], value: &[u8]| {
            if !out.is_empty() {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(name);
            out.push(b'=');
            out.extend_from_slice(value);
        };
        {
            let mut store = self.lock();
            if store.count > 0 {
                if let Some((host, is_name)) = request_host(url) {
                    let now = SystemTime::now();
                    let stamp = store.tick();
                    let (path, secure) = (url.path(), is_secure(url));
                    // The host and each domain above it hold the candidates:
                    // slices of the host, no copies.
                    let mut keys = vec![host.as_str()];
                    if is_name {
                        let mut rest = host.as_str();
                        while let Some(i) = rest.find('.') {
                            rest = &rest[i + 1..];
                            keys.push(rest);
                        }
                    }
                    // (path length, creation, key, index) of each match;
                    // their names and values are read after the sort.
                    let mut found: Vec<(usize, u64, usize, usize)> = Vec::new();
                    for (k, key) in keys.iter().enumerate() {
                        let Some(list) = store.by_domain.get_mut(*key) else {
                            continue;
                        };
                        for (i, c) in list.iter_mut().enumerate() {
                            let host_ok = if c.host_only {
                                c.domain == host
                            } else {
                                domain_match(&host, is_name, &c.domain)
                            };
                            if host_ok
                                && path_match(path, &c.path)
                                && (secure || !c.secure)
                                && !c.expired(now)
                                && !extra.iter().any(|(n, _)| n.as_bytes() == c.name)
                            {
                                c.last_access = stamp;
                                found.push((c.path.len(), c.created, k, i));
                            }
                        }
                    }
                    // Longest path first, then earliest created (§5.4 step 2).
                    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                    for &(_, _, k, i) in &found {
                        let c = &store.by_domain[keys[k]][i];
                        push(&c.name, &c.value);
                    }
                }
            }
        }
        for (name, value) in extra {
            push(name.as_bytes(), value.as_bytes());
        }
        if out.is_empty() {
            return None;
        }
        HeaderValue::from_bytes(&out).ok()
    }

    /// Stores the `Set-Cookie` fields of a response to `url`.
    pub(crate) fn store_response(&self, headers: &HeaderMap, url: &Url) {
        if !headers.contains_key(SET_COOKIE) {
            return; // the common case takes no lock
        }
        let Some((host, is_name)) = request_host(url) else {
            return;
        };
        let now = SystemTime::now();
        let mut store = self.lock();
        for value in headers.get_all(SET_COOKIE) {
            let Some(parsed) = parse_set_cookie(value.as_bytes()) else {
                continue;
            };
            if let Some(cookie) = storable(parsed, url, &host, is_name, now, &store) {
                let stamp = store.tick();
                store.insert(
                    Cookie {
                        created: stamp,
                        last_access: stamp,
                        ..cookie
                    },
                    now,
                );
            }
        }
    }

    /// Adds the cookies of a Netscape cookie file (curl's `-b FILE`).
    ///
    /// # Errors
    /// `Config` for a line that is not seven tab-separated fields.
    pub fn load_netscape(&self, text: &str) -> Result<()> {
        let now = SystemTime::now();
        let mut store = self.lock();
        for (n, line) in text.lines().enumerate() {
            let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
                Some(rest) => (rest, true),
                None => (line, false),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let [domain, subdomains, path, secure, expires, name, value] = f[..] else {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "cookie file line {}: expected 7 tab-separated fields",
                        n + 1
                    ),
                ));
            };
            let expires: u64 = expires.trim().parse().unwrap_or(0);
            let expires = (expires != 0).then(|| {
                SystemTime::UNIX_EPOCH
                    .checked_add(Duration::from_secs(expires))
                    .map_or_else(far_future, |t| t.min(far_future()))
            });
            if name.is_empty() {
                continue;
            }
            let stamp = store.tick();
            let cookie = Cookie {
                host_only: !subdomains.eq_ignore_ascii_case("TRUE"),
                secure: secure.eq_ignore_ascii_case("TRUE"),
                http_only,
                expires,
                ..Cookie::from_text(name, value, domain, path, stamp)
            };
            store.insert(cookie, now);
        }
        Ok(())
    }

    /// The jar as a Netscape cookie file (curl's `-c FILE`).
    pub fn to_netscape(&self) -> String {
        let mut out = String::from("# Netscape HTTP Cookie File\n# Written by ferrohttp.\n\n");
        for c in self.cookies() {
            let expires = c
                .expires
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let domain = if c.host_only {
                c.domain.clone()
            } else {
                format!(".{}", c.domain)
            };
            out.push_str(&format!(
                "{}{domain}\t{}\t{}\t{}\t{expires}\t{}\t{}\n",
                if c.http_only { "#HttpOnly_" } else { "" },
                if c.host_only { "FALSE" } else { "TRUE" },
                c.path,
                if c.secure { "TRUE" } else { "FALSE" },
                c.name,
                c.value
            ));
        }
        out
    }
}

/// RFC 6265 §5.3 steps 2-10 (and RFC 6265bis's prefixes and secure-origin
/// rules): the cookie a `Set-Cookie` from `url` stores, or `None` when it
/// must be ignored. Creation and access stamps are left at 0.
fn storable(
    parsed: SetCookie,
    url: &Url,
    host: &str,
    is_name: bool,
    now: SystemTime,
    store: &Store,
) -> Option<Cookie> {
    let secure_origin = is_secure(url);
    // 6265bis §5.7: a Secure cookie only from a secure origin.
    if parsed.secure && !secure_origin {
        return None;
    }
    // Cookie prefixes (6265bis §4.1.3), compared without regard to case.
    let lower = parsed.name.get(..9).map(<[u8]>::to_ascii_lowercase);
    if lower.as_deref() == Some(&b"__secure-"[..]) && !parsed.secure {
        return None;
    }
    if parsed.name.len() >= 7
        && parsed.name[..7].eq_ignore_ascii_case(b"__host-")
        && (!parsed.secure || parsed.domain.is_some() || parsed.path.as_deref() != Some("/"))
    {
        return None;
    }
    // §5.3 steps 4-6: the domain.
    let (domain, host_only) = match parsed.domain.as_deref() {
        Some(d) if is_public_suffix(d) => {
            // A public suffix only as the host itself, then host-only.
            if d != host {
                return None;
            }
            (host.to_string(), true)
        }
        Some(d) => {
            if !domain_match(host, is_name, d) {
                return None;
            }
            (d.to_string(), false)
        }
        None => (host.to_string(), true),
    };
    let path = parsed
        .path
        .clone()
        .unwrap_or_else(|| default_path(url.path()));
    // 6265bis §5.7: an insecure origin may not shadow a Secure cookie.
    if !secure_origin {
        let shadows = store.all().any(|c| {
            c.secure
                && c.name == parsed.name
                && (domain_match(&domain, is_name, &c.domain)
                    || domain_match(&c.domain, true, &domain))
                && path_match(&path, &c.path)
        });
        if shadows {
            return None;
        }
    }
    Some(Cookie {
        expires: parsed.expiry(now),
        name: parsed.name,
        value: parsed.value,
        domain,
        host_only,
        path,
        secure: parsed.secure,
        http_only: parsed.http_only,
        created: 0,
        last_access: 0,
    })
}

#[cfg(test)]
mod tests;
