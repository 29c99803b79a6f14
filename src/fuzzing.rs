//! Fuzz entry points, shared by the cargo-fuzz targets in `fuzz/` and the
//! stable test that replays their corpus (`tests/fuzz_corpus.rs`). Each takes
//! arbitrary bytes and must not panic, hang, or allocate without bound;
//! where a parser can be fed in pieces, the split result must equal the
//! whole one. Not part of the API.

use http::{HeaderMap, Method, StatusCode};

use crate::error::{ErrorKind, Result};
use crate::proto::decode::ContentDecoder;
use crate::proto::h1::{response_framing, ChunkedDecoder, FramingKind, HeadParser, ResponseHead};

const HEAD_LIMIT: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;
/// The most decoded bytes a decoder target produces before it stops.
const MAX_DECODED: usize = 8 << 20;

/// Splits `data` at the fuzzer-chosen points given by its first byte.
fn split_points(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    if rest.is_empty() {
        return (Vec::new(), rest);
    }
    let step = usize::from(seed).max(1);
    let points = (step..rest.len()).step_by(step).collect();
    (points, rest)
}

fn pieces<'a>(data: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &p in points {
        out.push(&data[start..p]);
        start = p;
    }
    out.push(&data[start..]);
    out
}

/// Parses a head from a buffer that grows by `pieces`.
fn parse_head_in(pieces: &[&[u8]]) -> Result<Option<(ResponseHead, usize)>> {
    parse_head_limited(pieces, MAX_HEADERS)
}

fn parse_head_limited(
    pieces: &[&[u8]],
    max_headers: usize,
) -> Result<Option<(ResponseHead, usize)>> {
    let mut parser = HeadParser::new(HEAD_LIMIT, max_headers);
    let mut buf = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        if let Some(p) = parser.parse(&buf)? {
            return Ok(Some((p.head, p.consumed)));
        }
    }
    Ok(None)
}

fn same<T: PartialEq + std::fmt::Debug>(a: &Result<T>, b: &Result<T>) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "split parse differs from whole"),
        (Err(x), Err(y)) => assert_eq!(x.kind(), y.kind(), "split error differs from whole"),
        _ => panic!("split and whole disagree: {a:?} vs {b:?}"),
    }
}

fn head_summary(h: &Option<(ResponseHead, usize)>) -> Option<(u16, String, usize, usize)> {
    h.as_ref().map(|(head, n)| {
        (
            head.status.as_u16(),
            format!("{:?}", head.version),
            head.headers.len(),
            *n,
        )
    })
}

/// The response-head parser, whole and split at fuzzer-chosen points; and
/// with a header limit above what fits on the stack (slots from the heap),
/// which must agree with itself split and with the usual limit on any head
/// the usual limit accepts.
pub fn response_head(data: &[u8]) {
    const HEAP_HEADERS: usize = 300;
    let (points, rest) = split_points(data);
    let whole = parse_head_in(&[rest]).map(|h| head_summary(&h));
    let split = parse_head_in(&pieces(rest, &points)).map(|h| head_summary(&h));
    same(&whole, &split);
    let heap_whole = parse_head_limited(&[rest], HEAP_HEADERS).map(|h| head_summary(&h));
    let heap_split =
        parse_head_limited(&pieces(rest, &points), HEAP_HEADERS).map(|h| head_summary(&h));
    same(&heap_whole, &heap_split);
    if whole.is_ok() {
        same(&whole, &heap_whole);
    }
}

/// Body framing of whatever head `data` holds, for GET and HEAD.
pub fn framing(data: &[u8]) {
    if let Ok(Some((head, _))) = parse_head_in(&[data]) {
        for method in [Method::GET, Method::HEAD] {
            let _ = response_framing(&method, head.status, head.version, &head.headers);
        }
        let _ = crate::proto::h1::is_keep_alive(&HeaderMap::new(), head.version, &head.headers);
    }
}

/// Decodes a chunked body fed in pieces, at most `max` bytes a call.
fn decode_chunked(pieces: &[&[u8]], max: usize) -> Result<(Vec<u8>, bool, usize)> {
    let mut dec = ChunkedDecoder::new(HEAD_LIMIT, MAX_HEADERS);
    let out = dec.decode_pieces(pieces.iter().copied(), max)?;
    let trailers = dec.trailers().map_or(0, HeaderMap::len);
    Ok((out, dec.is_done(), trailers))
}

