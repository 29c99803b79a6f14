//! The client's cookie jar (RFC 6265, on `cookie_store`), with public
//! suffix rejection and the Netscape cookie file format curl reads and writes.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie};
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use publicsuffix::Psl;
use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// The Public Suffix List, parsed once, when the first cookie with a
/// `Domain` attribute arrives.
fn public_suffixes() -> Option<&'static publicsuffix::List> {
    static LIST: OnceLock<Option<publicsuffix::List>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("data/public_suffix_list.dat").parse().ok())
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
    /// The name.
    pub name: String,
    /// The value.
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

/// The cookies a client keeps across requests, shared by its clones.
///
/// Responses' `Set-Cookie` fields are stored (every response of a redirect
/// chain too) with RFC 6265's rules: `Domain`, `Path`, `Secure`, `HttpOnly`,
/// `Expires`, `Max-Age`, host-only cookies; a cookie for a public suffix or
/// for another site is refused. Matching cookies go out in `Cookie`.
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
    store: Arc<Mutex<CookieStore>>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    fn lock(&self) -> MutexGuard<'_, CookieStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets a host-only cookie for `domain` and `path` (httpx's `cookies.set`).
    /// An invalid name or value is ignored.
    pub fn set(&self, name: &str, value: &str, domain: &str, path: &str) {
        let Ok(url) = Url::parse(&format!("https://{domain}{path}")) else {
            return;
        };
        let Ok(raw) = RawCookie::parse(format!("{name}={value}; Path={path}")) else {
            return;
        };
        let _ = self.lock().insert_raw(&raw, &url);
    }

    /// The value of the unexpired cookie `name` stored for exactly `domain`
    /// and `path`.
    pub fn get(&self, name: &str, domain: &str, path: &str) -> Option<String> {
        self.lock()
            .get(domain, path, name)
            .map(|c| c.value().to_string())
    }

    /// Removes the cookie `name` of `domain` and `path`; whether it was there.
    pub fn remove(&self, name: &str, domain: &str, path: &str) -> bool {
        self.lock().remove(domain, path, name).is_some()
    }

    /// Removes every cookie.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Every unexpired cookie.
    pub fn cookies(&self) -> Vec<StoredCookie> {
        self.lock()
            .iter_unexpired()
            .map(|c| {
                let (domain, host_only) = match &c.domain {
                    CookieDomain::HostOnly(d) => (d.clone(), true),
                    CookieDomain::Suffix(d) => (d.clone(), false),
                    _ => (String::new(), true),
                };
                let expires = match &c.expires {
                    CookieExpiration::AtUtc(t) => {
                        let secs = t.unix_timestamp().max(0) as u64;
                        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
                    }
                    CookieExpiration::SessionEnd => None,
                };
                StoredCookie {
                    name: c.name().to_string(),
                    value: c.value().to_string(),
                    domain,
                    host_only,
                    path: String::from(&c.path),
                    secure: c.secure().unwrap_or(false),
                    http_only: c.http_only().unwrap_or(false),
                    expires,
                }
            })
            .collect()
    }

    /// The `Cookie` header for a request to `url`, with `extra` cookies (a
    /// request's own) replacing stored ones of the same name.
    pub(crate) fn header_for(&self, url: &Url, extra: &[(String, String)]) -> Option<HeaderValue> {
        let store = self.lock();
        if extra.is_empty() && store.iter_any().next().is_none() {
            return None; // an empty jar: nothing to match
        }
        let mut pairs: Vec<(String, String)> = store
            .get_request_values(url)
            .filter(|(n, _)| !extra.iter().any(|(e, _)| e == n))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        drop(store);
        pairs.extend(extra.iter().cloned());
        crate::request::cookie_header(&pairs)
    }

    /// Stores the `Set-Cookie` fields of a response to `url`.
    pub(crate) fn store_response(&self, headers: &HeaderMap, url: &Url) {
        if !headers.contains_key(SET_COOKIE) {
            return; // the common case takes no lock
        }
        let host = url.host_str().unwrap_or("");
        let mut store = self.lock();
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let Ok(raw) = RawCookie::parse(text.to_string()) else {
                continue;
            };
            // RFC 6265 §5.3 step 5: a Domain that is a public suffix is ignored
            // unless it is the host itself (then the cookie is host-only).
            if let Some(domain) = raw.domain() {
                if is_public_suffix(domain) {
                    if domain.trim_start_matches('.').eq_ignore_ascii_case(host) {
                        let mut host_only = raw.clone();
                        host_only.unset_domain();
                        let _ = store.insert_raw(&host_only, url);
                    }
                    continue;
                }
            }
            let _ = store.insert_raw(&raw, url);
        }
    }

    /// Adds the cookies of a Netscape cookie file (curl's `-b FILE`).
    ///
    /// # Errors
    /// `Config` for a line that is not seven tab-separated fields.
    pub fn load_netscape(&self, text: &str) -> Result<()> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
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
            if expires != 0 && expires <= now {
                continue; // expired
            }
            let host = domain.trim_start_matches('.');
            let mut set_cookie = format!("{name}={value}; Path={path}");
            if subdomains.eq_ignore_ascii_case("TRUE") {
                set_cookie.push_str(&format!("; Domain={host}"));
            }
            if secure.eq_ignore_ascii_case("TRUE") {
                set_cookie.push_str("; Secure");
            }
            if http_only {
                set_cookie.push_str("; HttpOnly");
            }
            if expires != 0 {
                set_cookie.push_str(&format!("; Max-Age={}", expires - now));
            }
            let (Ok(url), Ok(raw)) = (
                Url::parse(&format!("https://{host}{path}")),
                RawCookie::parse(set_cookie),
            ) else {
                continue;
            };
            let _ = store.insert_raw(&raw, &url);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn store(jar: &CookieJar, url: &str, set_cookies: &[&str]) {
        let mut h = HeaderMap::new();
        for c in set_cookies {
            h.append(SET_COOKIE, c.parse().unwrap());
        }
        jar.store_response(&h, &u(url));
    }

    /// The Cookie header for `url`, its pairs sorted (the jar's order is
    /// not part of the contract).
    fn header(jar: &CookieJar, url: &str) -> String {
        let v = jar
            .header_for(&u(url), &[])
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let mut parts: Vec<&str> = v.split("; ").filter(|p| !p.is_empty()).collect();
        parts.sort();
        parts.join("; ")
    }

    #[test]
    fn domain_and_path_matching() {
        let jar = CookieJar::new();
        store(
            &jar,
            "http://www.example.com/app/page",
            &[
                "host=1",
                "wide=2; Domain=example.com",
                "root=3; Path=/",
                "deep=4; Path=/app/deeper",
            ],
        );
        assert_eq!(
            header(&jar, "http://www.example.com/app/x"),
            "host=1; root=3; wide=2"
        );
        assert_eq!(
            header(&jar, "http://api.example.com/app/"),
            "wide=2",
            "only the Domain cookie reaches a sibling"
        );
        assert_eq!(
            header(&jar, "http://api.example.com/"),
            "",
            "default path is /app"
        );
        assert_eq!(
            header(&jar, "http://www.example.com/app/deeper/z"),
            "deep=4; host=1; root=3; wide=2"
        );
        assert_eq!(header(&jar, "http://other.org/"), "");
    }

    #[test]
    fn secure_expiry_and_deletion() {
        let jar = CookieJar::new();
        store(
            &jar,
            "https://example.com/",
            &[
                "s=1; Secure",
                "gone=1; Max-Age=0",
                "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "keep=1; Max-Age=3600",
            ],
        );
        assert_eq!(header(&jar, "https://example.com/"), "keep=1; s=1");
        assert_eq!(
            header(&jar, "http://example.com/"),
            "keep=1",
            "Secure only over https"
        );
        store(&jar, "https://example.com/", &["keep=; Max-Age=0"]);
        assert_eq!(header(&jar, "https://example.com/"), "s=1");
    }

    #[test]
    fn public_suffix_and_other_sites_are_refused() {
        let jar = CookieJar::new();
        store(
            &jar,
            "http://evil.example.co.uk/",
            &["a=1; Domain=co.uk", "b=2; Domain=example.com"],
        );
        store(&jar, "http://me.github.io/", &["c=3; Domain=github.io"]);
        assert!(jar.cookies().is_empty(), "{:?}", jar.cookies());
        assert!(
            is_public_suffix("com") && is_public_suffix("co.uk") && is_public_suffix("github.io")
        );
        assert!(!is_public_suffix("example.com"));
    }

    #[test]
    fn request_cookies_replace_stored_ones() {
        let jar = CookieJar::new();
        store(&jar, "http://h/", &["a=jar", "b=jar"]);
        let v = jar
            .header_for(&u("http://h/"), &[("a".into(), "req".into())])
            .unwrap();
        assert_eq!(v, "b=jar; a=req");
    }

    #[test]
    fn netscape_round_trip() {
        let jar = CookieJar::new();
        store(
            &jar,
            "https://www.example.com/",
            &[
                "s=1; Domain=example.com; Secure; Max-Age=3600",
                "h=2; HttpOnly",
            ],
        );
        let text = jar.to_netscape();
        assert!(text.contains(".example.com\tTRUE\t/\tTRUE\t"), "{text}");
        assert!(
            text.contains("#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t0\th\t2"),
            "{text}"
        );
        let back = CookieJar::new();
        back.load_netscape(&text).unwrap();
        assert_eq!(
            header(&back, "https://www.example.com/"),
            header(&jar, "https://www.example.com/")
        );
        assert_eq!(
            back.load_netscape("bad line").unwrap_err().kind(),
            ErrorKind::Config
        );
        back.load_netscape("example.org\tFALSE\t/\tFALSE\t1\tx\told\n")
            .unwrap();
        assert_eq!(
            header(&back, "https://example.org/"),
            "",
            "expired lines are skipped"
        );
    }
}
