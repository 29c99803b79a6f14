//! The decoders fed whole, split at every byte, stacked, and corrupt.

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
    let z =
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
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
