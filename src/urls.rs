//! URL merging, as httpx does it: `base_url` joining and query-parameter
//! merging. Sans-IO and shared by both clients.

use std::cell::RefCell;

use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// Resolves `url` against `base`.
///
/// An absolute URL (with a scheme) is used as is. A relative one needs a
/// base, and is appended to the base's path as httpx does: the base path is
/// kept, a trailing slash is implied, and a leading slash of `url` does not
/// reset the path. So `items` and `/items` on `https://api.example.com/v1`
/// both give `https://api.example.com/v1/items`.
///
/// # Errors
/// `InvalidUrl` when `url` does not parse, or is relative with no base.
pub fn merge_url(base: Option<&Url>, url: &str) -> Result<Url> {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
    match parse_remembered(url) {
        Ok(u) => check_host(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let Some(base) = base else {
                return Err(Error::new(
                    ErrorKind::InvalidUrl,
                    format!("relative URL {url:?} needs a base_url on the client"),
                ));
            };
            let mut base = base.clone();
            if !base.path().ends_with('/') {
                let path = format!("{}/", base.path());
                base.set_path(&path);
            }
            // A scheme-relative "//host/path" stays what RFC 3986 says it is.
            let rel = if url.starts_with("//") {
                url
            } else {
                url.trim_start_matches('/')
            };
            // RFC 3986 §4.2: a first segment with a colon would read as a
            // scheme (`testing:123`); a `./` keeps it a path.
            let dotted;
            let rel = if rel
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|first| first.contains(':'))
            {
                dotted = format!("./{rel}");
                &dotted
            } else {
                rel
            };
            base.join(rel)
                .map_err(|e| invalid(url, e))
                .and_then(check_host)
        }
        Err(e) => Err(invalid(url, e)),
    }
}

/// How many parsed URLs each thread remembers.
const REMEMBERED_URLS: usize = 4;
/// Longer URLs are parsed every time rather than kept.
const MAX_REMEMBERED_LEN: usize = 2048;

/// The last few absolute URLs a thread parsed, by their input text.
struct Recent {
    slots: [Option<(Box<str>, Url)>; REMEMBERED_URLS],
    /// The slot to replace next.
    next: usize,
}

impl Recent {
    fn get(&self, text: &str) -> Option<Url> {
        self.slots
            .iter()
            .flatten()
            .find(|(key, _)| **key == *text)
            .map(|(_, url)| url.clone())
    }

    fn remember(&mut self, text: &str, url: &Url) {
        self.slots[self.next] = Some((text.into(), url.clone()));
        self.next = (self.next + 1) % REMEMBERED_URLS;
    }
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent {
            slots: [const { None }; REMEMBERED_URLS],
            next: 0,
        })
    };
}

/// `Url::parse`, remembering the last few URLs parsed on this thread.
///
/// The WHATWG parse (with IDNA host processing) is about a quarter of the
/// client's own work for a kept-alive request, and programs tend to call
/// the same few URLs again and again. Parsing is a pure function of the
/// text, so a copy of an earlier result for the same text is the same
/// result; a clone is one allocation and a copy. URLs with credentials
/// (`user:password@`) are parsed every time and never kept.
fn parse_remembered(text: &str) -> std::result::Result<Url, url::ParseError> {
    if text.len() > MAX_REMEMBERED_LEN {
        return Url::parse(text);
    }
    if let Some(url) = RECENT.with_borrow(|recent| recent.get(text)) {
        return Ok(url);
    }
    let url = Url::parse(text)?;
    // Credentials in a URL are not kept beyond the request that uses them.
    if url.username().is_empty() && url.password().is_none() {
        RECENT.with_borrow_mut(|recent| recent.remember(text, &url));
    }
    Ok(url)
}

/// A host as sockets and TLS take it: an IPv6 literal without the
/// brackets URLs put around it (`[::1]` -> `::1`); anything else as it is.
/// `host` as it goes before a `:port`: an IPv6 address in brackets.
pub(crate) fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

pub(crate) fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn check_host(u: Url) -> Result<Url> {
    if matches!(u.scheme(), "http" | "https") && u.host_str().is_none_or(str::is_empty) {
        return Err(Error::new(
            ErrorKind::InvalidUrl,
            format!("URL {u} has no host"),
        ));
    }
    Ok(u)
}

fn invalid(url: &str, e: url::ParseError) -> Error {
    Error::new(ErrorKind::InvalidUrl, format!("invalid URL {url:?}")).with_source(e)
}

