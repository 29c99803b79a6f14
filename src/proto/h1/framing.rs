//! How long a response body is (RFC 9112 §6.3), and whether the connection
//! can carry another request afterwards (RFC 9112 §9.3).

use http::header::{HeaderMap, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};

use crate::error::{Error, ErrorKind, Result};

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingKind {
    /// No body at all.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding, ending with a zero-size chunk and trailers.
    Chunked,
    /// Everything until the server closes the connection.
    CloseDelimited,
}

/// The framing of a response body, and whether it forbids reusing the
/// connection regardless of `Connection` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// How the body is delimited.
    pub kind: FramingKind,
    /// The framing itself requires closing the connection afterwards (a
    /// close-delimited body, or `Transfer-Encoding` with `Content-Length`).
    pub must_close: bool,
}

/// Decides the framing of a response to `method` with `status`, `version` and
/// `headers`: the RFC 9112 §6.3 walk-through, in order.
///
/// # Errors
/// `RemoteProtocol` for an invalid `Content-Length`, several differing ones,
/// or a `Transfer-Encoding` this client cannot decode.
pub fn response_framing(
    method: &Method,
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
) -> Result<Framing> {
    let framing = |kind, must_close| Ok(Framing { kind, must_close });

    // 1. A response to HEAD, and any 1xx, 204 or 304 response, ends with the
    //    head, whatever headers it has.
    if *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return framing(FramingKind::Empty, false);
    }
    // 2. A 2xx response to CONNECT switches to a tunnel: no body here.
    if *method == Method::CONNECT && status.is_success() {
        return framing(FramingKind::Empty, false);
    }
    // 3. Transfer-Encoding present: it overrides Content-Length, and a
    //    message with both may be an attempt at request smuggling, so the
    //    connection is closed afterwards. An HTTP/1.0 message carrying
    //    Transfer-Encoding has faulty framing (§6.1: HTTP/1.0 has no
    //    transfer codings, so a sender or an intermediary got it wrong and
    //    where the body ends is not known): refused.
    if headers.contains_key(TRANSFER_ENCODING) {
        if version == Version::HTTP_10 {
            return Err(remote(
                "an HTTP/1.0 response has Transfer-Encoding (faulty framing, RFC 9112 §6.1)".into(),
            ));
        }
        let must_close = headers.contains_key(CONTENT_LENGTH);
        return match transfer_coding(headers)? {
            TransferCoding::Chunked => framing(FramingKind::Chunked, must_close),
            // "identity" (obsolete, RFC 7230 removed it) is no coding at all;
            // without chunked last, the body runs until close (§6.3 item 3).
            TransferCoding::Identity => framing(FramingKind::CloseDelimited, true),
        };
    }
    // 4. (Requests only.)
    // 5./6. A valid Content-Length gives the length; an invalid one is
    //    unrecoverable.
    if let Some(len) = content_length(headers)? {
        return framing(FramingKind::Length(len), false);
    }
    // 7. Otherwise the body runs until the server closes the connection.
    framing(FramingKind::CloseDelimited, true)
}

enum TransferCoding {
    Chunked,
    Identity,
}

/// Reads every `Transfer-Encoding` field as one comma-separated list.
fn transfer_coding(headers: &HeaderMap) -> Result<TransferCoding> {
    let mut codings = Vec::new();
    for value in headers.get_all(TRANSFER_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| remote("Transfer-Encoding is not ASCII".into()))?;
        for coding in value.split(',') {
            let coding = coding.trim_matches([' ', '\t']);
            if coding.is_empty() {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1)
            }
            // Transfer-coding parameters are not defined for chunked; keep the name.
            let name = coding
                .split(';')
                .next()
                .unwrap_or("")
                .trim_matches([' ', '\t']);
            codings.push(name.to_ascii_lowercase());
        }
    }
    let chunked_count = codings.iter().filter(|c| *c == "chunked").count();
    // RFC 9112 §7: a sender MUST NOT apply chunked more than once, and chunked
    // must be the final coding if present.
    if chunked_count > 1 {
        return Err(remote(
            "Transfer-Encoding applies chunked more than once".into(),
        ));
    }
    if chunked_count == 1 && codings.last().map(String::as_str) != Some("chunked") {
        return Err(remote(
            "Transfer-Encoding has chunked before another coding".into(),
        ));
    }
    // Any coding before the final chunked would have to be removed after
    // de-chunking; this client removes none (and `identity` is no longer a
    // transfer coding, RFC 9112 §7): the content cannot be recovered.
    if chunked_count == 1 && codings.len() > 1 {
        return Err(remote(format!(
            "unsupported transfer coding {:?} before chunked",
            codings[0]
        )));
    }
    // Any coding other than chunked or identity (gzip, compress, ...) as a
    // transfer coding is rare and would hand the caller still-encoded bytes:
    // refuse it clearly rather than deliver garbage.
    if let Some(other) = codings.iter().find(|c| *c != "chunked" && *c != "identity") {
        return Err(remote(format!("unsupported transfer coding {other:?}")));
    }
    Ok(if chunked_count == 1 {
        TransferCoding::Chunked
    } else {
        TransferCoding::Identity
    })
}

