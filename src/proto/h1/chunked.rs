//! The chunked transfer coding (RFC 9112 §7.1): a push decoder with trailers,
//! and the encoder's framing bytes.

use std::ops::Range;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, ErrorKind, Result};

/// The most bytes of chunk extensions accepted on one chunk-size line.
pub const MAX_CHUNK_EXTENSION_SIZE: usize = 4096;
/// The most hex digits of a chunk size (16 digits fill a u64).
pub const MAX_CHUNK_SIZE_DIGITS: usize = 16;
/// The last chunk and an empty trailer section, ending a chunked body.
pub const CHUNKED_END: &[u8] = b"0\r\n\r\n";

/// Writes the chunk-size line for a chunk of `len` bytes (`len` must not be 0:
/// a zero-size chunk ends the body, see [`CHUNKED_END`]). The data and then
/// `\r\n` follow it on the wire.
pub fn encode_chunk_header(len: usize, out: &mut Vec<u8>) {
    debug_assert!(len > 0, "a zero-size chunk ends the body");
    out.extend_from_slice(format!("{len:x}\r\n").as_bytes());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    SizeLws,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailers,
    Done,
}

/// What one [`ChunkedDecoder::decode`] call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// How many input bytes were used (the caller drops them).
    pub consumed: usize,
    /// Where the body bytes produced by this call are, within the input.
    /// Empty when the call only consumed framing.
    pub data: Range<usize>,
}

/// A push decoder for a chunked body: feed it bytes, get body bytes back.
///
/// The state machine follows hyper's `ChunkedState`. It is strict where
/// leniency invites request-smuggling confusion: a chunk-size line must end
/// with CRLF, sizes are hex digits only (no `0x`, no sign) and fit in a u64,
/// and extensions are skipped up to a limit. Trailers are parsed and kept.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    size: u64,
    digits: usize,
    ext_len: usize,
    trailer_buf: Vec<u8>,
    trailers: Option<HeaderMap>,
    max_trailer_size: usize,
    max_trailers: usize,
}

