//! The Huffman code of HPACK string literals (RFC 7541 §5.2, Appendix B).

use std::sync::OnceLock;

use super::tables::HUFFMAN_CODES;
use super::HpackError;

/// The symbol of a decoding tree's leaf; `EOS` is 256.
const EOS: u16 = 256;

/// A node of the decoding tree: its two children (by the next bit), each
/// an inner node's index or a leaf's symbol (`LEAF | symbol`).
type Node = [u16; 2];

const LEAF: u16 = 0x8000;
/// A child not yet filled in while building (every one is, for a
/// complete code).
const NONE: u16 = 0;

/// The decoding tree, built once from the code table: 256 inner nodes for
/// the 257 symbols, node 0 the root.
fn tree() -> &'static [Node] {
    static TREE: OnceLock<Vec<Node>> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut nodes: Vec<Node> = vec![[NONE; 2]];
        for (symbol, &(code, bits)) in HUFFMAN_CODES.iter().enumerate() {
            let mut at = 0usize;
            for i in (0..bits).rev() {
                let bit = ((code >> i) & 1) as usize;
                if i == 0 {
                    nodes[at][bit] = LEAF | symbol as u16;
                } else {
                    if nodes[at][bit] == NONE {
                        nodes.push([NONE; 2]);
                        nodes[at][bit] = (nodes.len() - 1) as u16;
                    }
                    at = nodes[at][bit] as usize;
                }
            }
        }
        nodes
    })
}

/// The encoded length of `data` in bytes.
pub fn encoded_len(data: &[u8]) -> usize {
    let bits: usize = data
        .iter()
        .map(|&b| usize::from(HUFFMAN_CODES[usize::from(b)].1))
        .sum();
    bits.div_ceil(8)
}

/// Appends the Huffman encoding of `data` to `out`, padded with the most
/// significant bits of EOS (all ones).
pub fn encode(data: &[u8], out: &mut Vec<u8>) {
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in data {
        let (code, bits) = HUFFMAN_CODES[usize::from(b)];
        acc = (acc << bits) | u64::from(code);
        n += u32::from(bits);
        while n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
        acc &= (1 << n) - 1;
    }
    if n > 0 {
        let pad = 8 - n;
        out.push(((acc << pad) | ((1 << pad) - 1)) as u8);
    }
}

/// Decodes `data` into `out`, failing once `out` would pass `limit`
/// bytes. Padding longer than 7 bits, padding that is not a prefix of EOS,
/// and an EOS symbol in the string are errors (RFC 7541 §5.2).
pub fn decode(data: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), HpackError> {
    let tree = tree();
    let mut at = 0usize;
    // Bits read since the last symbol, and whether all of them were ones.
    let mut pending = 0u32;
    let mut ones = true;
    for &byte in data {
        for i in (0..8).rev() {
            let bit = usize::from((byte >> i) & 1);
            pending += 1;
            ones &= bit == 1;
            let next = tree[at][bit];
            if next & LEAF != 0 {
                let symbol = next & !LEAF;
                if symbol == EOS {
                    return Err(HpackError::HuffmanEos);
                }
                if out.len() >= limit {
                    return Err(HpackError::HeaderListTooLarge);
                }
                out.push(symbol as u8);
                at = 0;
                pending = 0;
                ones = true;
            } else {
                at = usize::from(next);
            }
        }
    }
    if pending > 7 || !ones {
        return Err(HpackError::HuffmanPadding);
    }
    Ok(())
}
