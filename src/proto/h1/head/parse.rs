//! Response-head parsing (RFC 9112 §4, §5) with httparse, under limits.

use std::mem::MaybeUninit;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{StatusCode, Version};

use crate::error::{Error, ErrorKind, Result};

/// Header slots parsed on the stack; a larger `max_headers` uses the heap.
const STACK_HEADERS: usize = 128;

/// A parsed response head.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// The status code.
    pub status: StatusCode,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The reason phrase, if the server sent one.
    pub reason: Option<String>,
    /// The header fields, in the order received.
    pub headers: HeaderMap,
}

impl ResponseHead {
    /// A head with `status`, HTTP/1.1 and no headers.
    pub fn new(status: StatusCode) -> ResponseHead {
        ResponseHead {
            status,
            version: Version::HTTP_11,
            reason: None,
            headers: HeaderMap::new(),
        }
    }
}

/// The result of [`HeadParser::parse`]: a complete head, and how many bytes
/// of the input it took.
#[derive(Debug)]
pub struct ParsedHead {
    /// The head.
    pub head: ResponseHead,
    /// Bytes of input the head took, including the blank line.
    pub consumed: usize,
}

/// An incremental response-head parser with limits.
///
/// Feed it the whole buffer received so far; it remembers how far it has
/// scanned for the end of the head, so a head that arrives a byte at a time
/// costs linear, not quadratic, work: `httparse` runs once, on a complete head.
#[derive(Debug, Clone)]
pub struct HeadParser {
    max_head_size: usize,
    max_headers: usize,
    scanned: usize,
    /// How many bytes of empty lines (CRLF or LF) precede the status line,
    /// as far as seen: skipped, as httparse skips them.
    leading: usize,
}

impl HeadParser {
    /// A parser refusing heads over `max_head_size` bytes or `max_headers` headers.
    pub fn new(max_head_size: usize, max_headers: usize) -> HeadParser {
        HeadParser {
            max_head_size,
            max_headers,
            scanned: 0,
            leading: 0,
        }
    }

    /// The head size limit.
    pub fn max_head_size(&self) -> usize {
        self.max_head_size
    }

