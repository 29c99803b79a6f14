//! The decisions of one HTTP/1.1 exchange (one request, one response) on a
//! connection, sans-IO: which heads are interim and how many may come,
//! what a 101 means, the final response's framing, whether the connection
//! can carry another exchange, and whether a failure may be retried on a
//! new connection. The engine moves the bytes and asks.

use http::{HeaderMap, Method, StatusCode, Version};

use super::framing::{asks_to_close, response_framing, response_keeps_alive, Framing};
use super::head::ResponseHead;
use crate::error::{Error, ErrorKind, Result};

/// The most interim (1xx) responses one exchange may bring before its final
/// response; their total size is bounded by the head-size limit as well. A
/// server sending `100 Continue` without end never lets a read time out.
pub const MAX_INTERIM_RESPONSES: usize = 64;

/// What a response head means for the exchange.
#[derive(Debug)]
pub enum HeadEvent {
    /// An interim response (100 Continue, 103 Early Hints, ...): the final
    /// one follows; parse the next head.
    Interim,
    /// `100 Continue` answering a request sent with `Expect: 100-continue`
    /// (see [`Exchange::expect_continue`]): send the body now; the final
    /// response follows.
    Continue,
    /// The final response.
    Final(FinalHead),
}

/// The final response head and what it decides.
#[derive(Debug)]
pub struct FinalHead {
    /// The head.
    pub head: ResponseHead,
    /// How its body is delimited (RFC 9112 §6.3).
    pub framing: Framing,
    /// Whether the connection can carry another exchange once the body has
    /// been read to its end.
    pub keep_alive: bool,
}

/// One exchange's state: what the request was, and the interim responses
/// seen so far.
#[derive(Debug)]
pub struct Exchange {
    method: Method,
    request_version: Version,
    /// The request asked to close (`Connection: close`).
    request_close: bool,
    max_head_size: usize,
    interim: usize,
    interim_bytes: usize,
    /// The request was not sent whole (the server answered early).
    cut_short: bool,
    /// The head went with `Expect: 100-continue` and the body waits for
    /// the server's `100 Continue`.
    expecting: bool,
}

impl Exchange {
    /// An exchange for a request with `method`, `version` and `headers`;
    /// `max_head_size` also bounds the interim responses' total size.
    pub fn new(
        method: &Method,
        version: Version,
        headers: &HeaderMap,
        max_head_size: usize,
    ) -> Exchange {
        Exchange {
            method: method.clone(),
            request_version: version,
            request_close: asks_to_close(headers),
            max_head_size,
            interim: 0,
            interim_bytes: 0,
            cut_short: false,
            expecting: false,
        }
    }

    /// The head was sent with `Expect: 100-continue` and the body is held
    /// back: a `100 Continue` is then [`HeadEvent::Continue`], and a final
    /// response that comes first means the body is never sent (so the
    /// connection is not reused).
    pub fn expect_continue(&mut self) {
        self.expecting = true;
    }

    /// The body is sent without waiting longer for `100 Continue` (the
    /// wait timed out): a `100` that comes later is an ordinary interim
    /// response.
    pub fn stop_expecting(&mut self) {
        self.expecting = false;
    }

    /// The request could not be sent whole (the server answered before it
    /// read all of it): the connection is not reused after this exchange.
    pub fn request_cut_short(&mut self) {
        self.cut_short = true;
    }

