//! Zstandard (RFC 8878) with the pure-Rust ruzstd, as RFC 9659 profiles it for HTTP.

use super::{corrupt, MAX_ZSTD_WINDOW};
use crate::error::Result;

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

    pub(super) fn is_done(&self) -> bool {
        !self.saw_input || (!self.in_frame && self.pending.is_empty())
    }

    pub(super) fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
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
