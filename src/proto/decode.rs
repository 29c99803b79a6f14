//! Content-coding decoders (RFC 9110 §8.4.1) as sans-IO push decoders: feed
//! compressed bytes, get decoded bytes into a caller-sized buffer. Output per
//! call is bounded by the caller's buffer, so a decompression bomb costs time,
//! never memory.

use flate2::{Crc, Decompress, FlushDecompress, Status};
use http::header::{HeaderMap, CONTENT_ENCODING};

use crate::error::{Error, ErrorKind, Result};

/// The `Accept-Encoding` value listing exactly the codings compiled in.
pub const ACCEPT_ENCODING: &str = accept_encoding();

const fn accept_encoding() -> &'static str {
    match (cfg!(feature = "brotli"), cfg!(feature = "zstd")) {
        (true, true) => "gzip, deflate, br, zstd",
        (true, false) => "gzip, deflate, br",
        (false, true) => "gzip, deflate, zstd",
        (false, false) => "gzip, deflate",
    }
}

/// The most bytes of a gzip member header (with its optional name, comment
/// and extra field) that are buffered.
pub const MAX_GZIP_HEADER_SIZE: usize = 64 * 1024;
/// The largest zstd window accepted: RFC 9659 §3 caps it at 8 MiB for HTTP.
pub const MAX_ZSTD_WINDOW: u64 = 8 * 1024 * 1024;
/// The size of each buffer between two stacked decoders.
const STAGE_BUFFER_SIZE: usize = 32 * 1024;

/// One content coding's decoder.
#[derive(Debug)]
#[non_exhaustive]
pub enum Decoder {
    /// gzip (RFC 1952), several members allowed.
    Gzip(GzipDecoder),
    /// deflate: zlib-wrapped (RFC 1950) as specified, or raw deflate as some
    /// servers send, told apart by the first two bytes.
    Deflate(DeflateDecoder),
    /// Brotli (RFC 7932).
    #[cfg(feature = "brotli")]
    Brotli(Box<BrotliDecoder>),
    /// Zstandard (RFC 8878).
    #[cfg(feature = "zstd")]
    Zstd(Box<ZstdDecoder>),
}

impl Decoder {
    /// The decoder for one coding name, or `None` for `identity` and codings
    /// this build does not decode.
    pub fn for_coding(name: &str) -> Option<Decoder> {
        match name.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Decoder::Gzip(GzipDecoder::new())),
            "deflate" => Some(Decoder::Deflate(DeflateDecoder::new())),
            #[cfg(feature = "brotli")]
            "br" => Some(Decoder::Brotli(Box::default())),
            #[cfg(feature = "zstd")]
            "zstd" => Some(Decoder::Zstd(Box::default())),
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Decoder::Gzip(_) => "gzip",
            Decoder::Deflate(_) => "deflate",
            #[cfg(feature = "brotli")]
            Decoder::Brotli(_) => "br",
            #[cfg(feature = "zstd")]
            Decoder::Zstd(_) => "zstd",
        }
    }

    /// Decodes from `input` into `output`: `(consumed, produced)`. `(0, 0)`
    /// with input left means the decoder needs more input than was given.
    ///
    /// # Errors
    /// `Decoding` for a corrupt stream.
    pub fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        match self {
            Decoder::Gzip(d) => d.decode(input, output),
            Decoder::Deflate(d) => d.decode(input, output),
            #[cfg(feature = "brotli")]
            Decoder::Brotli(d) => d.decode(input, output),
            #[cfg(feature = "zstd")]
            Decoder::Zstd(d) => d.decode(input, output),
        }
    }

    /// Whether the compressed stream ended properly (an empty stream counts).
    pub fn is_done(&self) -> bool {
        match self {
            Decoder::Gzip(d) => d.is_done(),
            Decoder::Deflate(d) => d.is_done(),
            #[cfg(feature = "brotli")]
            Decoder::Brotli(d) => d.is_done(),
            #[cfg(feature = "zstd")]
            Decoder::Zstd(d) => d.is_done(),
        }
    }
}

