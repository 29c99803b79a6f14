//! Redirect decisions (RFC 9110 §15.4), sans-IO, as httpx makes them:
//! which responses redirect, and the request that follows one.

use http::header::{HeaderMap, AUTHORIZATION, COOKIE, HOST, LOCATION};
use http::{Method, StatusCode};
use url::Url;

use crate::body::Body;
use crate::error::{Error, ErrorKind, Result};

/// The default most redirects followed (httpx: 20).
pub const DEFAULT_MAX_REDIRECTS: usize = 20;

/// The `Location` of a redirect response (301, 302, 303, 307, 308 with a
/// `Location` header), if this is one.
pub fn location(status: StatusCode, headers: &HeaderMap) -> Option<&[u8]> {
    let redirects = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
    redirects
        .then(|| headers.get(LOCATION))
        .flatten()
        .map(|v| v.as_bytes())
}

/// The method of the request after a redirect with `status` (RFC 9110
/// §15.4: 303 turns all but HEAD into GET; browsers, curl and httpx turn a
/// POST into GET on 301 and 302; 307 and 308 keep it).
pub fn method(method: &Method, status: StatusCode) -> Method {
    match status.as_u16() {
        303 if *method != Method::HEAD => Method::GET,
        301 | 302 if *method == Method::POST => Method::GET,
        _ => method.clone(),
    }
}

/// The URL a `Location` points to from `from`: relative and scheme-relative
/// references resolved; the fragment of `from` kept when the location has
/// none (RFC 9110 §10.2.2).
///
/// # Errors
/// `RemoteProtocol` for a location that is not a URL, `UnsupportedProtocol`
/// for one that is not http or https.
pub fn target(from: &Url, location: &[u8]) -> Result<Url> {
    let text = String::from_utf8_lossy(location);
    let joined = match from.join(text.trim()) {
        // `https://:443/`: no host, so the request's (httpx, its issue 771).
        Err(url::ParseError::EmptyHost) => match with_host(text.trim(), from) {
            Some(fixed) => from.join(&fixed),
            None => Err(url::ParseError::EmptyHost),
        },
        other => other,
    };
    let mut url = joined.map_err(|e| {
        Error::new(
            ErrorKind::RemoteProtocol,
            format!("invalid Location header {text:?} in a redirect"),
        )
        .with_source(e)
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            ErrorKind::UnsupportedProtocol,
            format!("redirect to unsupported URL scheme {:?}", url.scheme()),
        ));
    }
    if url.fragment().is_none() {
        url.set_fragment(from.fragment());
    }
    Ok(url)
}