/// The chunked decoder: whole, split, and with a tiny output limit.
pub fn chunked(data: &[u8]) {
    let (points, rest) = split_points(data);
    let whole = decode_chunked(&[rest], usize::MAX);
    same(&whole, &decode_chunked(&pieces(rest, &points), usize::MAX));
    same(&whole, &decode_chunked(&pieces(rest, &points), 3));
}

/// What [`read_response`] read: status, body, trailer count, and whether
/// the body was complete.
type Exchange = (u16, Vec<u8>, usize, bool);

/// Reads a whole response (head, framing, body) from a byte stream that
/// arrives in `pieces`, then ends (the server closed).
pub fn read_response(method: &Method, pieces: &[&[u8]]) -> Result<Option<Exchange>> {
    let mut parser = HeadParser::new(HEAD_LIMIT, MAX_HEADERS);
    let mut buf: Vec<u8> = Vec::new();
    let mut rest = pieces.iter();
    let (head, consumed) = loop {
        if let Some(p) = parser.parse(&buf)? {
            if p.head.status.is_informational() && p.head.status != StatusCode::SWITCHING_PROTOCOLS
            {
                buf.drain(..p.consumed);
                parser.reset();
                continue;
            }
            break (p.head, p.consumed);
        }
        match rest.next() {
            Some(piece) => buf.extend_from_slice(piece),
            None => return Ok(None),
        }
    };
    buf.drain(..consumed);
    let framing = response_framing(method, head.status, head.version, &head.headers)?;
    let status = head.status.as_u16();
    match framing.kind {
        FramingKind::Empty => Ok(Some((status, Vec::new(), 0, true))),
        FramingKind::Length(n) => {
            for piece in rest {
                buf.extend_from_slice(piece);
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let complete = buf.len() >= n;
            buf.truncate(n);
            Ok(Some((status, buf, 0, complete)))
        }
        FramingKind::CloseDelimited => {
            for piece in rest {
                buf.extend_from_slice(piece);
            }
            Ok(Some((status, buf, 0, true)))
        }
        FramingKind::Chunked => {
            let mut all: Vec<&[u8]> = vec![&buf];
            all.extend(rest.copied());
            let (body, done, trailers) = decode_chunked(&all, usize::MAX)?;
            Ok(Some((status, body, trailers, done)))
        }
    }
}

/// The whole response read path over a stream split at fuzzer-chosen
/// points: the result must equal the unsplit read.
pub fn exchange(data: &[u8]) {
    let (points, rest) = split_points(data);
    for method in [Method::GET, Method::HEAD] {
        let whole = read_response(&method, &[rest]);
        let split = read_response(&method, &pieces(rest, &points));
        same(&whole, &split);
    }
}

/// Runs `headers`' content decoder over `input` in `pieces`, bounded.
fn run_decoder(headers: &HeaderMap, pieces: &[&[u8]], out_size: usize) -> Result<Vec<u8>> {
    let Some(mut dec) = ContentDecoder::from_headers(headers) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; out_size];
    for piece in pieces {
        let mut piece: &[u8] = piece;
        loop {
            let (c, p) = dec.decode(piece, &mut buf)?;
            out.extend_from_slice(&buf[..p]);
            piece = &piece[c..];
            if out.len() > MAX_DECODED {
                return Ok(out);
            }
            if c == 0 && p == 0 {
                break;
            }
        }
    }
    loop {
        let (_, p) = dec.decode(&[], &mut buf)?;
        if p == 0 {
            break;
        }
        out.extend_from_slice(&buf[..p]);
        if out.len() > MAX_DECODED {
            return Ok(out);
        }
    }
    dec.finish()?;
    Ok(out)
}

/// The content decoders: the first byte picks the coding, the rest is the
/// stream, decoded whole and split; when both finish, they agree.
pub fn decode(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let coding = match which % 6 {
        0 => "gzip",
        1 => "deflate",
        2 => "br",
        3 => "zstd",
        4 => "deflate, gzip",
        _ => "identity",
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_ENCODING,
        http::HeaderValue::from_static(coding),
    );
    let (points, stream) = split_points(rest);
    let whole = run_decoder(&headers, &[stream], 4096);
    let split = run_decoder(&headers, &pieces(stream, &points), 7);
    if let (Ok(a), Ok(b)) = (&whole, &split) {
        if a.len() <= MAX_DECODED && b.len() <= MAX_DECODED {
            assert_eq!(a, b, "split decode differs from whole");
        }
    }
    if let (Err(e), _) | (_, Err(e)) = (&whole, &split) {
        assert_eq!(e.kind(), ErrorKind::Decoding);
    }
}