fn corrupt(coding: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Decoding,
        format!("corrupt {coding} stream: {what}"),
    )
}

/// A chain of decoders for a stacked `Content-Encoding` such as `gzip, br`
/// (decoded in reverse order of application).
#[derive(Debug)]
pub struct ContentDecoder {
    stages: Vec<Decoder>,
    // buffers[k] holds stage k's output waiting for stage k+1.
    buffers: Vec<StageBuffer>,
}

#[derive(Debug)]
struct StageBuffer {
    data: Box<[u8]>,
    start: usize,
    end: usize,
}

impl ContentDecoder {
    /// The decoder for the response's `Content-Encoding` headers, or `None`
    /// when no listed coding needs decoding. Codings this build cannot decode
    /// leave the body as it is (never advertised in `Accept-Encoding`).
    pub fn from_headers(headers: &HeaderMap) -> Option<ContentDecoder> {
        let mut names = Vec::new();
        for value in headers.get_all(CONTENT_ENCODING) {
            let Ok(value) = value.to_str() else {
                return None;
            };
            names.extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
        names.retain(|n| !n.eq_ignore_ascii_case("identity"));
        if names.is_empty() {
            return None;
        }
        let mut stages = Vec::with_capacity(names.len());
        for name in names.iter().rev() {
            // One undecodable coding in the chain: hand over the body as received.
            stages.push(Decoder::for_coding(name)?);
        }
        let buffers = (1..stages.len())
            .map(|_| StageBuffer {
                data: vec![0; STAGE_BUFFER_SIZE].into_boxed_slice(),
                start: 0,
                end: 0,
            })
            .collect();
        Some(ContentDecoder { stages, buffers })
    }

    /// Decodes from `input` into `output`: `(consumed, produced)`. Call with
    /// an empty `input` after the body ended until it produces nothing, then
    /// call [`finish`](Self::finish).
    ///
    /// # Errors
    /// `Decoding` for a corrupt stream.
    pub fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        if output.is_empty() {
            return Ok((0, 0));
        }
        let n = self.stages.len();
        if n == 1 {
            return self.stages[0].decode(input, output);
        }
        let mut consumed = 0;
        loop {
            let mut progress = false;
            let mut produced = 0;
            for k in 0..n {
                let (c, p) = if k == 0 {
                    let buf = &mut self.buffers[0];
                    buf.compact();
                    let r = self.stages[0].decode(&input[consumed..], &mut buf.data[buf.end..])?;
                    buf.end += r.1;
                    consumed += r.0;
                    r
                } else {
                    let (before, after) = self.buffers.split_at_mut(k);
                    let src = &mut before[k - 1];
                    let r = if k == n - 1 {
                        self.stages[k].decode(&src.data[src.start..src.end], output)?
                    } else {
                        let dst = &mut after[0];
                        dst.compact();
                        let r = self.stages[k]
                            .decode(&src.data[src.start..src.end], &mut dst.data[dst.end..])?;
                        dst.end += r.1;
                        r
                    };
                    src.start += r.0;
                    if k == n - 1 {
                        produced = r.1;
                    }
                    r
                };
                progress |= c > 0 || p > 0;
            }
            if produced > 0 || !progress {
                return Ok((consumed, produced));
            }
        }
    }

    /// Checks that every stage's stream ended properly.
    ///
    /// # Errors
    /// `Decoding` naming the coding whose stream was cut short.
    pub fn finish(&self) -> Result<()> {
        for (k, stage) in self.stages.iter().enumerate() {
            let leftover = self.buffers.get(k).is_some_and(|b| b.start < b.end);
            if !stage.is_done() || leftover {
                return Err(Error::new(
                    ErrorKind::Decoding,
                    format!("{} stream is truncated", stage.name()),
                ));
            }
        }
        Ok(())
    }
}