/// The length given by the `Content-Length` fields: several fields, or a
/// comma-separated list, are accepted only when every value is the same
/// (RFC 9110 §8.6).
pub(crate) fn content_length(headers: &HeaderMap) -> Result<Option<u64>> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for part in value.as_bytes().split(|&b| b == b',') {
            let part = trim_ows(part);
            let n = parse_digits(part).ok_or_else(|| {
                remote(format!(
                    "invalid Content-Length {:?}",
                    String::from_utf8_lossy(value.as_bytes())
                ))
            })?;
            match found {
                Some(prev) if prev != n => {
                    return Err(remote(format!(
                        "differing Content-Length values {prev} and {n}"
                    )))
                }
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Parses 1*DIGIT into a u64 with overflow checks. Unlike `str::parse`, no
/// sign is accepted.
pub(crate) fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Whether the connection can carry another request after this exchange
/// (RFC 9112 §9.3): not if either side said `Connection: close`, and for an
/// HTTP/1.0 response only if it said `Connection: keep-alive`.
pub fn is_keep_alive(
    request_headers: &HeaderMap,
    version: Version,
    response_headers: &HeaderMap,
) -> bool {
    if has_connection_option(request_headers, "close")
        || has_connection_option(response_headers, "close")
    {
        return false;
    }
    match version {
        Version::HTTP_11 => true,
        Version::HTTP_10 => has_connection_option(response_headers, "keep-alive"),
        _ => false,
    }
}

/// Whether a request's own fields ask to close the connection after its
/// response (`Connection: close`).
pub(crate) fn asks_to_close(headers: &HeaderMap) -> bool {
    has_connection_option(headers, "close")
}

/// Whether a response lets the connection carry another exchange, by its
/// version and `Connection` field alone (the request's side aside).
pub(crate) fn response_keeps_alive(version: Version, headers: &HeaderMap) -> bool {
    match version {
        Version::HTTP_11 => !has_connection_option(headers, "close"),
        Version::HTTP_10 => {
            has_connection_option(headers, "keep-alive") && !has_connection_option(headers, "close")
        }
        _ => false,
    }
}

fn has_connection_option(headers: &HeaderMap, option: &str) -> bool {
    headers.get_all(CONNECTION).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|o| trim_ows(o).eq_ignore_ascii_case(option.as_bytes()))
    })
}

