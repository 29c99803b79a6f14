//! gzip (RFC 1952) and deflate (zlib, RFC 1950, or raw, RFC 1951) with flate2.

use flate2::{Crc, Decompress, FlushDecompress, Status};

use super::{corrupt, MAX_GZIP_HEADER_SIZE};
use crate::error::Result;

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

    pub(super) fn is_done(&self) -> bool {
        matches!(self.state, GzState::End) || !self.saw_input
    }

    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
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

    pub(super) fn is_done(&self) -> bool {
        self.done || !self.saw_input
    }

    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
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