    /// Takes a response head that took `consumed` bytes; `server` names the
    /// peer in errors.
    ///
    /// # Errors
    /// `RemoteProtocol` for a 101 (no upgrade was asked for), for interim
    /// responses past [`MAX_INTERIM_RESPONSES`] or past the head-size limit
    /// in total, and for a final head whose framing is invalid.
    pub fn on_head(
        &mut self,
        head: ResponseHead,
        consumed: usize,
        server: &str,
    ) -> Result<HeadEvent> {
        if head.status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::new(
                ErrorKind::RemoteProtocol,
                format!("{server} sent 101 Switching Protocols, but no upgrade was asked for"),
            ));
        }
        if head.status.is_informational() {
            self.interim += 1;
            self.interim_bytes = self.interim_bytes.saturating_add(consumed);
            if self.interim > MAX_INTERIM_RESPONSES || self.interim_bytes > self.max_head_size {
                return Err(Error::new(
                    ErrorKind::RemoteProtocol,
                    format!(
                        "server {server} sent more interim (1xx) responses than allowed \
                         ({} responses, {} bytes; the limits are {MAX_INTERIM_RESPONSES} and \
                         the head size limit of {} bytes)",
                        self.interim, self.interim_bytes, self.max_head_size
                    ),
                ));
            }
            if self.expecting && head.status == StatusCode::CONTINUE {
                self.expecting = false;
                return Ok(HeadEvent::Continue);
            }
            return Ok(HeadEvent::Interim);
        }
        let framing = response_framing(&self.method, head.status, head.version, &head.headers)?;
        // An HTTP/1.0 request did not offer keep-alive: the server closes. A
        // connection whose request was not sent whole is never reused.
        // A final response while the body waits for `100 Continue`: the
        // body is never sent, and the server may still be reading for it.
        let keep_alive = !framing.must_close
            && !self.cut_short
            && !self.expecting
            && !self.request_close
            && self.request_version == Version::HTTP_11
            && response_keeps_alive(head.version, &head.headers);
        Ok(HeadEvent::Final(FinalHead {
            head,
            framing,
            keep_alive,
        }))
    }
}

/// What is known of a failed exchange, for [`may_retry`].
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// The connection was reused from the pool (not opened for this request).
    pub reused: bool,
    /// This request was already retried once.
    pub retried: bool,
    /// Not one byte of the request reached the socket.
    pub nothing_written: bool,
    /// Not one byte of a response arrived.
    pub no_response: bool,
    /// The method is idempotent (RFC 9110 §9.2.2) and the body can be sent
    /// again (none, or in memory).
    pub replayable: bool,
    /// The failure is the whole-request deadline.
    pub total_timeout: bool,
}

/// Whether a failed exchange may be tried once more on a new connection: a
/// kept-alive connection the server had already closed, found out before
/// any response byte came back, when that cannot repeat a side effect
/// (nothing of the request was sent, or it is idempotent and replayable);
/// once, and never past the deadline.
pub fn may_retry(f: Failure) -> bool {
    f.reused
        && !f.retried
        && f.no_response
        && (f.nothing_written || f.replayable)
        && !f.total_timeout
}

/// Whether a request whose upload failed should still look for a response:
/// a server may answer before it has read the whole request (a 413 for an
/// upload too large) and close, so the write fails while its response
/// waits to be read, as httpcore handles it. Only for a write that failed
/// after some bytes went out, and when the failure is not retried anyway.
pub fn read_after_failed_write(write_failed: bool, f: Failure) -> bool {
    write_failed && !f.nothing_written && !may_retry(f)
}

/// Whether `method` is idempotent (RFC 9110 §9.2.2).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

#[cfg(test)]
mod tests {
    use super::super::framing::FramingKind;
    use super::super::head::HeadParser;
    use super::*;

    /// What a run gives: the final head's status, framing, keep-alive and
    /// the bytes left after it, or the error's kind.
    type Outcome = std::result::Result<(u16, FramingKind, bool, usize), ErrorKind>;