impl StageBuffer {
    fn compact(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > self.data.len() / 2 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }
}

/// Runs a flate2 `Decompress` over `input` into `output`.
fn inflate(
    z: &mut Decompress,
    input: &[u8],
    output: &mut [u8],
    coding: &'static str,
) -> Result<(usize, usize, bool)> {
    let (in0, out0) = (z.total_in(), z.total_out());
    let status = z
        .decompress(input, output, FlushDecompress::None)
        .map_err(|e| corrupt(coding, "invalid deflate data").with_source(e))?;
    let consumed = (z.total_in() - in0) as usize;
    let produced = (z.total_out() - out0) as usize;
    Ok((consumed, produced, status == Status::StreamEnd))
}

#[derive(Debug)]
enum GzState {
    Header(Vec<u8>),
    Body,
    Trailer(Vec<u8>),
    /// A member ended; another may follow.
    End,
}

/// A gzip (RFC 1952) decoder, checking each member's CRC-32 and size.
#[derive(Debug)]
pub struct GzipDecoder {
    state: GzState,
    inflate: Decompress,
    crc: Crc,
    saw_input: bool,
}

impl Default for GzipDecoder {
    fn default() -> Self {
        GzipDecoder::new()
    }
}

impl GzipDecoder {
    /// A decoder at the start of a gzip stream.
    pub fn new() -> GzipDecoder {
        GzipDecoder {
            state: GzState::Header(Vec::new()),
            inflate: Decompress::new(false),
            crc: Crc::new(),
            saw_input: false,
        }
    }

    fn is_done(&self) -> bool {
        matches!(self.state, GzState::End) || !self.saw_input
    }

    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        let mut consumed = 0;
        if !input.is_empty() {
            self.saw_input = true;
        }
        loop {
            match &mut self.state {
                GzState::End => {
                    if consumed == input.len() {
                        return Ok((consumed, 0));
                    }
                    // Another member (RFC 1952 §2.2).
                    self.state = GzState::Header(Vec::new());
                    self.inflate.reset(false);
                    self.crc.reset();
                }
                GzState::Header(buf) => {
                    while consumed < input.len() {
                        buf.push(input[consumed]);
                        consumed += 1;
                        if gzip_header_len(buf)?.is_some() {
                            break;
                        }
                        if buf.len() > MAX_GZIP_HEADER_SIZE {
                            return Err(corrupt("gzip", "header is too large"));
                        }
                    }
                    if gzip_header_len(buf)?.is_some() {
                        self.state = GzState::Body;
                    } else {
                        return Ok((consumed, 0));
                    }
                }
                GzState::Body => {
                    let (c, p, end) =
                        inflate(&mut self.inflate, &input[consumed..], output, "gzip")?;
                    consumed += c;
                    self.crc.update(&output[..p]);
                    if end {
                        self.state = GzState::Trailer(Vec::with_capacity(8));
                    }
                    if p > 0 || !end {
                        return Ok((consumed, p));
                    }
                }
                GzState::Trailer(buf) => {
                    while buf.len() < 8 && consumed < input.len() {
                        buf.push(input[consumed]);
                        consumed += 1;
                    }
                    if buf.len() < 8 {
                        return Ok((consumed, 0));
                    }
                    let crc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
                    let size = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    if crc != self.crc.sum() {
                        return Err(corrupt("gzip", "CRC-32 mismatch"));
                    }
                    if size != self.crc.amount() {
                        return Err(corrupt("gzip", "length mismatch"));
                    }
                    self.state = GzState::End;
                }
            }
        }
    }
}