fn remote(msg: String) -> Error {
    Error::new(ErrorKind::RemoteProtocol, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn hdrs(list: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in list {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    fn frame(
        method: Method,
        status: u16,
        list: &[(&'static str, &'static str)],
    ) -> Result<Framing> {
        response_framing(
            &method,
            StatusCode::from_u16(status).unwrap(),
            Version::HTTP_11,
            &hdrs(list),
        )
    }

    macro_rules! framing_cases {
        ($($name:ident: $method:ident $status:literal [$($k:literal: $v:literal),*] => $expect:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = frame(Method::$method, $status, &[$(($k, $v)),*]);
                let expect: Option<(FramingKind, bool)> = $expect;
                match expect {
                    Some((kind, close)) => {
                        let f = got.expect("framing ok");
                        assert_eq!((f.kind, f.must_close), (kind, close));
                    }
                    None => assert_eq!(got.unwrap_err().kind(), ErrorKind::RemoteProtocol),
                }
            }
        )*};
    }

    use FramingKind::*;
    framing_cases! {
        head_has_no_body: HEAD 200 ["content-length": "10"] => Some((Empty, false));
        status_204: GET 204 ["content-length": "10"] => Some((Empty, false));
        status_304: GET 304 ["transfer-encoding": "chunked"] => Some((Empty, false));
        status_1xx: GET 103 [] => Some((Empty, false));
        connect_2xx: CONNECT 200 [] => Some((Empty, false));
        length: GET 200 ["content-length": "42"] => Some((Length(42), false));
        length_zero: GET 200 ["content-length": "0"] => Some((Length(0), false));
        leading_zeros: GET 200 ["content-length": "007"] => Some((Length(7), false));
        same_list: GET 200 ["content-length": "5, 5"] => Some((Length(5), false));
        same_repeated: GET 200 ["content-length": "5", "content-length": "5"] => Some((Length(5), false));
        differing_list: GET 200 ["content-length": "5, 6"] => None;
        differing_repeated: GET 200 ["content-length": "5", "content-length": "6"] => None;
        plus_sign: GET 200 ["content-length": "+5"] => None;
        minus_sign: GET 200 ["content-length": "-5"] => None;
        hex: GET 200 ["content-length": "0x5"] => None;
        empty_cl: GET 200 ["content-length": ""] => None;
        overflow: GET 200 ["content-length": "18446744073709551616"] => None;
        max_u64: GET 200 ["content-length": "18446744073709551615"] => Some((Length(u64::MAX), false));
        chunked: GET 200 ["transfer-encoding": "chunked"] => Some((Chunked, false));
        chunked_case: GET 200 ["transfer-encoding": "Chunked"] => Some((Chunked, false));
        te_and_cl: GET 200 ["transfer-encoding": "chunked", "content-length": "5"] => Some((Chunked, true));
        // RFC 9112 §6.1, §7: nothing this client can remove may come before chunked.
        identity_then_chunked: GET 200 ["transfer-encoding": "identity, chunked"] => None;
        identity_then_chunked_headers: GET 200 ["transfer-encoding": "identity", "transfer-encoding": "chunked"] => None;
        empty_elements_then_chunked: GET 200 ["transfer-encoding": " , chunked,"] => Some((Chunked, false));
        chunked_twice: GET 200 ["transfer-encoding": "chunked, chunked"] => None;
        chunked_twice_headers: GET 200 ["transfer-encoding": "chunked", "transfer-encoding": "chunked"] => None;
        chunked_not_last: GET 200 ["transfer-encoding": "chunked, identity"] => None;
        gzip_te: GET 200 ["transfer-encoding": "gzip, chunked"] => None;
        identity_only: GET 200 ["transfer-encoding": "identity"] => Some((CloseDelimited, true));
        unknown_te: GET 200 ["transfer-encoding": "foo"] => None;
        none: GET 200 [] => Some((CloseDelimited, true));
        post_length: POST 201 ["content-length": "3"] => Some((Length(3), false));
    }

    #[test]
    fn http10_te_is_faulty_framing() {
        for te in ["chunked", "identity"] {
            let e = response_framing(
                &Method::GET,
                StatusCode::OK,
                Version::HTTP_10,
                &hdrs(&[("transfer-encoding", te), ("content-length", "3")]),
            )
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
            assert!(e.to_string().contains("HTTP/1.0"), "{e}");
        }
    }

    #[test]
    fn keep_alive_rules() {
        let none = HeaderMap::new();
        assert!(is_keep_alive(&none, Version::HTTP_11, &none));
        assert!(!is_keep_alive(&none, Version::HTTP_10, &none));
        assert!(is_keep_alive(
            &none,
            Version::HTTP_10,
            &hdrs(&[("connection", "Keep-Alive")])
        ));
        assert!(!is_keep_alive(
            &none,
            Version::HTTP_11,
            &hdrs(&[("connection", "close")])
        ));
        assert!(!is_keep_alive(
            &none,
            Version::HTTP_11,
            &hdrs(&[("connection", "upgrade, Close")])
        ));
        assert!(!is_keep_alive(
            &hdrs(&[("connection", "close")]),
            Version::HTTP_11,
            &none
        ));
    }

    #[test]
    fn digits() {
        assert_eq!(parse_digits(b"0"), Some(0));
        assert_eq!(parse_digits(b"12345"), Some(12345));
        assert_eq!(parse_digits(b""), None);
        assert_eq!(parse_digits(b"1 2"), None);
        assert_eq!(parse_digits(b"+1"), None);
    }
}