/// URL and base-URL joining, and query merging.
pub fn url_join(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (base, rel) = text.split_once('\n').unwrap_or((&text, ""));
    // Absolute URLs are remembered per thread: the second parse of a text
    // (from memory) must give what the first gave, which is `url`'s parse.
    let trimmed = base.trim_matches(|c: char| c.is_ascii_whitespace());
    let first = crate::urls::merge_url(None, base).ok();
    let again = crate::urls::merge_url(None, base).ok();
    assert_eq!(first, again, "a remembered parse of {trimmed:?} differs");
    if let Some(u) = &first {
        assert_eq!(Some(u), url::Url::parse(trimmed).ok().as_ref());
    }
    let base = first;
    if let Ok(mut url) = crate::urls::merge_url(base.as_ref(), rel) {
        crate::urls::merge_query(&mut url, &[("k", rel)]);
        assert!(url::Url::parse(url.as_str()).is_ok());
    }
}

/// `WWW-Authenticate` challenge parsing (one field a line).
pub fn digest_challenge(data: &[u8]) {
    let challenges = crate::auth::parse_challenges(data.split(|&b| b == b'\n'));
    for c in &challenges {
        let _ = crate::auth::digest_algorithm(c.param("algorithm"));
    }
}

/// `.netrc` parsing.
pub fn netrc(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = crate::netrc::Netrc::parse(&text, std::path::Path::new("fuzz.netrc")) {
        let _ = n.find("example.com");
    }
}

/// `Set-Cookie` fields (one a line) stored for a URL, then selected.
pub fn cookie(data: &[u8]) {
    #[cfg(feature = "cookies")]
    {
        let mut headers = HeaderMap::new();
        for line in data.split(|&b| b == b'\n').take(64) {
            if let Ok(v) = http::HeaderValue::from_bytes(line) {
                headers.append(http::header::SET_COOKIE, v);
            }
        }
        let jar = crate::cookies::CookieJar::new();
        let url = url::Url::parse("https://www.example.co.uk/a/b").expect("valid URL");
        jar.store_response(&headers, &url);
        let _ = jar.header_for(&url, &[]);
        let _ = jar.to_netscape();
    }
    #[cfg(not(feature = "cookies"))]
    let _ = data;
}

