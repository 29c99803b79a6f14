//! The bytes of a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1),
//! sans-IO: boundaries, part heads with the names escaped as the WHATWG
//! form-data encoding does, and the closing delimiter.

use http::header::{HeaderName, HeaderValue};

/// A fresh boundary: 32 hexadecimal digits.
pub(crate) fn random_boundary() -> String {
    crate::random::hex128()
}

/// RFC 2046 §5.1.1: 1 to 70 `bchars`, the last not a space.
pub(crate) fn boundary_ok(b: &str) -> bool {
    let bchar = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    (1..=70).contains(&b.len()) && b.bytes().all(bchar) && !b.ends_with(' ')
}

/// A field or file name as the WHATWG form-data encoding writes it inside
/// quotes: `"`, CR and LF percent-encoded, everything else (UTF-8
/// included) as it is.
fn push_escaped(out: &mut Vec<u8>, name: &str) {
    for &b in name.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(b),
        }
    }
}

/// One part's delimiter and head, up to and including the blank line:
/// `--boundary`, `Content-Disposition: form-data; name="..."` (with
/// `; filename="..."` when given), `Content-Type` when given, `headers`.
pub(crate) fn part_head(
    boundary: &str,
    name: &str,
    file_name: Option<&str>,
    content_type: Option<&str>,
    headers: &[(HeaderName, HeaderValue)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(boundary.len() + name.len() + 96);
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
    push_escaped(&mut out, name);
    out.push(b'"');
    if let Some(f) = file_name {
        out.extend_from_slice(b"; filename=\"");
        push_escaped(&mut out, f);
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
    if let Some(ct) = content_type {
        out.extend_from_slice(b"Content-Type: ");
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (n, v) in headers {
        out.extend_from_slice(n.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The closing delimiter: `--boundary--` and CRLF.
pub(crate) fn closing(boundary: &str) -> Vec<u8> {
    format!("--{boundary}--\r\n").into_bytes()
}

/// The `Content-Type` of the whole body; the boundary quoted when it has
/// characters a token cannot carry.
pub(crate) fn content_type(boundary: &str) -> String {
    if boundary.bytes().all(crate::proto::h1::head::is_tchar) {
        format!("multipart/form-data; boundary={boundary}")
    } else {
        format!("multipart/form-data; boundary=\"{boundary}\"")
    }
}