    /// Forgets the scan position, to parse a new head from a new buffer.
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.leading = 0;
    }

    /// Parses a head from the start of `buf`, which holds everything received
    /// since the head began. `Ok(None)`: need more bytes.
    ///
    /// # Errors
    /// `RemoteProtocol` for a malformed head, too many headers, a head larger than
    /// the limit, or a header value that is not a valid field value.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<ParsedHead>> {
        // Nothing yet (a connection's first look before it reads): not an
        // attempt, so the whole head that arrives next takes the fast path.
        if buf.is_empty() {
            return Ok(None);
        }
        // The usual limit fits on the stack, left uninitialised (httparse
        // writes a slot before it hands it out): no allocation and no 4 KiB
        // of zeroing per response. A larger limit allocates, and only when
        // a parse runs (not for each partial read of a trickled head).
        let mut on_stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
        let mut on_heap = Vec::new();
        let mut config = httparse::ParserConfig::default();
        // RFC 9112 §5.2: a user agent that receives obs-fold in a response
        // MUST replace each obs-fold with SP before interpreting the value.
        config.allow_obsolete_multiline_headers_in_responses(true);

        // Usually the whole head arrives in the first read: parse it where
        // it lies, without a separate scan for its end. Anything else (more
        // to come, an error, too large) takes the path below, which decides
        // every such case; this runs once per head, so trickled heads stay
        // linear.
        if self.scanned == 0 {
            let mut resp = httparse::Response::new(&mut []);
            if let Ok(httparse::Status::Complete(end)) = config.parse_response_with_uninit_headers(
                &mut resp,
                buf,
                slots(self.max_headers, &mut on_stack, &mut on_heap),
            ) {
                if end <= self.max_head_size {
                    let head = Self::head_from(&resp, &buf[..end])?;
                    return Ok(Some(ParsedHead {
                        head,
                        consumed: end,
                    }));
                }
            }
        }

        // Empty lines before the status line are skipped (httparse does the
        // same); they are not the end of the head. Counted as they arrive,
        // so a server trickling empty lines costs linear time.
        loop {
            match buf.get(self.leading..) {
                Some([b'\n', ..]) => self.leading += 1,
                Some([b'\r', b'\n', ..]) => self.leading += 2,
                _ => break,
            }
        }
        // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line
        // terminator; the head ends at an empty line. Look for "\n\n" or
        // "\n\r\n" after the status line began, resuming where the last
        // call stopped.
        let start = self.scanned.saturating_sub(2).max(self.leading);
        let end = find_head_end(buf, start);
        let Some(end) = end else {
            // Never 0 again for this head: the attempt above runs once.
            self.scanned = buf.len().max(1);
            if buf.len() > self.max_head_size {
                return Err(remote(format!(
                    "response head is larger than the limit of {} bytes",
                    self.max_head_size
                )));
            }
            return Ok(None);
        };
        if end > self.max_head_size {
            return Err(remote(format!(
                "response head is larger than the limit of {} bytes",
                self.max_head_size
            )));
        }
        let leading = self.leading;
        self.reset();
        let head_bytes = &buf[..end];
        let head = match higher_minor_version(head_bytes, leading) {
            None => self.parse_whole(config, head_bytes)?,
            Some(at) => self.parse_as_http11(config, head_bytes, at)?,
        };
        Ok(Some(ParsedHead {
            head,
            consumed: end,
        }))
    }

    /// Parses `head_bytes`, known to hold exactly one whole head. Not
    /// inlined: the usual head takes the fast path in `parse`.
    #[inline(never)]
    fn parse_whole(
        &self,
        config: httparse::ParserConfig,
        head_bytes: &[u8],
    ) -> Result<ResponseHead> {
        let mut on_stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
        let mut on_heap = Vec::new();
        let mut resp = httparse::Response::new(&mut []);
        let status = config
            .parse_response_with_uninit_headers(
                &mut resp,
                head_bytes,
                slots(self.max_headers, &mut on_stack, &mut on_heap),
            )
            .map_err(|e| match e {
                httparse::Error::TooManyHeaders => remote(format!(
                    "response head has more than the limit of {} headers",
                    self.max_headers
                )),
                other => remote(format!("malformed response head: {other}")).with_source(other),
            })?;
        if status.is_partial() {
            // The blank line was found, so a partial parse means the head is
            // malformed in a way httparse only reports as "incomplete".
            return Err(remote(
                "malformed response head: incomplete status line".to_string(),
            ));
        }
        Self::head_from(&resp, head_bytes)
    }

    /// RFC 9110 §2.5: a higher minor version of HTTP/1 (its digit at `at`)
    /// is processed as the highest this client implements, 1.1. httparse
    /// knows only 1.0 and 1.1, so it parses a copy saying 1.1.
    #[cold]
    fn parse_as_http11(
        &self,
        config: httparse::ParserConfig,
        head_bytes: &[u8],
        at: usize,
    ) -> Result<ResponseHead> {
        let mut copy = head_bytes.to_vec();
        copy[at] = b'1';
        self.parse_whole(config, &copy)
    }

    /// The head httparse parsed from `head_bytes` (exactly the head).
    fn head_from(resp: &httparse::Response<'_, '_>, head_bytes: &[u8]) -> Result<ResponseHead> {
        let version = match resp.version {
            Some(0) => Version::HTTP_10,
            Some(1) => Version::HTTP_11,
            _ => return Err(remote("unsupported HTTP version in response".to_string())),
        };
        let code = resp.code.expect("complete parse has a code");
        // RFC 9110 §15: status codes run from 100 to 599.
        let status = StatusCode::from_u16(code)
            .ok()
            .filter(|_| (100..=599).contains(&code))
            .ok_or_else(|| remote(format!("invalid status code {code} (valid: 100 to 599)")))?;
        let reason = resp.reason.filter(|r| !r.is_empty()).map(|r| r.to_string());
        let mut headers = HeaderMap::with_capacity(resp.headers.len());
        // One copy of the head that every header value shares, rather than
        // an allocation per value.
        let shared = Bytes::copy_from_slice(head_bytes);
        let base = head_bytes.as_ptr() as usize;
        for h in resp.headers.iter() {
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| remote(format!("invalid header name {:?}", h.name)))?;
            let value = if h.value.iter().any(|&b| b == b'\r' || b == b'\n') {
                // obs-fold: replace CR/LF with SP (RFC 9112 §5.2).
                let v: Vec<u8> = h
                    .value
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect();
                HeaderValue::from_bytes(&v)
            } else {
                // httparse hands out slices of `head_bytes`; anything else
                // (an empty value may point anywhere) is copied.
                let start = (h.value.as_ptr() as usize).wrapping_sub(base);
                match shared.get(start..).filter(|rest| rest.starts_with(h.value)) {
                    Some(_) if !h.value.is_empty() => {
                        HeaderValue::from_maybe_shared(shared.slice(start..start + h.value.len()))
                    }
                    _ => HeaderValue::from_bytes(h.value),
                }
            }
            .map_err(|_| remote(format!("invalid value for header {name}")))?;
            headers.append(name, value);
        }
        Ok(ResponseHead {
            status,
            version,
            reason,
            headers,
        })
    }
}