impl ChunkedDecoder {
    /// A decoder that refuses trailer sections over `max_trailer_size` bytes
    /// or with more than `max_trailers` fields.
    pub fn new(max_trailer_size: usize, max_trailers: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            size: 0,
            digits: 0,
            ext_len: 0,
            trailer_buf: Vec::new(),
            trailers: None,
            max_trailer_size,
            max_trailers,
        }
    }

    /// Feeds `pieces` in order, at most `max` body bytes a call, until the
    /// body ends or the input does; the body bytes decoded. (For tests and
    /// the fuzz targets: the engine decodes straight from its read buffer.)
    pub(crate) fn decode_pieces<'a>(
        &mut self,
        pieces: impl IntoIterator<Item = &'a [u8]>,
        max: usize,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for piece in pieces {
            pending.extend_from_slice(piece);
            loop {
                let d = self.decode(&pending, max)?;
                out.extend_from_slice(&pending[d.data.clone()]);
                pending.drain(..d.consumed);
                if d.consumed == 0 || self.is_done() {
                    break;
                }
            }
            if self.is_done() {
                break;
            }
        }
        Ok(out)
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailer fields, once the body is done (empty if none were sent).
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// Takes the trailer fields out of the decoder.
    pub fn take_trailers(&mut self) -> Option<HeaderMap> {
        self.trailers.take()
    }

    /// Decodes from `input`, producing at most `max_data` body bytes.
    ///
    /// Returns as soon as it has produced body bytes, used all of `input`, or
    /// reached the end of the body. Call again with the unconsumed rest.
    ///
    /// # Errors
    /// `RemoteProtocol` on any framing error.
    pub fn decode(&mut self, input: &[u8], max_data: usize) -> Result<Decoded> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                State::Done => break,
                State::Data => {
                    let take = (input.len() - i).min(max_data);
                    let take = usize::try_from(self.size).map_or(take, |s| s.min(take));
                    if take == 0 {
                        break;
                    }
                    self.size -= take as u64;
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok(Decoded {
                        consumed: i + take,
                        data: i..i + take,
                    });
                }
                State::Size => {
                    if let Some(d) = hex_value(b) {
                        self.digits += 1;
                        if self.digits > MAX_CHUNK_SIZE_DIGITS {
                            return Err(remote("chunk size is too large"));
                        }
                        self.size = self
                            .size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(u64::from(d)))
                            .ok_or_else(|| remote("chunk size is too large"))?;
                    } else if self.digits == 0 {
                        return Err(remote("chunk size line has no hex digits"));
                    } else {
                        match b {
                            // Deliberate leniency, as httparse's `parse_chunk_size`:
                            // whitespace before the extensions or line end.
                            b' ' | b'\t' => self.state = State::SizeLws,
                            b';' => self.state = State::Extension,
                            b'\r' => self.state = State::SizeLf,
                            _ => return Err(remote("invalid byte in chunk size line")),
                        }
                    }
                }
                State::SizeLws => match b {
                    b' ' | b'\t' => {}
                    b';' => self.state = State::Extension,
                    b'\r' => self.state = State::SizeLf,
                    _ => return Err(remote("invalid byte after chunk size")),
                },
                State::Extension => match b {
                    b'\r' => self.state = State::SizeLf,
                    // A bare LF here is how some servers and proxies disagree
                    // on where a chunk starts: refuse it.
                    b'\n' | 0 => return Err(remote("invalid byte in chunk extension")),
                    _ => {
                        self.ext_len += 1;
                        if self.ext_len > MAX_CHUNK_EXTENSION_SIZE {
                            return Err(remote("chunk extensions are too long"));
                        }
                    }
                },
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(remote("chunk size line does not end with CRLF"));
                    }
                    self.state = if self.size == 0 {
                        State::Trailers
                    } else {
                        State::Data
                    };
                }
                State::DataCr => {
                    if b != b'\r' {
                        return Err(remote("chunk data is not followed by CRLF"));
                    }
                    self.state = State::DataLf;
                }
                State::DataLf => {
                    if b != b'\n' {
                        return Err(remote("chunk data is not followed by CRLF"));
                    }
                    self.state = State::Size;
                    self.size = 0;
                    self.digits = 0;
                    self.ext_len = 0;
                }
                State::Trailers => {
                    self.trailer_buf.push(b);
                    if self.trailer_buf.len() > self.max_trailer_size {
                        return Err(remote("chunked trailer section is too large"));
                    }
                    if let Some(fields) = trailer_section_end(&self.trailer_buf) {
                        self.trailers = Some(self.parse_trailers(fields)?);
                        self.trailer_buf = Vec::new();
                        self.state = State::Done;
                        return Ok(Decoded {
                            consumed: i + 1,
                            data: 0..0,
                        });
                    }
                }
            }
            i += 1;
        }
        Ok(Decoded {
            consumed: i,
            data: 0..0,
        })
    }

    fn parse_trailers(&self, fields: usize) -> Result<HeaderMap> {
        let mut map = HeaderMap::new();
        if fields == 0 {
            return Ok(map);
        }
        let mut storage = vec![httparse::EMPTY_HEADER; self.max_trailers];
        match httparse::parse_headers(&self.trailer_buf, &mut storage) {
            Ok(httparse::Status::Complete((_, parsed))) => {
                for h in parsed {
                    let name = HeaderName::from_bytes(h.name.as_bytes())
                        .map_err(|_| remote("invalid trailer field name"))?;
                    let value = HeaderValue::from_bytes(h.value)
                        .map_err(|_| remote("invalid trailer field value"))?;
                    map.append(name, value);
                }
                Ok(map)
            }
            Ok(httparse::Status::Partial) => Err(remote("malformed chunked trailer section")),
            Err(httparse::Error::TooManyHeaders) => Err(remote("too many chunked trailer fields")),
            Err(e) => Err(remote("malformed chunked trailer section").with_source(e)),
        }
    }
}

