//! Request-head encoding (RFC 9112 §3): the request line, `Host`, the
//! caller's fields checked as they are written, and the body's framing.

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{Method, Version};
use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// How the request body is framed on the wire (RFC 9112 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body and no framing header (GET, HEAD, ... with no body).
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// The body framing a request gets: none for a bodiless request whose
/// method does not expect one, the length when known, else chunked.
pub(crate) fn request_framing(method: &http::Method, len: Option<u64>) -> BodyFraming {
    use http::Method;
    match len {
        Some(0)
            if matches!(
                *method,
                Method::GET
                    | Method::HEAD
                    | Method::OPTIONS
                    | Method::DELETE
                    | Method::TRACE
                    | Method::CONNECT
            ) =>
        {
            BodyFraming::None
        }
        Some(n) => BodyFraming::Length(n),
        None => BodyFraming::Chunked,
    }
}

/// The form of a request line's target (RFC 9112 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestTarget {
    /// `/path?query`: to an origin server.
    #[default]
    Origin,
    /// `http://host:port/path?query` (no user info, no fragment): to a
    /// forward proxy.
    Absolute,
    /// `host:port`, the port always given: for `CONNECT`; `Host` says the
    /// same.
    Authority,
}

/// Writes an HTTP/1.1 request head for `method` `url` with `headers` into
/// `out`: the origin-form target, a `Host` header first (unless `headers`
/// has one), then `headers` in order, then the body's framing header, then
/// the blank line. Framing headers in `headers` are not sent: the body
/// decides them, so they cannot disagree with it.
///
/// Refuses CR, LF or NUL (and other controls) in the method, the target,
/// header names and header values: a `LocalProtocol` error names the
/// offending part, and `out` is left as it was.
pub fn encode_request_head(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    framing: BodyFraming,
    out: &mut Vec<u8>,
) -> Result<()> {
    encode_request_head_version(method, url, headers, framing, Version::HTTP_11, out)
}

/// [`encode_request_head`] with an HTTP version: HTTP/1.1 or HTTP/1.0.
///
/// # Errors
/// As `encode_request_head`, and `UnsupportedProtocol` for other versions.
pub fn encode_request_head_version(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    framing: BodyFraming,
    version: Version,
    out: &mut Vec<u8>,
) -> Result<()> {
    encode_request_head_to(
        method,
        url,
        headers,
        framing,
        version,
        RequestTarget::Origin,
        out,
    )
}

/// [`encode_request_head_version`] with the request target in `target`'s
/// form: absolute-form for a forward proxy, authority-form for `CONNECT`.
///
/// # Errors
/// As `encode_request_head_version`, and `InvalidUrl` for authority-form
/// of a URL without a port its scheme implies.
pub fn encode_request_head_to(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    framing: BodyFraming,
    version: Version,
    target: RequestTarget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let version_text: &[u8] = match version {
        Version::HTTP_11 => b" HTTP/1.1\r\n",
        Version::HTTP_10 => b" HTTP/1.0\r\n",
        other => {
            return Err(Error::new(
                ErrorKind::UnsupportedProtocol,
                format!("{other:?} is not supported yet (HTTP/1.1 and HTTP/1.0 are)"),
            ))
        }
    };
    let m = method.as_str();
    if m.is_empty() || !m.bytes().all(is_tchar) {
        return Err(local(format!("invalid request method {m:?}")));
    }
    let path = url.path();
    let query = url.query();
    // `url` percent-encodes controls in path and query (WHATWG), but a Url can be
    // edited through `set_path` with unusual input: check, never trust.
    for part in [path, query.unwrap_or("")] {
        if part.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(local(format!(
                "request target {part:?} contains a space or control character"
            )));
        }
    }
    let start = out.len();
    out.extend_from_slice(m.as_bytes());
    out.push(b' ');
    let authority_form = target == RequestTarget::Authority;
    if authority_form {
        write_authority(url, out).inspect_err(|_| out.truncate(start))?;
    } else {
        if target == RequestTarget::Absolute {
            out.extend_from_slice(url.scheme().as_bytes());
            out.extend_from_slice(b"://");
            write_host(url, out).inspect_err(|_| out.truncate(start))?;
        }
        if path.is_empty() {
            out.push(b'/');
        } else {
            out.extend_from_slice(path.as_bytes());
        }
        if let Some(q) = query {
            out.push(b'?');
            out.extend_from_slice(q.as_bytes());
        }
    }
    out.extend_from_slice(version_text);
    if !headers.contains_key(HOST) {
        out.extend_from_slice(b"host: ");
        if authority_form {
            write_authority(url, out)?;
        } else {
            write_host(url, out).inspect_err(|_| out.truncate(start))?;
        }
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in headers {
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue; // the framing below says how the body is sent
        }
        // Checked as written; on an error `out` is as it was before the call.
        if let Err(e) = check_header_value(name, value) {
            out.truncate(start);
            return Err(e);
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            push_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Writes `host:port`, the port always (authority-form, RFC 9112 §3.2.3).
fn write_authority(url: &Url, out: &mut Vec<u8>) -> Result<()> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("URL {url} has no host")))?;
    let port = url.port_or_known_default().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("URL {url} has no port for an authority-form target"),
        )
    })?;
    out.extend_from_slice(host.as_bytes());
    out.push(b':');
    push_decimal(out, u64::from(port));
    Ok(())
}