/// The length of the gzip member header in `buf` if it is complete.
fn gzip_header_len(buf: &[u8]) -> Result<Option<usize>> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    if buf.len() >= 2 && buf[..2] != [0x1f, 0x8b] {
        return Err(corrupt("gzip", "bad magic bytes"));
    }
    if buf.len() >= 3 && buf[2] != 8 {
        return Err(corrupt("gzip", "unknown compression method"));
    }
    if buf.len() < 10 {
        return Ok(None);
    }
    let flags = buf[3];
    if flags & 0xe0 != 0 {
        return Err(corrupt("gzip", "reserved header flags set"));
    }
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = buf.get(pos..pos + 2) else {
            return Ok(None);
        };
        pos += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
        if buf.len() < pos {
            return Ok(None);
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match buf[pos..].iter().position(|&b| b == 0) {
                Some(nul) => pos += nul + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    Ok((buf.len() >= pos).then_some(pos))
}

/// A `deflate` decoder: zlib-wrapped, or raw deflate from servers that
/// send it despite RFC 9110 (as browsers and curl accept).
#[derive(Debug)]
pub struct DeflateDecoder {
    inflate: Option<Decompress>,
    first: Option<u8>,
    done: bool,
    saw_input: bool,
}

impl Default for DeflateDecoder {
    fn default() -> Self {
        DeflateDecoder::new()
    }
}

impl DeflateDecoder {
    /// A decoder at the start of a deflate stream.
    pub fn new() -> DeflateDecoder {
        DeflateDecoder {
            inflate: None,
            first: None,
            done: false,
            saw_input: false,
        }
    }

    fn is_done(&self) -> bool {
        self.done || !self.saw_input
    }

    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        if !input.is_empty() {
            self.saw_input = true;
        }
        if self.done {
            return if input.is_empty() {
                Ok((0, 0))
            } else {
                Err(corrupt("deflate", "data after the end of the stream"))
            };
        }
        let mut consumed = 0;
        if self.inflate.is_none() {
            // RFC 1950 §2.2: CM = 8, and CMF*256 + FLG is a multiple of 31.
            let first = match self.first {
                Some(b) => b,
                None => match input.first() {
                    Some(&b) => {
                        consumed = 1;
                        self.first = Some(b);
                        b
                    }
                    None => return Ok((0, 0)),
                },
            };
            let Some(&second) = input.get(consumed) else {
                return Ok((consumed, 0));
            };
            let zlib = first & 0x0f == 8 && (u16::from(first) << 8 | u16::from(second)) % 31 == 0;
            let mut z = Decompress::new(zlib);
            // Feed the stashed first byte.
            let mut scratch = [0u8; 0];
            let (c, _, _) = inflate(&mut z, &[first], &mut scratch, "deflate")?;
            if c != 1 {
                return Err(corrupt("deflate", "stream start"));
            }
            self.inflate = Some(z);
        }
        let z = self.inflate.as_mut().expect("set above");
        let (c, p, end) = inflate(z, &input[consumed..], output, "deflate")?;
        consumed += c;
        if end {
            self.done = true;
        }
        Ok((consumed, p))
    }
}

/// A Brotli decoder (pure Rust, brotli-decompressor).
#[cfg(feature = "brotli")]
pub struct BrotliDecoder {
    state: brotli_decompressor::BrotliState<
        brotli_decompressor::StandardAlloc,
        brotli_decompressor::StandardAlloc,
        brotli_decompressor::StandardAlloc,
    >,
    done: bool,
    saw_input: bool,
}

#[cfg(feature = "brotli")]
impl std::fmt::Debug for BrotliDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrotliDecoder")
            .field("done", &self.done)
            .finish()
    }
}

#[cfg(feature = "brotli")]
impl Default for BrotliDecoder {
    fn default() -> Self {
        BrotliDecoder::new()
    }
}

#[cfg(feature = "brotli")]
impl BrotliDecoder {
    /// A decoder at the start of a Brotli stream.
    pub fn new() -> BrotliDecoder {
        use brotli_decompressor::StandardAlloc;
        BrotliDecoder {
            state: brotli_decompressor::BrotliState::new(
                StandardAlloc::default(),
                StandardAlloc::default(),
                StandardAlloc::default(),
            ),
            done: false,
            saw_input: false,
        }
    }