/// The proxy parsers, chosen by the first byte: a CONNECT reply read whole
/// and split (same outcome), a SOCKS4/5 handshake fed the rest in pieces,
/// a `NO_PROXY` list, and a routing pattern, each matched against a URL.
pub fn proxy(data: &[u8]) {
    use crate::proto::socks::{Destination, Handshake, Step, Version};
    use crate::proto::tunnel::ConnectReader;
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let url = url::Url::parse("http://a.example.com:8080/p").expect("valid URL");
    match which % 4 {
        0 => {
            // The seed byte after `which` picks the split points.
            let (points, bytes) = split_points(rest);
            let read = |parts: &[&[u8]]| -> Result<Option<(u16, Vec<u8>)>> {
                let mut reader = ConnectReader::new(HEAD_LIMIT, MAX_HEADERS);
                for (i, piece) in parts.iter().enumerate() {
                    if let Some(r) = reader.receive(piece)? {
                        let mut tail = r.rest;
                        for later in &parts[i + 1..] {
                            tail.extend_from_slice(later);
                        }
                        return Ok(Some((r.head.status.as_u16(), tail)));
                    }
                }
                Ok(None)
            };
            same(&read(&[bytes]), &read(&pieces(bytes, &points)));
        }
        1 => {
            let version = match rest.first().copied().unwrap_or(0) % 3 {
                0 => Version::V4,
                1 => Version::V4a,
                _ => Version::V5,
            };
            let dest = if version == Version::V4 {
                Destination::Addr(([127, 0, 0, 1], 80).into())
            } else {
                Destination::Name("a.example".into(), 443)
            };
            let creds = Some(("user".to_string(), "pass".to_string()));
            let Ok(mut hs) = Handshake::new(version, dest, creds) else {
                return;
            };
            let _ = hs.start();
            for piece in rest.get(1..).unwrap_or_default().chunks(3) {
                match hs.receive(piece) {
                    Ok(Step::Done(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        2 => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(np) = crate::proxy::env::NoProxy::parse(&text) {
                let _ = np.matches(&url);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(p) = crate::pattern::Pattern::parse(&text) {
                let _ = p.matches(&url);
            }
        }
    }
}

/// HPACK: the first byte picks the dynamic table's size (in 32-byte
/// steps), the rest is two header blocks decoded in turn by one decoder
/// under a list cap; what decodes is encoded again and must decode to the
/// same fields; and the bytes, Huffman-coded, must decode to themselves.
pub fn hpack(data: &[u8]) {
    use crate::proto::h2::hpack::{huffman_decode, huffman_encode, Decoder, Encoder};
    let Some((&size, blocks)) = data.split_first() else {
        return;
    };
    let table = usize::from(size) * 32;
    let mut coded = Vec::new();
    huffman_encode(blocks, &mut coded);
    let mut back = Vec::new();
    huffman_decode(&coded, &mut back, usize::MAX).expect("our own Huffman code decodes");
    assert_eq!(back, blocks, "Huffman round trip");
    let mut decoder = Decoder::new(table, 16 * 1024);
    let mut encoder = Encoder::new(table);
    let mut mirror = Decoder::new(table, usize::MAX);
    let (first, second) = blocks.split_at(blocks.len() / 2);
    for block in [first, second] {
        let mut fields = Vec::new();
        if decoder.decode(block, &mut fields).is_err() {
            return;
        }
        let mut ours = Vec::new();
        encoder.encode(
            fields
                .iter()
                .map(|f| (&f.name[..], &f.value[..], f.never_indexed)),
            &mut ours,
        );
        let mut again = Vec::new();
        mirror
            .decode(&ours, &mut again)
            .expect("our own block decodes");
        let pairs = |v: &[crate::proto::h2::hpack::Field]| -> Vec<(Vec<u8>, Vec<u8>)> {
            v.iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect()
        };
        assert_eq!(pairs(&again), pairs(&fields), "HPACK round trip");
    }
}

/// The HTTP/2 frame reader: the frames of a buffer read whole, and read
/// again as the bytes arrive in pieces (the seed byte picks the split
/// points), give the same frames and the same first error; then the
/// client connection state machine reads the same bytes.
pub fn h2_frame(data: &[u8]) {
    use crate::proto::h2::frame::{parse, DEFAULT_MAX_FRAME_SIZE};
    let read_all = |chunks: &[&[u8]]| -> (Vec<String>, Option<String>) {
        let mut buf: Vec<u8> = Vec::new();
        let mut frames = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            loop {
                match parse(&buf, DEFAULT_MAX_FRAME_SIZE) {
                    Ok(Some((frame, used))) => {
                        frames.push(format!("{frame:?}"));
                        buf.drain(..used);
                    }
                    Ok(None) => break,
                    Err(e) => return (frames, Some(e.to_string())),
                }
            }
        }
        (frames, None)
    };
    let (points, bytes) = split_points(data);
    let whole = read_all(&[bytes]);
    let split = read_all(&pieces(bytes, &points));
    assert_eq!(whole, split, "frames read whole and in pieces differ");
    // The same bytes, as a server's, into a client connection with three
    // streams open, and the windows given back as the data comes.
    use crate::proto::h2::conn::{Config, Connection, Event};
    let mut conn = Connection::new(Config::default());
    let headers = http::HeaderMap::new();
    for path in ["/a", "/b", "/c"] {
        let _ = conn.open("GET", "https", "fuzz.test", path, &headers, path != "/c");
    }
    let mut events = Vec::new();
    for piece in pieces(bytes, &points) {
        events.clear();
        if conn.receive(piece, &mut events).is_err() {
            break;
        }
        for e in &events {
            if let Event::Data { stream, data, .. } = e {
                conn.consumed(*stream, data.len());
            }
        }
        let _ = conn.send_data(5, b"body", false);
        let _ = conn.take_output();
    }
}