    /// Runs `raw` through a head parser and an exchange for `method`,
    /// fed whole and split at every byte (both must agree): the final head's
    /// status, framing and keep-alive, or the error's kind, and the bytes
    /// left for the body.
    fn run(
        method: &str,
        headers: &[(&str, &str)],
        raw: &[u8],
    ) -> std::result::Result<(u16, FramingKind, bool, usize), ErrorKind> {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = HeaderMap::new();
        for (k, v) in headers {
            req.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let one = |chunks: &mut dyn Iterator<Item = &[u8]>| {
            let mut ex = Exchange::new(&method, Version::HTTP_11, &req, 64 * 1024);
            let mut parser = HeadParser::new(64 * 1024, 100);
            let mut buf: Vec<u8> = Vec::new();
            let mut start = 0;
            for chunk in chunks {
                buf.extend_from_slice(chunk);
                loop {
                    match parser.parse(&buf[start..]).map_err(|e| e.kind())? {
                        None => break,
                        Some(p) => {
                            start += p.consumed;
                            match ex.on_head(p.head, p.consumed, "s").map_err(|e| e.kind())? {
                                HeadEvent::Interim | HeadEvent::Continue => parser.reset(),
                                HeadEvent::Final(f) => {
                                    return Ok((
                                        f.head.status.as_u16(),
                                        f.framing.kind,
                                        f.keep_alive,
                                        buf.len() - start,
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            Err(ErrorKind::Read) // ran out of input: "need more"
        };
        let whole = one(&mut std::iter::once(raw));
        for split in 1..raw.len() {
            let (a, b) = raw.split_at(split);
            let got = one(&mut [a, b].into_iter());
            // A split response must not end earlier or later than the whole.
            assert_eq!(
                got.as_ref().map(|r| (r.0, r.1, r.2)),
                whole.as_ref().map(|r| (r.0, r.1, r.2)),
                "split at {split}"
            );
        }
        let bytewise = one(&mut raw.chunks(1));
        assert_eq!(
            bytewise.as_ref().map(|r| (r.0, r.1, r.2)),
            whole.as_ref().map(|r| (r.0, r.1, r.2)),
            "byte at a time"
        );
        whole
    }

    use FramingKind::*;

    #[rustfmt::skip]
    #[test]
    fn heads_and_what_they_decide() {
        type Case = (&'static str, &'static [(&'static str, &'static str)], &'static [u8], Outcome);
        let cases: &[Case] = &[
            ("GET", &[], b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Ok((200, Length(2), true, 2))),
            ("GET", &[], b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", Ok((204, Empty, true, 0))),
            ("GET", &[], b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", Err(ErrorKind::RemoteProtocol)),
            ("GET", &[], b"HTTP/1.1 200 OK\r\n\r\nto the close", Ok((200, CloseDelimited, false, 12))),
            ("GET", &[], b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", Ok((200, Length(0), false, 0))),
            ("GET", &[("connection", "close")], b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Ok((200, Length(0), false, 0))),
            ("GET", &[], b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", Ok((200, Length(0), false, 0))),
            ("GET", &[], b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", Ok((200, Length(0), true, 0))),
            ("GET", &[], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", Ok((200, Chunked, false, 0))),
            ("HEAD", &[], b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", Ok((200, Empty, true, 0))),
            ("GET", &[], b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", Ok((304, Empty, true, 0))),
            ("CONNECT", &[], b"HTTP/1.1 200 Connection established\r\n\r\n", Ok((200, Empty, true, 0))),
            ("GET", &[], b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", Err(ErrorKind::RemoteProtocol)),
            ("GET", &[], b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", Ok((200, Length(0), true, 0))),
        ];
        for (method, headers, raw, want) in cases {
            assert_eq!(&run(method, headers, raw), want, "{method} {:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn interim_responses_are_bounded() {
        let mut raw = b"HTTP/1.1 102 Processing\r\n\r\n".repeat(MAX_INTERIM_RESPONSES);
        raw.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(run("GET", &[], &raw), Ok((200, Length(0), true, 0)));
        let mut raw = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INTERIM_RESPONSES + 1);
        raw.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(run("GET", &[], &raw[..]), Err(ErrorKind::RemoteProtocol));
        // By size: ten 8 KiB 103s pass the 64 KiB head limit together.
        let big = format!(
            "HTTP/1.1 103 Early Hints\r\nLink: <{}>\r\n\r\n",
            "x".repeat(8 * 1024)
        );
        let mut ex = Exchange::new(&Method::GET, Version::HTTP_11, &HeaderMap::new(), 64 * 1024);
        let mut parser = HeadParser::new(64 * 1024, 100);
        let mut outcome = Ok(HeadEvent::Interim);
        for _ in 0..10 {
            let p = parser.parse(big.as_bytes()).unwrap().unwrap();
            parser.reset();
            outcome = ex.on_head(p.head, p.consumed, "s");
            if outcome.is_err() {
                break;
            }
        }
        let e = outcome.unwrap_err();
        assert!(e.to_string().contains("head size limit"), "{e}");
    }

    #[test]
    fn a_request_cut_short_never_keeps_its_connection() {
        let mut ex = Exchange::new(&Method::POST, Version::HTTP_11, &HeaderMap::new(), 1024);
        ex.request_cut_short();
        let p = HeadParser::new(1024, 10)
            .parse(b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        let HeadEvent::Final(f) = ex.on_head(p.head, p.consumed, "s").unwrap() else {
            panic!("final")
        };
        assert!(!f.keep_alive);
        // An HTTP/1.0 request: no keep-alive either.
        let mut ex = Exchange::new(&Method::GET, Version::HTTP_10, &HeaderMap::new(), 1024);
        let p = HeadParser::new(1024, 10)
            .parse(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        let HeadEvent::Final(f) = ex.on_head(p.head, p.consumed, "s").unwrap() else {
            panic!("final")
        };
        assert!(!f.keep_alive);
    }

    /// Feeds `raw` to an exchange expecting `100 Continue`; the events.
    fn expecting(raw: &[u8]) -> Vec<String> {
        let mut ex = Exchange::new(&Method::PUT, Version::HTTP_11, &HeaderMap::new(), 64 * 1024);
        ex.expect_continue();
        let mut parser = HeadParser::new(64 * 1024, 100);
        let mut start = 0;
        let mut events = Vec::new();
        while let Some(p) = parser.parse(&raw[start..]).unwrap() {
            start += p.consumed;
            parser.reset();
            match ex.on_head(p.head, p.consumed, "s").unwrap() {
                HeadEvent::Interim => events.push("interim".to_string()),
                HeadEvent::Continue => events.push("continue".to_string()),
                HeadEvent::Final(f) => {
                    events.push(format!(
                        "final {} keep-alive {}",
                        f.head.status.as_u16(),
                        f.keep_alive
                    ));
                    break;
                }
            }
        }
        events
    }

    #[test]
    fn expect_continue() {
        // 100 releases the body; a final response after it keeps the
        // connection as usual.
        assert_eq!(
            expecting(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"
            ),
            ["continue", "final 201 keep-alive true"]
        );
        // Other interim responses first (103), then 100.
        assert_eq!(
            expecting(b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            ["interim", "continue", "final 200 keep-alive true"]
        );
        // A final answer before the body (417, 401, 413): the body is never
        // sent, so the connection is not reused.
        for status in [417, 401, 413] {
            let raw = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
            assert_eq!(
                expecting(raw.as_bytes()),
                [format!("final {status} keep-alive false")]
            );
        }
        // A second 100 after the first is an ordinary interim response.
        assert_eq!(
            expecting(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            ["continue", "interim", "final 200 keep-alive true"]
        );
        // After the wait timed out and the body went anyway, a late 100 is
        // interim and the final response keeps the connection.
        let mut ex = Exchange::new(&Method::PUT, Version::HTTP_11, &HeaderMap::new(), 64 * 1024);
        ex.expect_continue();
        ex.stop_expecting();
        let mut parser = HeadParser::new(64 * 1024, 100);
        let p = parser
            .parse(b"HTTP/1.1 100 Continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(matches!(
            ex.on_head(p.head, p.consumed, "s").unwrap(),
            HeadEvent::Interim
        ));
        // Without expect_continue, 100 is interim.
        let mut ex = Exchange::new(&Method::PUT, Version::HTTP_11, &HeaderMap::new(), 64 * 1024);
        let p = HeadParser::new(1024, 10)
            .parse(b"HTTP/1.1 100 Continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(matches!(
            ex.on_head(p.head, p.consumed, "s").unwrap(),
            HeadEvent::Interim
        ));
    }

    #[test]
    fn retry_rules() {
        let base = Failure {
            reused: true,
            retried: false,
            nothing_written: false,
            no_response: true,
            replayable: true,
            total_timeout: false,
        };
        assert!(may_retry(base));
        assert!(
            !may_retry(Failure {
                reused: false,
                ..base
            }),
            "a new connection's failure is real"
        );
        assert!(
            !may_retry(Failure {
                retried: true,
                ..base
            }),
            "once"
        );
        assert!(
            !may_retry(Failure {
                no_response: false,
                ..base
            }),
            "a response began"
        );
        assert!(
            !may_retry(Failure {
                replayable: false,
                ..base
            }),
            "a POST or a stream, partly sent"
        );
        assert!(
            may_retry(Failure {
                replayable: false,
                nothing_written: true,
                ..base
            }),
            "nothing sent: safe"
        );
        assert!(
            !may_retry(Failure {
                total_timeout: true,
                ..base
            }),
            "never past the deadline"
        );
        // Reading after a failed upload: only if something went out and no retry.
        let upload = Failure {
            replayable: false,
            ..base
        };
        assert!(read_after_failed_write(true, upload));
        assert!(!read_after_failed_write(false, upload));
        assert!(!read_after_failed_write(
            true,
            Failure {
                nothing_written: true,
                ..upload
            }
        ));
        assert!(!read_after_failed_write(true, base), "retried instead");
        assert!(
            is_idempotent(&Method::PUT)
                && !is_idempotent(&Method::POST)
                && !is_idempotent(&Method::PATCH)
        );
    }
}
