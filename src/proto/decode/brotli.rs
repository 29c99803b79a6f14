//! Brotli (RFC 7932) with the pure-Rust brotli-decompressor.

use super::corrupt;
use crate::error::Result;

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

    pub(super) fn is_done(&self) -> bool {
        self.done || !self.saw_input
    }

    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
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