/// An absolute `location` whose authority has an empty host, with `from`'s
/// host put in; `None` when it is not of that form.
fn with_host(location: &str, from: &Url) -> Option<String> {
    let (scheme, rest) = location.split_once("://")?;
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host_at = rest[..authority_len].rfind('@').map_or(0, |i| i + 1);
    let host_and_port = &rest[host_at..authority_len];
    if !(host_and_port.is_empty() || host_and_port.starts_with(':')) {
        return None;
    }
    let host = from.host_str()?;
    Some(format!(
        "{scheme}://{}{host}{}",
        &rest[..host_at],
        &rest[host_at..]
    ))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// httpx keeps `Authorization` across an http to https upgrade of the same
/// host on the default ports.
fn is_https_upgrade(from: &Url, to: &Url) -> bool {
    from.scheme() == "http"
        && to.scheme() == "https"
        && from.host_str() == to.host_str()
        && from.port_or_known_default() == Some(80)
        && to.port_or_known_default() == Some(443)
}

/// The headers of the request after a redirect from `from` to `to`:
/// credentials dropped on a change of origin (but an http to https upgrade)
/// and on any https to http downgrade; `Host` and `Cookie` dropped (the
/// cookie jar selects cookies for the new URL); when the body is dropped
/// (the method became GET), its framing and content-specific fields too,
/// whoever set them (RFC 9110 §15.4, as curl does).
pub fn headers(headers: &HeaderMap, from: &Url, to: &Url, body_dropped: bool) -> HeaderMap {
    let mut h = headers.clone();
    let downgrade = from.scheme() == "https" && to.scheme() == "http";
    if downgrade || (!same_origin(from, to) && !is_https_upgrade(from, to)) {
        h.remove(AUTHORIZATION);
    }
    if !same_origin(from, to) || downgrade {
        h.remove("proxy-authorization");
    }
    h.remove(HOST);
    h.remove(COOKIE);
    if body_dropped {
        for name in CONTENT_FIELDS {
            h.remove(*name);
        }
    }
    h
}

/// The fields that describe a request's content, removed with it when a
/// redirect turns the method into GET (RFC 9110 §15.4 lists the content
/// headers; `Digest` and `Last-Modified` describe the content too).
const CONTENT_FIELDS: &[&str] = &[
    "content-type",
    "content-length",
    "content-encoding",
    "content-language",
    "content-location",
    "transfer-encoding",
    "digest",
    "last-modified",
];

/// The body of the request after a redirect: none when the method became
/// GET (or HEAD); else the body again, which must be replayable.
///
/// # Errors
/// `StreamConsumed` when a 307/308 must resend a body that was streamed.
pub fn body(
    new_method: &Method,
    old_method: &Method,
    kept: Option<Body>,
    status: StatusCode,
) -> Result<Option<Body>> {
    if new_method != old_method && (*new_method == Method::GET || *new_method == Method::HEAD) {
        return Ok(None);
    }
    match kept {
        Some(b) => Ok(Some(b)),
        None => Err(Error::new(
            ErrorKind::StreamConsumed,
            format!(
                "cannot follow the {} redirect: it must resend the request body, which was a stream",
                status.as_u16()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn method_rules() {
        let table = [
            ("POST", 301, "GET"),
            ("POST", 302, "GET"),
            ("POST", 303, "GET"),
            ("PUT", 303, "GET"),
            ("HEAD", 303, "HEAD"),
            ("DELETE", 303, "GET"),
            ("PUT", 301, "PUT"),
            ("POST", 307, "POST"),
            ("PUT", 308, "PUT"),
            ("GET", 302, "GET"),
        ];
        for (m, status, expect) in table {
            let got = method(
                &Method::from_bytes(m.as_bytes()).unwrap(),
                StatusCode::from_u16(status).unwrap(),
            );
            assert_eq!(got.as_str(), expect, "{m} {status}");
        }
    }

    #[test]
    fn locations() {
        let from = u("https://a.example/dir/page?q=1#frag");
        assert_eq!(
            target(&from, b"/other").unwrap().as_str(),
            "https://a.example/other#frag"
        );
        assert_eq!(
            target(&from, b"next").unwrap().as_str(),
            "https://a.example/dir/next#frag"
        );
        assert_eq!(
            target(&from, b"//b.example/x").unwrap().as_str(),
            "https://b.example/x#frag"
        );
        assert_eq!(
            target(&from, b"http://c.example/y#own").unwrap().as_str(),
            "http://c.example/y#own"
        );
        assert_eq!(
            target(&from, b"ftp://x/").unwrap_err().kind(),
            ErrorKind::UnsupportedProtocol
        );
        assert_eq!(
            target(&from, b"http://[::1").unwrap_err().kind(),
            ErrorKind::RemoteProtocol
        );
        // An empty host is the request's (httpx's test_redirect_301 with
        // `https://:443/`, its issue 771).
        let from = u("https://example.org/x");
        for (loc, want) in [
            ("https://:443/", "https://example.org/"),
            ("https://:443", "https://example.org/"),
            ("http://:8080/a?b#c", "http://example.org:8080/a?b#c"),
            ("https://user@:8443/p", "https://user@example.org:8443/p"),
        ] {
            assert_eq!(
                target(&from, loc.as_bytes()).unwrap().as_str(),
                want,
                "{loc}"
            );
        }
        let v6 = u("http://[::1]:8000/");
        assert_eq!(
            target(&v6, b"http://:9000/z").unwrap().as_str(),
            "http://[::1]:9000/z"
        );
        let mut h = HeaderMap::new();
        h.insert(LOCATION, "/x".parse().unwrap());
        assert!(location(StatusCode::FOUND, &h).is_some());
        assert!(location(StatusCode::OK, &h).is_none());
        assert!(location(StatusCode::NOT_MODIFIED, &h).is_none());
        assert!(location(StatusCode::FOUND, &HeaderMap::new()).is_none());
    }

    #[test]
    fn credential_rules() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Basic x".parse().unwrap());
        h.insert("proxy-authorization", "Basic y".parse().unwrap());
        h.insert(COOKIE, "a=1".parse().unwrap());
        h.insert("x-keep", "1".parse().unwrap());
        let keeps =
            |from: &str, to: &str| headers(&h, &u(from), &u(to), false).contains_key(AUTHORIZATION);
        assert!(keeps("http://a/x", "http://a/y"), "same origin");
        assert!(!keeps("http://a/x", "http://b/y"), "other host");
        assert!(!keeps("http://a/x", "http://a:8080/y"), "other port");
        assert!(keeps("http://a/x", "https://a/y"), "https upgrade");
        assert!(
            !keeps("http://a:8080/x", "https://a/y"),
            "not the default ports"
        );
        assert!(!keeps("https://a/x", "http://a/y"), "downgrade");
        let moved = headers(&h, &u("http://a/"), &u("http://b/"), true);
        assert!(!moved.contains_key("proxy-authorization"));
        assert!(!moved.contains_key(COOKIE));
        assert_eq!(moved["x-keep"], "1");
    }

    #[test]
    fn content_fields_go_with_the_body() {
        let mut h = HeaderMap::new();
        for name in CONTENT_FIELDS {
            h.insert(*name, "v".parse().unwrap());
        }
        h.insert("x-keep", "1".parse().unwrap());
        h.insert("accept", "*/*".parse().unwrap());
        let (from, to) = (u("http://a/x"), u("http://a/y"));
        let dropped = headers(&h, &from, &to, true);
        for name in CONTENT_FIELDS {
            assert!(!dropped.contains_key(*name), "{name} kept without a body");
        }
        assert_eq!(dropped["x-keep"], "1");
        assert_eq!(dropped["accept"], "*/*");
        // 307/308 keep method, body and every header.
        let kept = headers(&h, &from, &to, false);
        assert_eq!(kept.len(), h.len());
    }

    #[test]
    fn bodies() {
        let post = Method::POST;
        assert!(body(&Method::GET, &post, None, StatusCode::FOUND)
            .unwrap()
            .is_none());
        let kept = body(
            &post,
            &post,
            Some(Body::from("x")),
            StatusCode::TEMPORARY_REDIRECT,
        )
        .unwrap();
        assert_eq!(kept.unwrap().as_bytes(), Some(&b"x"[..]));
        let e = body(&post, &post, None, StatusCode::PERMANENT_REDIRECT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StreamConsumed);
    }
}