/// If `buf` holds a complete trailer section, the length of its field lines
/// (0 for none). An empty line ends it; a bare LF is accepted as a line end
/// there, as in the head (RFC 9112 §2.2).
fn trailer_section_end(buf: &[u8]) -> Option<usize> {
    match buf {
        b"\r\n" | b"\n" => Some(0),
        _ if buf.ends_with(b"\n\r\n") || buf.ends_with(b"\n\n") => Some(buf.len()),
        _ => None,
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn remote(msg: &'static str) -> Error {
    Error::new(ErrorKind::RemoteProtocol, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` handed over in pieces of `step` bytes (0: whole),
    /// with at most `max` body bytes a call.
    fn decode_in_steps(
        input: &[u8],
        step: usize,
        max: usize,
    ) -> Result<(Vec<u8>, bool, Option<HeaderMap>)> {
        let mut dec = ChunkedDecoder::new(64 * 1024, 100);
        let step = if step == 0 { input.len().max(1) } else { step };
        let out = dec.decode_pieces(input.chunks(step), max)?;
        let done = dec.is_done();
        Ok((out, done, dec.take_trailers()))
    }

    fn all_ways(input: &[u8]) -> Result<(Vec<u8>, bool, Option<HeaderMap>)> {
        let whole = decode_in_steps(input, 0, usize::MAX);
        for step in 1..=input.len().min(9) {
            for max in [1, 3, usize::MAX] {
                let split = decode_in_steps(input, step, max);
                match (&whole, &split) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "step {step} max {max}"),
                    (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
                    _ => panic!("step {step} max {max}: {whole:?} vs {split:?}"),
                }
            }
        }
        whole
    }

    macro_rules! chunked {
        ($name:ident, $input:expr => ok $body:expr, done $done:expr) => {
            #[test]
            fn $name() {
                let (body, done, _) = all_ways($input).expect("decodes");
                assert_eq!(body, $body.to_vec());
                assert_eq!(done, $done);
            }
        };
        ($name:ident, $input:expr => err) => {
            #[test]
            fn $name() {
                let err = all_ways($input).expect_err("must fail");
                assert_eq!(err.kind(), ErrorKind::RemoteProtocol);
            }
        };
    }

    chunked!(simple, b"5\r\nhello\r\n0\r\n\r\n" => ok b"hello", done true);
    chunked!(two_chunks, b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n" => ok b"abcdefg", done true);
    chunked!(upper_hex, b"A\r\n0123456789\r\n0\r\n\r\n" => ok b"0123456789", done true);
    chunked!(leading_zeros, b"0005\r\nhello\r\n000\r\n\r\n" => ok b"hello", done true);
    chunked!(extension_ignored, b"5;name=value;x=\"q\"\r\nhello\r\n0;last\r\n\r\n" => ok b"hello", done true);
    chunked!(whitespace_before_ext, b"5 ;a\r\nhello\r\n0\t\r\n\r\n" => ok b"hello", done true);
    chunked!(incomplete, b"5\r\nhel" => ok b"hel", done false);
    chunked!(no_last_chunk, b"5\r\nhello\r\n" => ok b"hello", done false);
    chunked!(no_final_crlf, b"5\r\nhello\r\n0\r\n" => ok b"hello", done false);
    chunked!(trailers_lf, b"1\r\na\r\n0\r\nX: y\n\n" => ok b"a", done true);
    chunked!(hex_prefix, b"0x5\r\nhello\r\n0\r\n\r\n" => err);
    chunked!(plus_sign, b"+5\r\nhello\r\n0\r\n\r\n" => err);
    chunked!(empty_size, b"\r\nhello\r\n0\r\n\r\n" => err);
    chunked!(bare_lf_size, b"5\nhello\r\n0\r\n\r\n" => err);
    chunked!(bare_lf_ext, b"5;a\nhello\r\n0\r\n\r\n" => err);
    chunked!(missing_crlf_after_data, b"5\r\nhelloX0\r\n\r\n" => err);
    chunked!(data_longer_than_size, b"3\r\nhello\r\n0\r\n\r\n" => err);
    chunked!(overflow, b"10000000000000000\r\n" => err);
    chunked!(max_digits_ok_then_cut, b"ffffffffffffffff\r\nab" => ok b"ab", done false);
    chunked!(junk_after_size, b"5x\r\nhello\r\n0\r\n\r\n" => err);

    #[test]
    fn trailers_are_parsed() {
        let (body, done, trailers) =
            all_ways(b"4\r\nwiki\r\n0\r\nExpires: never\r\nX-Sum: 12\r\n\r\n").unwrap();
        assert_eq!(body, b"wiki");
        assert!(done);
        let t = trailers.unwrap();
        assert_eq!(t["expires"], "never");
        assert_eq!(t["x-sum"], "12");
    }

    #[test]
    fn no_trailers_is_empty_map() {
        let (_, _, trailers) = all_ways(b"0\r\n\r\n").unwrap();
        assert!(trailers.unwrap().is_empty());
    }

    #[test]
    fn extension_limit() {
        let mut input = b"1;".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_CHUNK_EXTENSION_SIZE + 1));
        input.extend_from_slice(b"\r\na\r\n0\r\n\r\n");
        assert!(decode_in_steps(&input, 0, usize::MAX).is_err());
    }

    #[test]
    fn trailer_limit() {
        let mut dec = ChunkedDecoder::new(16, 100);
        let r = dec.decode(b"0\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", 100);
        assert!(r.is_err());
    }

    #[test]
    fn stops_after_done() {
        let mut dec = ChunkedDecoder::new(1024, 10);
        let d = dec.decode(b"0\r\n\r\nHTTP/1.1 200 OK", 100).unwrap();
        assert_eq!(d.consumed, 5);
        assert!(dec.is_done());
    }

    #[test]
    fn encoder_round_trips() {
        let mut wire = Vec::new();
        for piece in [&b"hello"[..], b" ", b"world, this is a longer chunk"] {
            encode_chunk_header(piece.len(), &mut wire);
            wire.extend_from_slice(piece);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(CHUNKED_END);
        let (body, done, _) = all_ways(&wire).unwrap();
        assert_eq!(body, b"hello world, this is a longer chunk");
        assert!(done);
    }
}