    fn is_done(&self) -> bool {
        self.done || !self.saw_input
    }

    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        use brotli_decompressor::BrotliResult;
        if !input.is_empty() {
            self.saw_input = true;
        }
        if self.done {
            return if input.is_empty() {
                Ok((0, 0))
            } else {
                Err(corrupt("br", "data after the end of the stream"))
            };
        }
        let mut available_in = input.len();
        let mut input_offset = 0;
        let mut available_out = output.len();
        let mut output_offset = 0;
        let mut total_out = 0;
        let result = brotli_decompressor::BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            output,
            &mut total_out,
            &mut self.state,
        );
        match result {
            BrotliResult::ResultFailure => Err(corrupt("br", "invalid data")),
            BrotliResult::ResultSuccess => {
                self.done = true;
                Ok((input_offset, output_offset))
            }
            BrotliResult::NeedsMoreInput | BrotliResult::NeedsMoreOutput => {
                Ok((input_offset, output_offset))
            }
        }
    }
}

/// A Zstandard decoder (pure Rust, ruzstd), limited to the 8 MiB window
/// RFC 9659 allows for HTTP, verifying content checksums.
#[cfg(feature = "zstd")]
pub struct ZstdDecoder {
    frame: ruzstd::decoding::FrameDecoder,
    /// Compressed bytes not yet handed to the frame decoder: at most one block
    /// (128 KiB) plus a header.
    pending: Vec<u8>,
    in_frame: bool,
    saw_input: bool,
}

#[cfg(feature = "zstd")]
impl std::fmt::Debug for ZstdDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZstdDecoder")
            .field("pending", &self.pending.len())
            .field("in_frame", &self.in_frame)
            .finish()
    }
}

#[cfg(feature = "zstd")]
impl Default for ZstdDecoder {
    fn default() -> Self {
        ZstdDecoder::new()
    }
}

/// The most compressed bytes buffered for a zstd block: a block's content
/// (128 KiB) plus its 3-byte header, and slack.
#[cfg(feature = "zstd")]
const MAX_ZSTD_PENDING: usize = 128 * 1024 + 64;

#[cfg(feature = "zstd")]
impl ZstdDecoder {
    /// A decoder at the start of a zstd stream.
    pub fn new() -> ZstdDecoder {
        ZstdDecoder {
            frame: ruzstd::decoding::FrameDecoder::new(),
            pending: Vec::new(),
            in_frame: false,
            saw_input: false,
        }
    }

    fn is_done(&self) -> bool {
        !self.saw_input || (!self.in_frame && self.pending.is_empty())
    }

    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        if !input.is_empty() {
            self.saw_input = true;
        }
        let room = MAX_ZSTD_PENDING.saturating_sub(self.pending.len());
        let take = input.len().min(room);
        self.pending.extend_from_slice(&input[..take]);
        loop {
            if !self.in_frame {
                if self.pending.is_empty() {
                    return Ok((take, 0));
                }
                let Some(header_len) = zstd_frame_header_len(&self.pending)? else {
                    return Ok((take, 0));
                };
                let mut src: &[u8] = &self.pending[..header_len];
                self.frame
                    .reset(&mut src)
                    .map_err(|e| corrupt("zstd", "invalid frame header").with_source(e))?;
                self.pending.drain(..header_len);
                self.in_frame = true;
            }
            let (mut read, written) = self
                .frame
                .decode_from_to(&self.pending, output)
                .map_err(|e| corrupt("zstd", "invalid block").with_source(e))?;
            if read > self.pending.len() {
                // ruzstd reports 4 bytes read while it waits for a checksum
                // that has not fully arrived; nothing was taken.
                read = 0;
            }
            self.pending.drain(..read);
            if self.frame.is_finished() && self.frame.can_collect() == 0 {
                if let (Some(expected), Some(actual)) = (
                    self.frame.get_checksum_from_data(),
                    self.frame.get_calculated_checksum(),
                ) {
                    if expected != actual {
                        return Err(corrupt("zstd", "content checksum mismatch"));
                    }
                }
                self.in_frame = false;
                if written == 0 {
                    continue; // maybe another frame follows
                }
            }
            return Ok((take, written));
        }
    }
}