/// Merges `params` into the query of `url`: pairs already in the URL whose key
/// appears in `params` are replaced (httpx's merge), the rest are kept, then
/// `params` are appended in order. A URL without params to add is unchanged.
pub fn merge_query<K: AsRef<str>, V: AsRef<str>>(url: &mut Url, params: &[(K, V)]) {
    if params.is_empty() {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !params.iter().any(|(pk, _)| pk.as_ref() == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    for (k, v) in &kept {
        pairs.append_pair(k, v);
    }
    for (k, v) in params {
        pairs.append_pair(k.as_ref(), v.as_ref());
    }
}

/// Percent-decodes a URL's user or password (`+` is itself there: the
/// space rule is for forms); invalid UTF-8 becomes U+FFFD.
pub(crate) fn percent_decode(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn bare_hosts() {
        assert_eq!(bare_host("[::1]"), "::1");
        assert_eq!(bare_host("::1"), "::1");
        assert_eq!(bare_host("example.com"), "example.com");
        assert_eq!(bare_host("[::1"), "[::1", "one bracket is not a pair");
        assert_eq!(bare_host("[[::1]]"), "[::1]", "one pair only");
    }

    #[test]
    fn httpx_merge_cases() {
        // httpx's tests/client/test_client.py (test_merge_*), as facts.
        let cases = [
            (
                "https://www.example.com/",
                "http://www.example.org/",
                "http://www.example.org/",
            ),
            (
                "https://www.example.com/some/path",
                "/testing/123",
                "https://www.example.com/some/path/testing/123",
            ),
            (
                "https://www.example.com/some/path",
                "/testing:123",
                "https://www.example.com/some/path/testing:123",
            ),
            (
                "https://www.example.com/some/path",
                "testing:123/x",
                "testing:123/x",
            ),
            (
                "https://www.example.com/some/path",
                "/a:b/c:d?q=e:f",
                "https://www.example.com/some/path/a:b/c:d?q=e:f",
            ),
            (
                "https://www.example.com/some/path",
                "../testing/123",
                "https://www.example.com/some/testing/123",
            ),
            (
                "https://www.example.com/",
                "/testing%2F123",
                "https://www.example.com/testing%2F123",
            ),
            (
                "https://www.example.com/base%2Fpath",
                "/testing",
                "https://www.example.com/base%2Fpath/testing",
            ),
            (
                "https://www.example.com/some/path",
                "//other.example:8080/x",
                "https://other.example:8080/x",
            ),
        ];
        for (b, rel, expect) in cases {
            let got = merge_url(Some(&base(b)), rel).unwrap();
            assert_eq!(got.as_str(), expect, "{b} + {rel}");
        }
    }

    #[test]
    fn base_url_joining() {
        let b = base("https://api.example.com/v1");
        for (rel, expect) in [
            ("items", "https://api.example.com/v1/items"),
            ("/items", "https://api.example.com/v1/items"),
            ("items/3?x=1", "https://api.example.com/v1/items/3?x=1"),
            ("", "https://api.example.com/v1/"),
            ("https://other.example/x", "https://other.example/x"),
        ] {
            assert_eq!(merge_url(Some(&b), rel).unwrap().as_str(), expect, "{rel}");
        }
        let b = base("https://api.example.com/v1/");
        assert_eq!(
            merge_url(Some(&b), "/items").unwrap().as_str(),
            "https://api.example.com/v1/items"
        );
        let b = base("http://h");
        assert_eq!(merge_url(Some(&b), "a").unwrap().as_str(), "http://h/a");
    }

    #[test]
    fn errors() {
        assert_eq!(
            merge_url(None, "/x").unwrap_err().kind(),
            ErrorKind::InvalidUrl
        );
        assert_eq!(
            merge_url(None, "http://").unwrap_err().kind(),
            ErrorKind::InvalidUrl
        );
        assert_eq!(
            merge_url(None, "http://[::1").unwrap_err().kind(),
            ErrorKind::InvalidUrl
        );
        assert!(merge_url(None, "  http://a/  ").is_ok());
    }

    #[test]
    fn remembered_urls_are_the_urls_parsed() {
        // More texts than slots, some serialising alike, visited in an order
        // that both hits and evicts remembered entries.
        let texts = [
            "http://127.0.0.1:80/a",
            "http://127.0.0.1/a",
            "http://127.0.0.1:8080/a",
            "HTTP://Example.COM/a?q=1",
            "http://example.com/a?q=1",
            "https://example.com/a?q=1",
            "http://xn--nxasmq6b.example/",
            "http://βόλος.example/",
        ];
        for round in 0..3 {
            for (i, text) in texts.iter().enumerate() {
                let text = if round == 1 {
                    texts[texts.len() - 1 - i]
                } else {
                    text
                };
                let got = parse_remembered(text).unwrap();
                assert_eq!(got, Url::parse(text).unwrap(), "{text} in round {round}");
                // The same text again is answered from memory, identically.
                assert_eq!(parse_remembered(text).unwrap(), got, "{text} again");
            }
        }
        let long = format!("http://h/{}", "a".repeat(MAX_REMEMBERED_LEN));
        assert_eq!(
            parse_remembered(&long).unwrap().path().len(),
            MAX_REMEMBERED_LEN + 1
        );
        assert!(RECENT.with_borrow(|r| r
            .slots
            .iter()
            .flatten()
            .all(|(k, _)| k.len() <= MAX_REMEMBERED_LEN)));
        assert!(parse_remembered("http://[::1").is_err());
        let secret = "http://user:secret@example.com/";
        assert_eq!(parse_remembered(secret).unwrap().password(), Some("secret"));
        assert!(RECENT.with_borrow(|r| r
            .slots
            .iter()
            .flatten()
            .all(|(k, u)| !k.contains("secret") && u.password().is_none())));
    }

    #[test]
    fn query_merging() {
        let mut u = base("http://h/p?a=1&b=2");
        merge_query(&mut u, &[("b", "3"), ("c", "x y")]);
        assert_eq!(u.query(), Some("a=1&b=3&c=x+y"));
        let mut u = base("http://h/p?raw=%2F");
        merge_query::<&str, &str>(&mut u, &[]);
        assert_eq!(u.query(), Some("raw=%2F"));
        let mut u = base("http://h/p");
        merge_query(&mut u, &[("k", "1"), ("k", "2")]);
        assert_eq!(u.query(), Some("k=1&k=2"));
    }
}