/// Header slots for a parse: `max` of them, from the stack when that many
/// fit there, else from `on_heap` (allocated at the first parse that needs
/// it).
fn slots<'a, 'h>(
    max: usize,
    on_stack: &'a mut [MaybeUninit<httparse::Header<'h>>; STACK_HEADERS],
    on_heap: &'a mut Vec<MaybeUninit<httparse::Header<'h>>>,
) -> &'a mut [MaybeUninit<httparse::Header<'h>>] {
    if max <= STACK_HEADERS {
        &mut on_stack[..max]
    } else {
        on_heap.resize_with(max, MaybeUninit::uninit);
        on_heap
    }
}

/// Where the minor version digit is in a status line (after `leading`
/// bytes of empty lines) saying `HTTP/1.2` to `HTTP/1.9`; `None` for any
/// other version.
fn higher_minor_version(head: &[u8], leading: usize) -> Option<usize> {
    let line = head.get(leading..)?;
    match line {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9', b' ', ..] => Some(leading + 7),
        _ => None,
    }
}

/// Finds the end of a head (index just past the blank line) at or after `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    for off in memchr::memchr_iter(b'\n', rest) {
        let nl = from + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') => match buf.get(nl + 2) {
                Some(b'\n') => return Some(nl + 3),
                Some(_) => {}
                None => return None,
            },
            Some(_) => {}
            None => return None,
        }
    }
    None
}

