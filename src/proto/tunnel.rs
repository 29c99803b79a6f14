//! The HTTP CONNECT handshake (RFC 9110 §9.3.6), sans-IO: the request to
//! open a tunnel through a proxy, and its reply read from bytes as they
//! arrive. A 2xx reply opens the tunnel (its framing headers mean nothing:
//! the bytes after the head belong to the tunnel); anything else is the
//! proxy's refusal, a 407 asking for credentials among them.

use http::header::{HeaderMap, HOST};
use http::StatusCode;

use super::h1::{HeadParser, ResponseHead};
use crate::error::{Error, ErrorKind, Result};

/// At most this many interim (1xx) replies before the final one.
const MAX_INTERIM: usize = 8;

/// Writes `CONNECT host:port HTTP/1.1` with `Host` and `headers` (a
/// `Proxy-Authorization`, the proxy's own headers). `host` is bare: an IPv6
/// address gets its brackets here.
pub(crate) fn connect_request(host: &str, port: u16, headers: &HeaderMap, out: &mut Vec<u8>) {
    let authority = format!("{}:{port}", crate::urls::bracketed(host));
    out.extend_from_slice(b"CONNECT ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name == HOST {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The proxy's final reply to a CONNECT.
#[derive(Debug)]
pub(crate) struct ConnectReply {
    /// Its head; a 2xx status opened the tunnel.
    pub(crate) head: ResponseHead,
    /// Bytes received after the head: the tunnel's first bytes for a 2xx,
    /// the start of an error body otherwise.
    pub(crate) rest: Vec<u8>,
}

/// Reads the reply to a CONNECT from bytes as they arrive.
#[derive(Debug)]
pub(crate) struct ConnectReader {
    buf: Vec<u8>,
    parser: HeadParser,
    interim: usize,
}

impl ConnectReader {
    /// A reader refusing heads over `max_head_size` bytes or `max_headers`
    /// fields.
    pub(crate) fn new(max_head_size: usize, max_headers: usize) -> ConnectReader {
        ConnectReader {
            buf: Vec::new(),
            parser: HeadParser::new(max_head_size, max_headers),
            interim: 0,
        }
    }

    /// Takes `bytes` received from the proxy; `Some` once the final reply's
    /// head is complete.
    ///
    /// # Errors
    /// `RemoteProtocol` for a malformed or oversized head, or too many
    /// interim replies.
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Result<Option<ConnectReply>> {
        self.buf.extend_from_slice(bytes);
        loop {
            let Some(parsed) = self.parser.parse(&self.buf)? else {
                return Ok(None);
            };
            self.buf.drain(..parsed.consumed);
            if parsed.head.status.is_informational() {
                self.interim += 1;
                if self.interim > MAX_INTERIM {
                    return Err(Error::new(
                        ErrorKind::RemoteProtocol,
                        format!(
                            "the proxy sent more than {MAX_INTERIM} interim replies to CONNECT"
                        ),
                    ));
                }
                self.parser.reset();
                continue;
            }
            return Ok(Some(ConnectReply {
                head: parsed.head,
                rest: std::mem::take(&mut self.buf),
            }));
        }
    }

    /// What the proxy's close before a complete reply means.
    pub(crate) fn closed_early(&self) -> Error {
        Error::new(
            ErrorKind::Proxy,
            if self.buf.is_empty() && self.interim == 0 {
                "the proxy closed the connection without replying to CONNECT"
            } else {
                "the proxy closed the connection in the middle of its reply to CONNECT"
            },
        )
    }
}

/// Whether a reply opened the tunnel.
pub(crate) fn is_open(status: StatusCode) -> bool {
    status.is_success()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn request_bytes() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "proxy-authorization",
            HeaderValue::from_static("Basic dTpw"),
        );
        headers.insert("x-tag", HeaderValue::from_static("a"));
        headers.insert(HOST, HeaderValue::from_static("ignored"));
        let mut out = Vec::new();
        connect_request("example.com", 443, &headers, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\
             proxy-authorization: Basic dTpw\r\nx-tag: a\r\n\r\n"
        );
        let mut out = Vec::new();
        connect_request("::1", 8443, &HeaderMap::new(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "CONNECT [::1]:8443 HTTP/1.1\r\nhost: [::1]:8443\r\n\r\n"
        );
    }

    /// Feeds `reply` in two parts, split at every byte: the status, and
    /// the bytes that follow the head (the tunnel's).
    fn read_split(reply: &[u8]) -> Vec<Result<(u16, Vec<u8>)>> {
        (0..=reply.len())
            .map(|at| {
                let mut reader = ConnectReader::new(1024, 16);
                if let Some(r) = reader.receive(&reply[..at])? {
                    // The caller stops feeding: the rest is the tunnel's.
                    let mut rest = r.rest;
                    rest.extend_from_slice(&reply[at..]);
                    return Ok((r.head.status.as_u16(), rest));
                }
                match reader.receive(&reply[at..])? {
                    Some(r) => Ok((r.head.status.as_u16(), r.rest)),
                    None => Err(reader.closed_early()),
                }
            })
            .collect()
    }

    #[test]
    fn reply_split_at_every_byte() {
        let reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\ncontent-length: 5\r\n\r\n\x16\x03\x01tls";
        for outcome in read_split(reply) {
            let (status, rest) = outcome.unwrap();
            assert_eq!(status, 200);
            // The framing header of a 2xx means nothing: the bytes after the
            // head are the tunnel's, all of them.
            assert_eq!(rest, b"\x16\x03\x01tls");
        }
        let refused = b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"p\"\r\n\r\n";
        for outcome in read_split(refused) {
            let (status, rest) = outcome.unwrap();
            assert_eq!(status, 407);
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn bad_replies() {
        let mut reader = ConnectReader::new(1024, 16);
        assert_eq!(
            reader
                .receive(b"SSH-2.0-OpenSSH\r\n\r\n")
                .unwrap_err()
                .kind(),
            ErrorKind::RemoteProtocol
        );
        let mut reader = ConnectReader::new(64, 16);
        let long = format!("HTTP/1.1 200 OK\r\nx: {}\r\n\r\n", "a".repeat(100));
        assert_eq!(
            reader.receive(long.as_bytes()).unwrap_err().kind(),
            ErrorKind::RemoteProtocol
        );
        let mut reader = ConnectReader::new(1024, 16);
        let many = "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(MAX_INTERIM + 1);
        let e = reader.receive(many.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("interim"), "{e}");
        let mut reader = ConnectReader::new(1024, 16);
        assert!(reader.receive(b"HTTP/1.1 200").unwrap().is_none());
        let e = reader.closed_early();
        assert_eq!(e.kind(), ErrorKind::Proxy);
        assert!(e.to_string().contains("middle"), "{e}");
        let reader = ConnectReader::new(1024, 16);
        assert!(reader
            .closed_early()
            .to_string()
            .contains("without replying"));
    }
}