/// Writes `host[:port]` for the `Host` header: the port only when it is not the
/// scheme's default (RFC 9110 §7.2).
pub fn write_host(url: &Url, out: &mut Vec<u8>) -> Result<()> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("URL {url} has no host")))?;
    out.extend_from_slice(host.as_bytes());
    if let Some(port) = url.port() {
        // `Url::port` is already None for the scheme's default port.
        out.push(b':');
        push_decimal(out, u64::from(port));
    }
    Ok(())
}

/// Appends `n` in decimal, without the formatting machinery.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Refuses header values that would break the head (CR, LF, NUL, other
/// controls but HTAB). `HeaderValue` checks this when built safely; this is
/// the last line before the wire.
fn check_header_value(name: &HeaderName, value: &HeaderValue) -> Result<()> {
    if value
        .as_bytes()
        .iter()
        .any(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
    {
        return Err(local(format!(
            "header {name} has a value with a control character (CR, LF or NUL)"
        )));
    }
    Ok(())
}

fn local(msg: String) -> Error {
    Error::new(ErrorKind::LocalProtocol, msg)
}

/// RFC 9110 §5.6.2 token characters.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, url: &str, headers: &[(&str, &str)]) -> Result<String> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        let mut out = Vec::new();
        encode_request_head(
            &Method::from_bytes(method.as_bytes()).unwrap(),
            &Url::parse(url).unwrap(),
            &map,
            BodyFraming::None,
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// The request line and Host of `method url` in `target`'s form.
    fn line(method: &str, url: &str, target: RequestTarget) -> Result<String> {
        let mut out = b"kept".to_vec();
        encode_request_head_to(
            &Method::from_bytes(method.as_bytes()).unwrap(),
            &Url::parse(url).unwrap(),
            &HeaderMap::new(),
            BodyFraming::None,
            Version::HTTP_11,
            target,
            &mut out,
        )?;
        let text = String::from_utf8(out).unwrap();
        Ok(text.trim_end().trim_start_matches("kept").to_string())
    }

    #[test]
    fn request_target_forms() {
        use RequestTarget::*;
        // RFC 9112 §3.2: origin-form to a server, absolute-form to a forward
        // proxy (no user info, no fragment), authority-form for CONNECT.
        let cases = [
            (
                "GET",
                "http://u:p@h.test:8080/a/b?q=1#frag",
                Origin,
                "GET /a/b?q=1 HTTP/1.1\r\nhost: h.test:8080",
            ),
            (
                "GET",
                "http://u:p@h.test:8080/a/b?q=1#frag",
                Absolute,
                "GET http://h.test:8080/a/b?q=1 HTTP/1.1\r\nhost: h.test:8080",
            ),
            (
                "GET",
                "https://h.test/",
                Absolute,
                "GET https://h.test/ HTTP/1.1\r\nhost: h.test",
            ),
            (
                "GET",
                "http://[::1]:81",
                Absolute,
                "GET http://[::1]:81/ HTTP/1.1\r\nhost: [::1]:81",
            ),
            (
                "CONNECT",
                "https://h.test/x?y",
                Authority,
                "CONNECT h.test:443 HTTP/1.1\r\nhost: h.test:443",
            ),
            (
                "CONNECT",
                "http://h.test:3128/",
                Authority,
                "CONNECT h.test:3128 HTTP/1.1\r\nhost: h.test:3128",
            ),
            (
                "CONNECT",
                "http://[::1]/",
                Authority,
                "CONNECT [::1]:80 HTTP/1.1\r\nhost: [::1]:80",
            ),
        ];
        for (method, url, target, want) in cases {
            assert_eq!(
                line(method, url, target).unwrap(),
                want,
                "{method} {url} {target:?}"
            );
        }
        // No port the scheme implies: an error, and `out` unchanged.
        let e = line("CONNECT", "unknown://h.test/", Authority).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
        let mut out = b"kept".to_vec();
        let r = encode_request_head_to(
            &Method::CONNECT,
            &Url::parse("unknown://h.test/").unwrap(),
            &HeaderMap::new(),
            BodyFraming::None,
            Version::HTTP_11,
            Authority,
            &mut out,
        );
        assert!(r.is_err());
        assert_eq!(out, b"kept");
    }

    #[test]
    fn encodes_origin_form_and_host() {
        assert_eq!(
            head(
                "GET",
                "http://example.com/a/b?x=1#frag",
                &[("accept", "*/*")]
            )
            .unwrap(),
            "GET /a/b?x=1 HTTP/1.1\r\nhost: example.com\r\naccept: */*\r\n\r\n"
        );
        assert_eq!(
            head("POST", "http://example.com:8080", &[]).unwrap(),
            "POST / HTTP/1.1\r\nhost: example.com:8080\r\n\r\n"
        );
        assert_eq!(
            head("GET", "https://[::1]:443/", &[]).unwrap(),
            "GET / HTTP/1.1\r\nhost: [::1]\r\n\r\n"
        );
        // An explicit Host header is used as is.
        assert_eq!(
            head("GET", "http://a/", &[("host", "b")]).unwrap(),
            "GET / HTTP/1.1\r\nhost: b\r\n\r\n"
        );
    }

    #[test]
    fn framing_headers_come_from_the_body() {
        let mut map = HeaderMap::new();
        map.insert("content-length", HeaderValue::from_static("999"));
        map.insert("x", HeaderValue::from_static("y"));
        let url = Url::parse("http://a/").unwrap();
        for (framing, expect) in [
            (BodyFraming::Length(3), "content-length: 3\r\n"),
            (BodyFraming::Chunked, "transfer-encoding: chunked\r\n"),
            (BodyFraming::None, ""),
        ] {
            let mut out = Vec::new();
            encode_request_head(&Method::POST, &url, &map, framing, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("POST / HTTP/1.1\r\nhost: a\r\nx: y\r\n{expect}\r\n")
            );
        }
    }

    #[test]
    fn decimal() {
        for n in [0u64, 7, 10, 443, 65535, u64::MAX] {
            let mut v = Vec::new();
            push_decimal(&mut v, n);
            assert_eq!(v, n.to_string().into_bytes());
        }
    }

    #[test]
    fn keeps_header_order_and_repeats() {
        assert_eq!(
            head(
                "GET",
                "http://a/",
                &[("x-b", "1"), ("x-a", "2"), ("x-b", "3")]
            )
            .unwrap(),
            "GET / HTTP/1.1\r\nhost: a\r\nx-b: 1\r\nx-b: 3\r\nx-a: 2\r\n\r\n"
        );
    }

    #[test]
    fn refuses_controls_in_values_built_unchecked() {
        // HeaderValue::from_bytes refuses CR/LF, so only a value built without
        // checks can carry one; `from_maybe_shared` is the checked path too.
        assert!(HeaderValue::from_bytes(b"a\r\nb").is_err());
        let mut url = Url::parse("http://a/").unwrap();
        url.set_path("/a b");
        let mut out = Vec::new();
        // The url crate percent-encodes the space; the encoder accepts it.
        encode_request_head(
            &Method::GET,
            &url,
            &HeaderMap::new(),
            BodyFraming::None,
            &mut out,
        )
        .unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("GET /a%20b "));
    }

    #[test]
    fn refuses_bad_method() {
        let m = Method::from_bytes(b"GET").unwrap();
        let mut out = Vec::new();
        assert!(encode_request_head(
            &m,
            &Url::parse("http://a/").unwrap(),
            &HeaderMap::new(),
            BodyFraming::None,
            &mut out
        )
        .is_ok());
        assert!(Method::from_bytes(b"GE\rT").is_err());
    }
}