/// The length of the zstd frame header at the start of `buf` (RFC 8878
/// §3.1.1), once it is all there; checks the magic number and the window.
#[cfg(feature = "zstd")]
fn zstd_frame_header_len(buf: &[u8]) -> Result<Option<usize>> {
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    let n = buf.len().min(4);
    if buf[..n] != MAGIC[..n] {
        return Err(corrupt(
            "zstd",
            "bad magic number (skippable frames are not supported)",
        ));
    }
    let Some(&fhd) = buf.get(4) else {
        return Ok(None);
    };
    let single_segment = fhd & 0x20 != 0;
    let dict_id_len = [0, 1, 2, 4][usize::from(fhd & 0x03)];
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let len = 5 + usize::from(!single_segment) + dict_id_len + fcs_len;
    if buf.len() < len {
        return Ok(None);
    }
    let window = if single_segment {
        let fcs = &buf[len - fcs_len..len];
        let mut v = [0u8; 8];
        v[..fcs_len].copy_from_slice(fcs);
        let size = u64::from_le_bytes(v);
        if fcs_len == 2 {
            size + 256
        } else {
            size
        }
    } else {
        let wd = buf[5];
        let base = 1u64 << (10 + u32::from(wd >> 3));
        base + (base / 8) * u64::from(wd & 7)
    };
    if window > MAX_ZSTD_WINDOW {
        return Err(corrupt("zstd", "window is larger than 8 MiB"));
    }
    Ok(Some(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use http::HeaderValue;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decoder(encoding: &'static str) -> ContentDecoder {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        ContentDecoder::from_headers(&h).expect("decodable")
    }

    /// Decodes `input` fed in pieces of `step` bytes into an output buffer
    /// of `out_size` bytes a call, then finishes.
    fn run(encoding: &'static str, input: &[u8], step: usize, out_size: usize) -> Result<Vec<u8>> {
        let mut d = decoder(encoding);
        let mut out = Vec::new();
        let mut buf = vec![0u8; out_size];
        for piece in input.chunks(step.max(1)) {
            let mut piece = piece;
            let mut stalls = 0;
            while !piece.is_empty() || stalls == 0 {
                let (c, p) = d.decode(piece, &mut buf)?;
                out.extend_from_slice(&buf[..p]);
                piece = &piece[c..];
                if c == 0 && p == 0 {
                    stalls += 1;
                    if stalls > 2 {
                        break;
                    }
                }
                if piece.is_empty() && p == 0 {
                    break;
                }
            }
            assert!(out.len() < 100_000_000);
        }
        loop {
            let (_, p) = d.decode(&[], &mut buf)?;
            if p == 0 {
                break;
            }
            out.extend_from_slice(&buf[..p]);
        }
        d.finish()?;
        Ok(out)
    }

    fn sample() -> Vec<u8> {
        (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    fn check_all_ways(encoding: &'static str, compressed: &[u8], expect: &[u8]) {
        for step in [1, 7, 1000, usize::MAX] {
            for out in [1, 13, 4096] {
                if step == 1 && out == 1 && compressed.len() > 5000 {
                    continue; // slow and adds nothing over the smaller cases
                }
                let got = run(encoding, compressed, step.min(compressed.len().max(1)), out)
                    .unwrap_or_else(|e| panic!("{encoding} step {step} out {out}: {e}"));
                assert_eq!(got, expect, "{encoding} step {step} out {out}");
            }
        }
    }

    #[test]
    fn gzip_round_trip() {
        let data = sample();
        check_all_ways("gzip", &gzip(&data), &data);
        check_all_ways("gzip", &gzip(b"hello"), b"hello");
    }

    #[test]
    fn gzip_multi_member() {
        let mut two = gzip(b"hello ");
        two.extend(gzip(b"world"));
        check_all_ways("gzip", &two, b"hello world");
    }

    #[test]
    fn gzip_with_name_and_extra() {
        let mut e = flate2::GzBuilder::new()
            .filename("a.txt")
            .comment("c")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        e.write_all(b"named").unwrap();
        check_all_ways("gzip", &e.finish().unwrap(), b"named");
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let data = sample();
        check_all_ways("deflate", &zlib(&data), &data);
        check_all_ways("deflate", &raw_deflate(&data), &data);
        check_all_ways("deflate", &raw_deflate(b"x"), b"x");
    }

    #[test]
    fn stacked_gzip_then_deflate() {
        // Content-Encoding: deflate, gzip means deflate applied first.
        let data = sample();
        let wire = gzip(&zlib(&data));
        check_all_ways("deflate, gzip", &wire, &data);
    }

    #[test]
    fn identity_and_unknown() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
        assert!(ContentDecoder::from_headers(&h).is_none());
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("compress"));
        assert!(ContentDecoder::from_headers(&h).is_none());
        assert!(ContentDecoder::from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data = sample();
        let full = gzip(&data);
        for cut in [5, 10, full.len() / 2, full.len() - 4, full.len() - 1] {
            let e = run("gzip", &full[..cut], 4096, 4096).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decoding, "cut at {cut}");
        }
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut bad = gzip(b"hello world hello world");
        let n = bad.len();
        bad[n - 6] ^= 0xff; // CRC
        assert_eq!(
            run("gzip", &bad, 4096, 4096).unwrap_err().kind(),
            ErrorKind::Decoding
        );
        assert_eq!(
            run("gzip", b"not gzip at all", 4096, 4096)
                .unwrap_err()
                .kind(),
            ErrorKind::Decoding
        );
        let mut garbage_after = gzip(b"x");
        garbage_after.extend_from_slice(b"junk");
        assert_eq!(
            run("gzip", &garbage_after, 4096, 4096).unwrap_err().kind(),
            ErrorKind::Decoding
        );
    }

    #[test]
    fn truncated_deflate_is_an_error() {
        let full = zlib(&sample());
        let e = run("deflate", &full[..full.len() / 2], 4096, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decoding);
    }

    #[test]
    fn empty_body_is_fine() {
        assert_eq!(run("gzip", b"", 1, 10).unwrap(), b"");
    }

    #[test]
    fn bomb_output_is_bounded_per_call() {
        let zeros = vec![0u8; 10 * 1024 * 1024];
        let bomb = gzip(&zeros);
        let mut d = decoder("gzip");
        let mut buf = [0u8; 1024];
        let (_, p) = d.decode(&bomb, &mut buf).unwrap();
        assert!(p <= 1024);
    }

    #[test]
    fn accept_encoding_matches_features() {
        for coding in ACCEPT_ENCODING.split(", ") {
            assert!(Decoder::for_coding(coding).is_some(), "{coding}");
        }
        assert_eq!(ACCEPT_ENCODING.contains("br"), cfg!(feature = "brotli"));
        assert_eq!(ACCEPT_ENCODING.contains("zstd"), cfg!(feature = "zstd"));
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_round_trip() {
        let data = sample();
        let z = ruzstd::encoding::compress_to_vec(
            &data[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        check_all_ways("zstd", &z, &data);
        let e = run("zstd", &z[..z.len() / 2], 4096, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decoding);
    }

    #[cfg(feature = "brotli")]
    #[test]
    fn brotli_decodes_known_stream() {
        // "hello\n" compressed with `brotli` (quality 11).
        let wire: &[u8] = &[0x8b, 0x02, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x03];
        check_all_ways("br", wire, b"hello\n");
        let e = run("br", &wire[..5], 4096, 4096).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decoding);
    }
}