fn remote(msg: String) -> Error {
    Error::new(ErrorKind::RemoteProtocol, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Option<ParsedHead>> {
        HeadParser::new(DEFAULT, 100).parse(input)
    }
    const DEFAULT: usize = 64 * 1024;

    /// Parses `input` fed one prefix at a time (every split point), asserting
    /// the parser reports Partial until the whole head is there, and returns
    /// the final result.
    fn parse_split(input: &[u8]) -> Result<Option<ParsedHead>> {
        let mut p = HeadParser::new(DEFAULT, 100);
        for end in 0..input.len() {
            match p.parse(&input[..end]) {
                Ok(None) => {}
                other => return other,
            }
        }
        p.parse(input)
    }

    macro_rules! res {
        ($name:ident, $input:expr, |$h:ident| $body:expr) => {
            #[test]
            fn $name() {
                let input: &[u8] = $input;
                for parsed in [parse_all(input), parse_split(input)] {
                    let parsed = parsed.expect("parses").expect("complete");
                    let $h = parsed.head;
                    $body;
                }
            }
        };
        ($name:ident, $input:expr, err) => {
            #[test]
            fn $name() {
                let input: &[u8] = $input;
                assert_eq!(
                    parse_all(input).unwrap_err().kind(),
                    ErrorKind::RemoteProtocol
                );
                assert_eq!(
                    parse_split(input).unwrap_err().kind(),
                    ErrorKind::RemoteProtocol
                );
            }
        };
    }

    res!(
        simple_11,
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        |h| {
            assert_eq!(h.status, 200);
            assert_eq!(h.version, Version::HTTP_11);
            assert_eq!(h.reason.as_deref(), Some("OK"));
            assert_eq!(h.headers["content-length"], "3");
        }
    );
    res!(http_10, b"HTTP/1.0 404 Not Found\r\n\r\n", |h| {
        assert_eq!(h.status, 404);
        assert_eq!(h.version, Version::HTTP_10);
    });
    res!(no_reason, b"HTTP/1.1 204 \r\n\r\n", |h| {
        assert_eq!(h.status, 204);
        assert_eq!(h.reason, None);
    });
    res!(no_reason_no_space, b"HTTP/1.1 204\r\n\r\n", |h| {
        assert_eq!(h.status, 204);
    });
    res!(bare_lf, b"HTTP/1.1 200 OK\nA: 1\nB: 2\n\n", |h| {
        assert_eq!(h.headers["a"], "1");
        assert_eq!(h.headers["b"], "2");
    });
    res!(
        obs_fold_becomes_space,
        b"HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n",
        |h| {
            assert_eq!(
                h.headers["a"]
                    .as_bytes()
                    .iter()
                    .filter(|&&b| b == b'2')
                    .count(),
                1
            );
            assert!(!h.headers["a"].as_bytes().contains(&b'\n'));
        }
    );
    res!(
        repeated_headers,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n",
        |h| {
            assert_eq!(h.headers.get_all("set-cookie").iter().count(), 2);
        }
    );
    res!(informational, b"HTTP/1.1 100 Continue\r\n\r\n", |h| {
        assert_eq!(h.status, 100);
    });
    res!(garbage, b"HTTZ/1.1 200 OK\r\n\r\n", err);
    res!(bad_version, b"HTTP/2.0 200 OK\r\n\r\n", err);
    res!(http_09, b"HTTP/0.9 200 OK\r\n\r\n", err);
    res!(
        http_1x_reads_as_11,
        b"HTTP/1.2 200 OK\r\nA: 1\r\n\r\n",
        |h| {
            assert_eq!(h.version, Version::HTTP_11);
            assert_eq!(h.headers["a"], "1");
        }
    );
    res!(
        http_19_after_empty_lines,
        b"\r\nHTTP/1.9 204 No\r\n\r\n",
        |h| {
            assert_eq!(h.version, Version::HTTP_11);
            assert_eq!(h.status, 204);
        }
    );
    res!(http_1_two_digit_minor, b"HTTP/1.10 200 OK\r\n\r\n", err);
    res!(status_600, b"HTTP/1.1 600 Odd\r\n\r\n", err);
    res!(status_999, b"HTTP/1.1 999 Odd\r\n\r\n", err);
    res!(status_599, b"HTTP/1.1 599 Odd\r\n\r\n", |h| assert_eq!(
        h.status,
        599
    ));
    res!(bad_status, b"HTTP/1.1 2000 OK\r\n\r\n", err);
    res!(status_too_small, b"HTTP/1.1 099 OK\r\n\r\n", err);
    res!(nul_in_header, b"HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n", err);
    res!(
        space_before_colon,
        b"HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n",
        err
    );
    res!(no_status_line, b"\r\n\r\nX: 1\r\n\r\n", err);
    res!(
        status_line_after_empty_lines,
        b"\r\n\n\r\nHTTP/1.1 204 OK\r\n\r\n",
        |h| {
            assert_eq!(h.status, 204);
        }
    );

    #[test]
    fn empty_lines_before_the_status_line_are_skipped() {
        // Stray empty lines (e.g. after a previous response) are not a head;
        // the parser waits for the status line, and counts them consumed.
        let input = b"\r\n\n\r\nHTTP/1.1 200 OK\r\nA: 1\r\n\r\nBODY";
        assert!(parse_all(b"\r\n\r\n").unwrap().is_none());
        assert!(parse_all(b"\r\n\r").unwrap().is_none());
        let p = parse_all(input).unwrap().unwrap();
        assert_eq!(p.consumed, input.len() - 4);
        assert_eq!(
            parse_split(input).unwrap().unwrap().consumed,
            input.len() - 4
        );
        // Endless empty lines still meet the head size limit.
        let e = parse_all(&b"\r\n".repeat(DEFAULT)).unwrap_err();
        assert!(e.to_string().contains("larger than the limit"), "{e}");
    }

    #[test]
    fn an_empty_buffer_is_not_an_attempt() {
        // A connection looks at its (empty) buffer before its first read;
        // the whole head that arrives then must still take the fast path.
        let mut p = HeadParser::new(DEFAULT, 100);
        assert!(p.parse(b"").unwrap().is_none());
        assert_eq!(p.scanned, 0, "the fast path stays open");
        let parsed = p
            .parse(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(parsed.head.status, 200);
        assert!(p.parse(b"HTTP/1.1 2").unwrap().is_none());
        assert_ne!(p.scanned, 0, "a partial head was an attempt");
    }

    #[test]
    fn consumed_stops_at_blank_line() {
        let p = parse_all(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\nBODY")
            .unwrap()
            .unwrap();
        assert_eq!(p.consumed, "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n".len());
        let p = parse_all(b"HTTP/1.1 200 OK\nA: 1\n\nBODY")
            .unwrap()
            .unwrap();
        assert_eq!(p.consumed, "HTTP/1.1 200 OK\nA: 1\n\n".len());
    }

    #[test]
    fn head_size_limit() {
        let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
        while big.len() < 70 * 1024 {
            big.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        // Without the end of the head, the limit still stops the growth.
        let e = HeadParser::new(DEFAULT, 10_000).parse(&big).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
        big.extend_from_slice(b"\r\n");
        assert!(HeadParser::new(DEFAULT, 10_000).parse(&big).is_err());
        assert!(HeadParser::new(128 * 1024, 10_000)
            .parse(&big)
            .unwrap()
            .is_some());
    }

    #[test]
    fn header_count_limit() {
        let mut h = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..101 {
            h.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
        }
        h.extend_from_slice(b"\r\n");
        let e = parse_all(&h).unwrap_err();
        assert!(e.to_string().contains("100 headers"), "{e}");
        assert!(HeadParser::new(DEFAULT, 200).parse(&h).unwrap().is_some());
    }

    #[test]
    fn more_headers_than_the_stack_holds_whole_or_trickled() {
        // A limit above STACK_HEADERS takes its slots from the heap, on the
        // first attempt and on the one after the end of the head arrives.
        let mut h = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..STACK_HEADERS + 22 {
            h.extend_from_slice(format!("X-{i}: v{i}\r\n").as_bytes());
        }
        h.extend_from_slice(b"\r\nbody");
        let whole = HeadParser::new(DEFAULT, 300).parse(&h).unwrap().unwrap();
        assert_eq!(whole.head.headers.len(), STACK_HEADERS + 22);
        assert_eq!(whole.consumed, h.len() - 4);
        let mut p = HeadParser::new(DEFAULT, 300);
        let mut end = 0;
        let trickled = loop {
            end = (end + 7).min(h.len());
            if let Some(parsed) = p.parse(&h[..end]).unwrap() {
                break parsed;
            }
        };
        assert_eq!(trickled.consumed, whole.consumed);
        assert_eq!(trickled.head.headers, whole.head.headers);
        assert_eq!(trickled.head.headers["x-149"], "v149");
    }

    #[test]
    fn byte_at_a_time_is_linear_in_scans() {
        // Feeding a head one byte at a time must not rescan from the start:
        // `scanned` only grows until the head is complete.
        let input = b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n";
        let mut p = HeadParser::new(DEFAULT, 100);
        let mut last = 0;
        for end in 0..input.len() {
            assert!(p.parse(&input[..end]).unwrap().is_none());
            assert!(p.scanned >= last);
            last = p.scanned;
        }
        assert!(p.parse(input).unwrap().is_some());
    }
}
