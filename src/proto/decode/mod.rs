//! Content-coding decoders (RFC 9110 §8.4.1) as sans-IO push decoders: feed
//! compressed bytes, get decoded bytes into a caller-sized buffer. Output per
//! call is bounded by the caller's buffer, so a decompression bomb costs time,
//! never memory.

use http::header::{HeaderMap, CONTENT_ENCODING};

use crate::error::{Error, ErrorKind, Result};

#[cfg(feature = "brotli")]
mod brotli;
mod flate;
#[cfg(feature = "zstd")]
mod zstd;

#[cfg(feature = "brotli")]
#[cfg_attr(docsrs, doc(cfg(feature = "brotli")))]
pub use brotli::BrotliDecoder;
pub use flate::{DeflateDecoder, GzipDecoder};
#[cfg(feature = "zstd")]
#[cfg_attr(docsrs, doc(cfg(feature = "zstd")))]
pub use zstd::ZstdDecoder;

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

pub(super) fn corrupt(coding: &str, what: &str) -> Error {
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

#[cfg(test)]
mod tests;
